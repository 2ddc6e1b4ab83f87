package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEncodeAndDeploy(t *testing.T) {
	for _, s := range []string{"orchestrated", "choreographed"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"-def", "encode_and_deploy.json", "-input", `{"fileLocation":"s3://videos/cat.mov"}`, "-strategy", s}, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		var out map[string]any
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
		assert.Equal(t, map[string]any{"cdn_url": "https://cdn.example.com/cat.mp4"}, out)
		assert.Contains(t, stderr.String(), "COMPLETED")
	}
}

func TestEchoAndSubWorkflows(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-def", "../../conductor/testdata/definitions/workflow_with_sub_workflow_1_integration_test.json",
		"-defs", "../../conductor/testdata/definitions", "-echo", "-input", `{"subwf":"sub_workflow"}`, "-strategy", "choreographed"}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
}

func TestNotCompleted(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-def", "encode_and_deploy.json", "-input", `{}`}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "FAILED")
	assert.Contains(t, stderr.String(), "fileLocation is required")
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{{}, {"-def", "nope.json"}, {"-def", "encode_and_deploy.json", "-strategy", "x"}, {"-def", "encode_and_deploy.json", "-input", "["}} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, &stdout, &stderr), args)
	}
}
