package e2e

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
)

// TestMessageTimeoutCutsARunningStep: on the real server a message's deadline cuts its running
// step short and the step's own result is awaited (the activity waits for its cancellation),
// so the log says the step failed by the timeout, and the steps before it are compensated —
// the log in-process gives. (The SDK's test environment resolves a cancelled activity at once,
// so the unit test cannot check this entry.)
func TestMessageTimeoutCutsARunningStep(t *testing.T) {
	eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(newQueue("timeout")))
	if err != nil {
		t.Fatal(err)
	}
	var undone atomic.Int64
	stages := []baton.Stage[job]{
		baton.Compensable(baton.Func("a", func(_ context.Context, j job) (job, error) {
			j.Trail = append(j.Trail, "a")
			return j, nil
		}), func(context.Context, job) error { undone.Add(1); return nil }),
		baton.Func("slow", func(ctx context.Context, j job) (job, error) {
			select {
			case <-time.After(time.Minute):
				return j, nil
			case <-ctx.Done():
				return j, ctx.Err()
			}
		}),
	}
	p, err := baton.New(stages, baton.WithEngine(eng), baton.WithMessageTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	r := p.ProcessResult(context.Background(), job{N: 1})
	if !errors.Is(r.Err, baton.ErrTimeout) || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Fatalf("error %v: want baton.ErrTimeout and context.DeadlineExceeded", r.Err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the message took %v with a 2 s deadline", took)
	}
	log := r.Log
	if len(log) != 3 || log[0].Stage != "a" || log[1].Stage != "slow" || log[1].Outcome != baton.Failed ||
		!errors.Is(log[1].Err, baton.ErrTimeout) || log[2].Outcome != baton.Compensated {
		t.Errorf("log %s: want a succeeded, slow failed by the timeout, a compensated", logText(log))
	}
	if undone.Load() != 1 {
		t.Errorf("%d compensations of a, want 1", undone.Load())
	}
}
