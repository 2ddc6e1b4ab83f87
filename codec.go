package baton

import (
	"encoding/json"
	"errors"
)

// Codec encodes a message's value for an engine (see WithEngine). The rest of the state —
// slip, log, errors, policies — Baton writes itself, in a compact binary form (StateVersion
// 2), so a codec's cost is its value's alone. It must be safe for concurrent use, and every
// process of a pipeline must use the same one.
type Codec interface {
	// Marshal encodes v, a pointer to the message's value.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into v, as Marshal's v. It also reads a state of version 1 (the
	// whole state, which that version encoded with the codec) into a struct of its fields.
	Unmarshal(data []byte, v any) error
}

// JSON is the default Codec: encoding/json. The message type must survive a round trip through
// it (exported fields, or its own MarshalJSON and UnmarshalJSON).
var JSON Codec = jsonCodec{}

type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// WithCodec sets the codec an engine's message values are encoded with (default JSON).
// Without WithEngine it changes nothing.
func WithCodec(c Codec) Option {
	return func(cfg *config) {
		if c == nil {
			cfg.errs = append(cfg.errs, errors.New("WithCodec(nil)"))
			return
		}
		cfg.codec = c
	}
}
