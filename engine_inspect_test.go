package baton_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// captureEngine keeps the Host it is attached to and the first envelope sent, and loses every
// message (so that Close finds nothing in flight).
type captureEngine struct {
	h   baton.Host
	env chan baton.Envelope
}

func (e *captureEngine) Strategy() baton.Strategy  { return baton.Orchestrated }
func (e *captureEngine) Attach(h baton.Host) error { e.h = h; return nil }
func (e *captureEngine) Close() error              { return nil }
func (e *captureEngine) Send(_ context.Context, env baton.Envelope) error {
	e.env <- env
	return nil
}

// Inspect reads an envelope's deadline and whether its pending action is a compensation, and
// refuses what it cannot read.
func TestInspect(t *testing.T) {
	e := &captureEngine{env: make(chan baton.Envelope, 1)}
	p, err := baton.New([]baton.Stage[int]{
		baton.Func("a", func(_ context.Context, v int) (int, error) { return v, nil }),
	}, baton.WithEngine(e), baton.WithMessageTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan error, 1)
	go func() { _, err := p.Process(context.Background(), 1); done <- err }()
	env := <-e.env
	info, err := baton.Inspect(e.h, env)
	if err != nil {
		t.Fatal(err)
	}
	if info.Compensating {
		t.Error("the first step reported as a compensation")
	}
	if d := time.Until(info.Deadline); d < 59*time.Minute || d > time.Hour {
		t.Errorf("deadline in %v, want the message timeout's hour", d)
	}
	bad := env
	bad.State = []byte("not a state")
	if _, err := baton.Inspect(e.h, bad); !errors.Is(err, baton.ErrEngine) {
		t.Errorf("undecodable state: %v, want ErrEngine", err)
	}
	if _, err := baton.Inspect(nil, env); !errors.Is(err, baton.ErrEngine) {
		t.Errorf("no host: %v, want ErrEngine", err)
	}
	next, err := e.h.Step(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.h.Deliver(next); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// An engine that schedules actions itself asks Inspect whether the pending action is a
// compensation (never to be cut short) and when the message's deadline is.
func ExampleInspect() {
	e := &captureEngine{env: make(chan baton.Envelope, 1)}
	p, _ := baton.New([]baton.Stage[int]{
		baton.Func("a", func(_ context.Context, v int) (int, error) { return v + 1, nil }),
	}, baton.WithEngine(e))
	defer p.Close()
	go func() {
		env := <-e.env
		info, _ := baton.Inspect(e.h, env)
		fmt.Println("compensating:", info.Compensating, "deadline:", !info.Deadline.IsZero())
		next, _ := e.h.Step(context.Background(), env)
		_ = e.h.Deliver(next)
	}()
	out, err := p.Process(context.Background(), 1)
	fmt.Println(out, err)
	// Output:
	// compensating: false deadline: false
	// 2 <nil>
}
