package baton

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// This file reads the binary form of a message's state (see statecodec.go). Every length is
// checked against the bytes left, so a crafted state can neither make it allocate much nor
// panic: it fails with an error.

// stateReader reads a binary state. Its first error sticks: every later read returns zero
// values, and err says what was wrong.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *stateReader) uvarint() uint64 {
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *stateReader) varint() int64 {
	x, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return x
}

// int reads a varint that must fit an int.
func (r *stateReader) int() int {
	x := r.varint()
	if x != int64(int(x)) {
		r.fail(fmt.Errorf("integer %d out of range", x))
		return 0
	}
	return int(x)
}

// count reads a length, which cannot exceed the bytes left (each item takes one at least).
func (r *stateReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail(errTruncated)
		return 0
	}
	return int(n)
}

func (r *stateReader) bytes() []byte {
	n := r.count()
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *stateReader) string() string { return string(r.bytes()) }

func (r *stateReader) bool() bool {
	if len(r.b) < 1 {
		r.fail(errTruncated)
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	if v > 1 {
		r.fail(fmt.Errorf("boolean %d", v))
	}
	return v == 1
}

func (r *stateReader) float() float64 {
	if len(r.b) < 8 {
		r.fail(errTruncated)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// time reads a time as encoding/json would give it back: in UTC for a zero offset, in the
// local zone when it has that offset then, else in a fixed zone of the offset.
func (r *stateReader) time() time.Time {
	ns, off := r.varint(), r.varint()
	if off < -24*3600 || off > 24*3600 {
		r.fail(fmt.Errorf("zone offset %d", off))
		return time.Time{}
	}
	t := time.Unix(0, ns)
	switch {
	case off == 0:
		return t.UTC()
	default:
		if _, lo := t.In(time.Local).Zone(); int64(lo) == off {
			return t.In(time.Local)
		}
		return t.In(time.FixedZone("", int(off)))
	}
}

func (r *stateReader) entry(timed bool, depth int) wireEntry {
	e := wireEntry{Stage: r.string(), Attempts: r.int(), Outcome: Outcome(r.uvarint())}
	e.Err = r.error(depth)
	if timed {
		e.Start = r.time()
		e.Duration = time.Duration(r.varint())
	}
	return e
}

func (r *stateReader) error(depth int) *wireError {
	if len(r.b) < 1 {
		r.fail(errTruncated)
		return nil
	}
	tag := r.b[0]
	r.b = r.b[1:]
	switch {
	case tag == 0:
		return nil
	case tag != 1:
		r.fail(fmt.Errorf("error tag %d", tag))
		return nil
	case depth > maxDecodeDepth:
		r.fail(fmt.Errorf("errors nested deeper than %d", maxDecodeDepth))
		return nil
	}
	e := &wireError{Kind: r.string(), Name: r.string(), Text: r.string()}
	if n := r.count(); n > 0 {
		e.Is = make([]string, n)
		for i := range e.Is {
			e.Is[i] = r.string()
		}
	}
	e.Stage, e.Attempts, e.What, e.Who = r.string(), r.int(), r.string(), r.string()
	if s := r.bytes(); len(s) > 0 {
		e.Stack = append([]byte(nil), s...)
	}
	if n := r.count(); n > 0 {
		e.Steps = make([]wireEntry, n)
		for i := range e.Steps {
			e.Steps[i] = r.entry(true, depth+1)
		}
	}
	if n := r.count(); n > 0 {
		e.Wrapped = make([]*wireError, n)
		for i := range e.Wrapped {
			e.Wrapped[i] = r.error(depth + 1)
		}
	}
	e.Local = r.int()
	if r.err != nil {
		return nil
	}
	return e
}

// unmarshalState decodes a binary state into w, but for its value, whose codec's encoding it
// returns. It reads any version; the caller checks w.Version.
func unmarshalState[T any](data []byte, w *wireState[T]) (value []byte, err error) {
	if len(data) == 0 || data[0] != stateMagic {
		return nil, errors.New("not a binary state")
	}
	r := &stateReader{b: data[1:]}
	w.Version = int(r.uvarint())
	if r.err != nil || w.Version != StateVersion {
		return nil, r.err // another version: the caller says so
	}
	w.ID = r.uvarint()
	w.Key = r.string()
	value = r.bytes()
	if n := r.count(); n > 0 {
		w.Route = make([]wireHop, n)
		for i := range w.Route {
			w.Route[i] = wireHop{Stage: r.string(), Optional: r.bool(), Policy: int(r.uvarint() & math.MaxInt32)}
		}
	}
	w.Pos, w.Hops = r.int(), r.int()
	flags := r.uvarint()
	w.Timed, w.Touched, w.Comp, w.MessageTimeout = flags&flagTimed != 0, flags&flagTouched != 0, flags&flagComp != 0, flags&flagMsgTimeout != 0
	w.CompAt, w.CompStart = r.int(), r.int()
	w.Err = r.error(0)
	if n := r.count(); n > 0 {
		w.Policies = make([]wirePolicy, n)
		for i := range w.Policies {
			w.Policies[i] = wirePolicy{MaxAttempts: r.int(), InitialBackoff: time.Duration(r.varint()), Multiplier: r.float(),
				MaxBackoff: time.Duration(r.varint()), Jitter: r.float(), Linear: r.bool(), AttemptTimeout: time.Duration(r.varint()),
				StepTimeout: time.Duration(r.varint()), Optional: r.bool()}
		}
	}
	if n := r.count(); n > 0 {
		w.Log = make([]wireEntry, n)
		for i := range w.Log {
			w.Log[i] = r.entry(w.Timed, 0)
		}
	}
	if flags&flagDeadline != 0 {
		w.Deadline = r.time()
	}
	switch {
	case r.err != nil:
		return nil, r.err
	case len(r.b) > 0:
		return nil, fmt.Errorf("%d bytes after the state", len(r.b))
	}
	return value, nil
}
