package baton

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

type codecJob struct {
	ID    int      `json:"id"`
	Trace []string `json:"trace"`
}

// fullState is a state with every field set: errors nested, a timed log, policies, a
// deadline in a zone of its own.
func fullState() wireState[codecJob] {
	at := time.Date(2026, 12, 2, 7, 0, 0, 123456789, time.UTC)
	werr := &wireError{Kind: kindStep, Stage: "b", Attempts: 2, Wrapped: []*wireError{
		{Text: "disk: full", Is: []string{"user:disk"}, Local: 3, Wrapped: []*wireError{{Kind: kindSentinel, Name: "user:disk"}}},
	}}
	return wireState[codecJob]{
		Version: StateVersion, ID: 42, Key: "order-7", Value: codecJob{ID: 7, Trace: []string{"a", "b"}},
		Route: []wireHop{{Stage: "a"}, {Stage: "b", Optional: true, Policy: 1}, {Stage: "c"}}, Pos: 2, Hops: 2,
		Log: []wireEntry{
			{Stage: "a", Attempts: 1, Outcome: Succeeded, Start: at, Duration: time.Millisecond},
			{Stage: "b", Attempts: 2, Outcome: Failed, Err: werr, Start: at.Add(time.Second), Duration: 3 * time.Microsecond},
			{Stage: "a", Attempts: 1, Outcome: CompensationFailed, Err: &wireError{Kind: kindCompensation, Wrapped: []*wireError{{Kind: kindPanic, Stack: []byte("goroutine 1"), Wrapped: []*wireError{{Kind: kindPanicValue, Text: "boom"}}}},
				Steps: []wireEntry{{Stage: "a", Attempts: 1, Outcome: Compensated, Start: at, Duration: 5}}}, Start: at, Duration: 7},
		},
		Timed: true, Touched: true, Comp: true, CompAt: 1, CompStart: 2, Err: werr,
		Policies: []wirePolicy{{MaxAttempts: 3, InitialBackoff: time.Millisecond, Multiplier: 1.5, MaxBackoff: time.Second, Jitter: 0.25, Linear: true,
			AttemptTimeout: 2 * time.Second, StepTimeout: 5 * time.Second, Optional: true}},
		Deadline:       at.Add(time.Hour).In(time.FixedZone("", 3600)),
		MessageTimeout: true,
	}
}

// The binary form gives back exactly what the JSON form (version 1) gave back.
func TestBinaryStateRoundTrip(t *testing.T) {
	for name, w := range map[string]wireState[codecJob]{"full": fullState(), "empty": {Version: StateVersion, Value: codecJob{}}} {
		t.Run(name, func(t *testing.T) {
			value, _ := json.Marshal(&w.Value)
			data := marshalState(&w, value)
			var got wireState[codecJob]
			v, err := unmarshalState(data, &got)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(v, &got.Value); err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(&w)
			var want wireState[codecJob]
			if err := json.Unmarshal(js, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("binary round trip:\n got %+v\nwant %+v", got, want)
			}
			if name == "full" && len(data) >= len(js)/2 {
				t.Errorf("binary state of %d bytes, JSON %d: want less than half", len(data), len(js))
			}
		})
	}
}

// A state of version 1 (JSON, as a recorded workflow history holds it) is still read; one of
// an unknown version, or of version 1 in the binary form, is refused with ErrEngine.
func TestStateVersions(t *testing.T) {
	p, err := New([]Stage[codecJob]{Func("a", func(_ context.Context, j codecJob) (codecJob, error) { return j, nil })})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := &message[codecJob]{}
	v1 := []byte(`{"v":1,"id":2,"value":{"id":5,"trace":["x"]},"route":[{"stage":"a"}],"pos":0,"hops":0}`)
	if _, err := p.decode(v1, m, nil); err != nil || m.value.ID != 5 || m.id != 2 {
		t.Fatalf("version 1: %v, value %+v", err, m.value)
	}
	w := wireState[codecJob]{Version: 9}
	for name, data := range map[string][]byte{
		"json v9":   []byte(`{"v":9}`),
		"binary v9": marshalState(&w, []byte("{}")),
		"binary v1": append([]byte{stateMagic, 1}, marshalState(&w, []byte("{}"))[2:]...),
	} {
		_, err := p.decode(data, &message[codecJob]{}, nil)
		if !errors.Is(err, ErrEngine) || !bytes.Contains([]byte(err.Error()), []byte("version")) {
			t.Errorf("%s: %v, want an ErrEngine error naming the version", name, err)
		}
	}
}

// Every prefix of a state, and every state with one byte changed, is refused with an error
// or read: never a panic.
func TestBinaryStateDamaged(t *testing.T) {
	w := fullState()
	data := marshalState(&w, []byte(`{"id":7}`))
	for i := range data {
		var got wireState[codecJob]
		if _, err := unmarshalState(data[:i], &got); err == nil {
			t.Errorf("a prefix of %d bytes of %d was read", i, len(data))
		}
		damaged := bytes.Clone(data)
		damaged[i] ^= 0xFF
		_, _ = unmarshalState(damaged, &got)
	}
}

func FuzzBinaryState(f *testing.F) {
	w := fullState()
	f.Add(marshalState(&w, []byte(`{"id":7}`)))
	f.Add([]byte{stateMagic, StateVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got wireState[codecJob]
		if v, err := unmarshalState(data, &got); err == nil && got.Version == StateVersion {
			again := marshalState(&got, v)
			var back wireState[codecJob]
			if _, err := unmarshalState(again, &back); err != nil {
				t.Fatalf("a state read could not be read again once written: %v", err)
			}
		}
	})
}
