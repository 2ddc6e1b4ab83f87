package baton_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// These tests are about Pipeline.run, the orchestrator's loop over the plain steps of a message
// on the shared default itinerary (step.go): each rule it keeps without looking at each step —
// where the plain steps end, the hop limit, a stop, a panic — is checked at a step in the middle
// of a run, with a context.Background message (the case run takes). Both strategies run them.

// runStages returns n stages s0..s(n-1) that add 1 to the message and count their visits; at
// stage at (when >= 0) do is called instead of returning at once.
func runStages(n, at int, visits []atomic.Int32, do func(v int) (int, error), opts map[int][]baton.StageOption) []baton.Stage[int] {
	out := make([]baton.Stage[int], n)
	for i := range out {
		out[i] = baton.Func(fmt.Sprintf("s%d", i), func(_ context.Context, v int) (int, error) {
			visits[i].Add(1)
			if i == at {
				return do(v)
			}
			return v + 1, nil
		}, opts[i]...)
	}
	return out
}

// The hop limit ends a run in its middle: exactly limit steps run, and the message fails with
// ErrHopLimit — also when the run starts after a step that is not plain.
func TestRunHopLimit(t *testing.T) {
	for _, strat := range strategies {
		for _, capped := range []int{-1, 1} {
			t.Run(fmt.Sprint(strat, capped), func(t *testing.T) {
				visits := make([]atomic.Int32, 8)
				opts := map[int][]baton.StageOption{capped: {baton.Workers(1)}}
				p, err := baton.New(runStages(8, -1, visits, nil, opts), baton.WithStrategy(strat), baton.WithHopLimit(5))
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				_, err = p.Process(context.Background(), 0)
				if !errors.Is(err, baton.ErrHopLimit) {
					t.Fatalf("err %v, want ErrHopLimit", err)
				}
				for i := range visits {
					if got, want := visits[i].Load(), int32(min(1, max(0, 5-i))); got != want {
						t.Errorf("stage s%d ran %d times, want %d", i, got, want)
					}
				}
			})
		}
	}
}

// A run stops at the first step that is not plain (a Workers cap, a retry policy), which the
// strategy takes, and goes on after it: every stage runs once, in order.
func TestRunAroundPolicedSteps(t *testing.T) {
	for _, strat := range strategies {
		t.Run(strat.String(), func(t *testing.T) {
			visits := make([]atomic.Int32, 9)
			opts := map[int][]baton.StageOption{
				0: {baton.Workers(2)},
				3: {baton.Retry(baton.RetryPolicy{MaxAttempts: 3})},
				4: {baton.Workers(1)},
				8: {baton.Workers(1)},
			}
			tries := 0
			p, err := baton.New(runStages(9, 3, visits, func(v int) (int, error) {
				if tries++; tries%2 == 1 {
					return v, errors.New("once more")
				}
				return v + 1, nil
			}, opts), baton.WithStrategy(strat))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for range 3 {
				r := p.ProcessResult(context.Background(), 0)
				if r.Err != nil || r.Value != 9 || len(r.Log) != 9 || r.Log[3].Attempts != 2 {
					t.Fatalf("value %d, err %v, log %+v", r.Value, r.Err, r.Log)
				}
			}
		})
	}
}

// A panic in the middle of a run is that step's failure (a *PanicError), logged after the steps
// before it, which are compensated; the next message runs as if nothing happened.
func TestRunPanicMidRun(t *testing.T) {
	for _, strat := range strategies {
		t.Run(strat.String(), func(t *testing.T) {
			visits := make([]atomic.Int32, 6)
			var compensated atomic.Int32
			stages := runStages(6, 3, visits, func(v int) (int, error) {
				if v == 3 {
					panic("mid-run")
				}
				return v + 1, nil
			}, nil)
			stages[1] = baton.WithCompensation(stages[1], func(context.Context, int) error { compensated.Add(1); return nil })
			p, err := baton.New(stages, baton.WithStrategy(strat))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r := p.ProcessResult(context.Background(), 0)
			var pe *baton.PanicError
			if !errors.As(r.Err, &pe) || compensated.Load() != 1 {
				t.Fatalf("err %v (compensated %d), want a *PanicError", r.Err, compensated.Load())
			}
			if logText(r.Log) != "s0:succeeded s1:succeeded s2:succeeded s3:failed s1:compensated " {
				t.Fatalf("log %q", logText(r.Log))
			}
			if visits[4].Load() != 0 {
				t.Fatal("a step after the panic ran")
			}
			if v, err := p.Process(context.Background(), 10); err != nil || v != 16 {
				t.Fatalf("next message: %d %v", v, err)
			}
		})
	}
}

// Shutdown's deadline, passed while a step in the middle of a run is running, stops the message
// before its next step, with ErrAborted, though its context (Background) never ends.
func TestRunStopsAtShutdownDeadline(t *testing.T) {
	for _, strat := range strategies {
		t.Run(strat.String(), func(t *testing.T) {
			visits := make([]atomic.Int32, 6)
			entered, release := make(chan struct{}), make(chan struct{})
			p, err := baton.New(runStages(6, 2, visits, func(v int) (int, error) {
				close(entered)
				<-release
				return v + 1, nil
			}, nil), baton.WithStrategy(strat))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan baton.Result[int])
			go func() { done <- p.ProcessResult(context.Background(), 0) }()
			<-entered
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			if err := p.Shutdown(ctx); !errors.Is(err, baton.ErrAborted) {
				t.Fatalf("Shutdown: %v, want ErrAborted", err)
			}
			close(release)
			r := <-done
			if !errors.Is(r.Err, baton.ErrAborted) || logText(r.Log) != "s0:succeeded s1:succeeded s2:succeeded " {
				t.Fatalf("err %v, log %q", r.Err, logText(r.Log))
			}
			for i := 3; i < 6; i++ {
				if visits[i].Load() != 0 {
					t.Errorf("stage s%d ran after Shutdown's deadline", i)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
