package baton

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// This file is the binary form of a message's state (StateVersion 2): what an engine carries
// between two steps, written field by field without reflection. Only the value goes through
// the pipeline's Codec (WithCodec, JSON by default); the slip, its log, the errors and the
// policies are written here, compactly: a step of the log costs its stage's name and a few
// bytes. Version 1, the whole state as JSON, is still read (a workflow history recorded by an
// earlier release holds it), never written.
//
// Layout: the byte stateMagic, the version (uvarint), then the fields of wireState in their
// order of declaration; integers are varints, strings and byte slices are length-prefixed,
// times are their Unix nanoseconds and their zone's offset.

// stateMagic begins a binary state; a JSON state (version 1) begins with '{'.
const stateMagic = 0xBA

// Flags of a binary state.
const (
	flagTimed = 1 << iota
	flagTouched
	flagComp
	flagMsgTimeout
	flagDeadline
)

// maxDecodeDepth bounds the nesting of a decoded error: a crafted state cannot exhaust the
// stack (encoding stops at maxErrorDepth).
const maxDecodeDepth = maxErrorDepth + 2

var errTruncated = errors.New("truncated binary state")

// marshalState encodes w in the binary form; value is w.Value encoded by the codec.
func marshalState[T any](w *wireState[T], value []byte) []byte {
	b := make([]byte, 0, 64+len(value)+16*len(w.Route)+24*len(w.Log))
	b = append(b, stateMagic)
	b = binary.AppendUvarint(b, uint64(w.Version))
	b = binary.AppendUvarint(b, w.ID)
	b = appendString(b, w.Key)
	b = appendBytes(b, value)
	b = binary.AppendUvarint(b, uint64(len(w.Route)))
	for _, h := range w.Route {
		b = appendString(b, h.Stage)
		b = appendBool(b, h.Optional)
		b = binary.AppendUvarint(b, uint64(h.Policy))
	}
	b = binary.AppendVarint(b, int64(w.Pos))
	b = binary.AppendVarint(b, int64(w.Hops))
	var flags uint64
	if w.Timed {
		flags |= flagTimed
	}
	if w.Touched {
		flags |= flagTouched
	}
	if w.Comp {
		flags |= flagComp
	}
	if w.MessageTimeout {
		flags |= flagMsgTimeout
	}
	if !w.Deadline.IsZero() {
		flags |= flagDeadline
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendVarint(b, int64(w.CompAt))
	b = binary.AppendVarint(b, int64(w.CompStart))
	b = appendError(b, w.Err)
	b = binary.AppendUvarint(b, uint64(len(w.Policies)))
	for _, p := range w.Policies {
		b = binary.AppendVarint(b, int64(p.MaxAttempts))
		b = binary.AppendVarint(b, int64(p.InitialBackoff))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Multiplier))
		b = binary.AppendVarint(b, int64(p.MaxBackoff))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Jitter))
		b = appendBool(b, p.Linear)
		b = binary.AppendVarint(b, int64(p.AttemptTimeout))
		b = binary.AppendVarint(b, int64(p.StepTimeout))
		b = appendBool(b, p.Optional)
	}
	b = binary.AppendUvarint(b, uint64(len(w.Log)))
	for i := range w.Log {
		b = appendEntry(b, &w.Log[i], w.Timed)
	}
	if !w.Deadline.IsZero() {
		b = appendTime(b, w.Deadline)
	}
	return b
}

func appendEntry(b []byte, e *wireEntry, timed bool) []byte {
	b = appendString(b, e.Stage)
	b = binary.AppendVarint(b, int64(e.Attempts))
	b = binary.AppendUvarint(b, uint64(e.Outcome))
	b = appendError(b, e.Err)
	if timed {
		b = appendTime(b, e.Start)
		b = binary.AppendVarint(b, int64(e.Duration))
	}
	return b
}

// appendError writes e: 0 for nil, else 1 and its fields.
func appendError(b []byte, e *wireError) []byte {
	if e == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = appendString(b, e.Kind)
	b = appendString(b, e.Name)
	b = appendString(b, e.Text)
	b = binary.AppendUvarint(b, uint64(len(e.Is)))
	for _, s := range e.Is {
		b = appendString(b, s)
	}
	b = appendString(b, e.Stage)
	b = binary.AppendVarint(b, int64(e.Attempts))
	b = appendString(b, e.What)
	b = appendString(b, e.Who)
	b = appendBytes(b, e.Stack)
	b = binary.AppendUvarint(b, uint64(len(e.Steps)))
	for i := range e.Steps {
		b = appendEntry(b, &e.Steps[i], true)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Wrapped)))
	for _, w := range e.Wrapped {
		b = appendError(b, w)
	}
	return binary.AppendVarint(b, int64(e.Local))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTime(b []byte, t time.Time) []byte {
	_, off := t.Zone()
	b = binary.AppendVarint(b, t.UnixNano())
	return binary.AppendVarint(b, int64(off))
}
