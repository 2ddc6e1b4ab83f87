package baton_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

func r2id(_ context.Context, v int) (int, error) { return v, nil }

// A key function that calls runtime.Goexit for a message Run could not submit does not hang
// Run: the refused message's key is computed before it is numbered.
func TestKeyGoexitOnARefusedMessageDoesNotHangRun(t *testing.T) {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		p, err := baton.New([]baton.Stage[int]{baton.Func("a", r2id)}, baton.WithStrategy(s),
			baton.WithKey(func(v int) string {
				if v == 2 {
					runtime.Goexit()
				}
				return "k"
			}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() {
			n := -1
			defer func() { done <- n }() // also if Run re-raises the Goexit here
			n = 0
			in := func(yield func(int) bool) {
				if !yield(1) {
					return
				}
				cancel() // the next Submit fails: 2 is refused, and reject computes its key
				yield(2)
			}
			for range p.Run(ctx, in) {
				n++
			}
		}()
		select {
		case n := <-done:
			t.Logf("%v: Run returned %d results", s, n)
		case <-time.After(2 * time.Second):
			t.Fatalf("%v: Run hangs after the key function's Goexit on a refused message", s)
		}
		p.Close()
	}
}

var _ = slices.Contains[[]int]

// An observer that calls runtime.Goexit as a message whose stage panicked finishes (inside
// contain's onPanic) ends only that worker: another takes its place, and the stage serves on.
func TestObserverGoexitAfterAStagePanicKeepsTheWorker(t *testing.T) {
	obs := baton.ObserverFunc(func(e baton.Event) {
		if e.Kind == baton.MessageFinished && e.Message == 1 {
			runtime.Goexit()
		}
	})
	p, err := baton.New([]baton.Stage[int]{baton.Func("a", func(_ context.Context, v int) (int, error) {
		if v == 1 {
			panic("boom")
		}
		return v, nil
	})}, baton.WithStrategy(baton.Choreographed), baton.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { go p.Close() }()
	if _, err := p.Process(context.Background(), 1); err == nil {
		t.Fatal("message 1: no error")
	}
	done := make(chan error, 1)
	go func() { _, err := p.Process(context.Background(), 2); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("message 2: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("message 2 hangs: stage a has no worker left after the observer's Goexit in onPanic's dispatch")
	}
}

// An observer's Goexit at StepStarted ends its message (observerExited) and lowers the step's
// Running count again.
func TestObserverGoexitLowersRunning(t *testing.T) {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		obs := baton.ObserverFunc(func(e baton.Event) {
			if e.Kind == baton.StepStarted {
				runtime.Goexit()
			}
		})
		p, err := baton.New([]baton.Stage[int]{baton.Func("a", r2id)}, baton.WithStrategy(s), baton.WithObserver(obs))
		if err != nil {
			t.Fatal(err)
		}
		res := make(chan baton.Result[int], 1)
		st := p.Stream(context.Background())
		st.Submit(context.Background(), 1)
		st.CloseSend()
		for r := range st.Results() {
			res <- r
		}
		t.Logf("%v: %v", s, (<-res).Err)
		p.Close()
		if n := p.Stats().Stages[0].Running; n != 0 {
			t.Errorf("%v: after Close, Stats().Stages[0].Running = %d, want 0", s, n)
		}
	}
}
