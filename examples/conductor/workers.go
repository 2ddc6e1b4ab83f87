package main

import (
	"context"
	"errors"
	"path"
	"strings"
)

// encode pretends to encode the video at fileLocation and returns where the result is.
func encode(ctx context.Context, in map[string]any) (map[string]any, error) {
	loc, _ := in["fileLocation"].(string)
	if loc == "" {
		return nil, errors.New("encode: fileLocation is required")
	}
	base := strings.TrimSuffix(path.Base(loc), path.Ext(loc))
	return map[string]any{"encodeLocation": "s3://encoded/" + base + ".mp4"}, nil
}

// deploy pretends to deploy the file at fileLocation to a CDN and returns its URL.
func deploy(ctx context.Context, in map[string]any) (map[string]any, error) {
	loc, _ := in["fileLocation"].(string)
	if loc == "" {
		return nil, errors.New("deploy: fileLocation is required")
	}
	return map[string]any{"location": "https://cdn.example.com/" + path.Base(loc)}, nil
}
