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

// TestCancelledWorkflowCompensates: on the real server, cancelling a message's workflow
// (client.CancelWorkflow with its ID) while a step runs cuts that step short — its context
// ends, and its own result, awaited, says it failed with context.Canceled — runs no further
// step, and compensates the completed ones in a context the cancellation does not reach; the
// message gets one result.
//
// With local steps only the result is checked: the running step is not cut (cancelling a
// local activity abandons its result), and when the cancellation arrives while the workflow
// task that ran the local steps completes the workflow, the server refuses that completion
// (WorkflowTaskFailed, UnhandledCommand) and with it the steps' recorded results; the workflow
// runs again from its last recorded step with the cancellation in view, so the steps run in
// the refused task are neither recorded nor compensated (README, "Across processes").
func TestCancelledWorkflowCompensates(t *testing.T) {
	for _, local := range []bool{false, true} {
		name := "activity"
		if local {
			name = "local"
		}
		t.Run(name, func(t *testing.T) { testCancelledWorkflow(t, local) })
	}
}

func testCancelledWorkflow(t *testing.T, local bool) {
	queue := newQueue("cancel")
	opts := []batontemporal.Option{batontemporal.WithTaskQueue(queue), batontemporal.WithKeyAsIdentity(),
		batontemporal.WithWorkflowIDPrefix(queue + "-"), batontemporal.WithHeartbeat(time.Second)}
	if local {
		opts = append(opts, batontemporal.WithLocalSteps())
	}
	eng, err := batontemporal.New(defaultClient(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	var compensated, never atomic.Int64
	stages := []baton.Stage[job]{
		baton.Compensable(baton.Func("a", func(_ context.Context, j job) (job, error) {
			j.Trail = append(j.Trail, "a")
			return j, nil
		}), func(ctx context.Context, _ job) error {
			if ctx.Err() == nil {
				compensated.Add(1)
			}
			return nil
		}),
		baton.Func("slow", func(ctx context.Context, j job) (job, error) {
			started <- struct{}{}
			select {
			case <-time.After(5 * time.Second):
				return j, nil
			case <-ctx.Done():
				return j, ctx.Err()
			}
		}),
		baton.Func("never", func(_ context.Context, j job) (job, error) { never.Add(1); return j, nil }),
	}
	p, err := baton.New(stages, baton.WithEngine(eng), baton.WithKey(func(job) string { return "cancelled" }))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, took := cancelWhileRunning(t, p, eng.WorkflowID(0, "cancelled"), started)
	if !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("error %v: want it to match context.Canceled", r.Err)
	}
	log := r.Log
	cut := len(log) == 3 && log[1].Stage == "slow" && log[1].Outcome == baton.Failed && errors.Is(log[1].Err, context.Canceled)
	if local {
		return
	}
	switch {
	case !cut || log[0].Stage != "a" || log[2].Stage != "a" || log[2].Outcome != baton.Compensated:
		t.Errorf("log %s: want a, slow cut short by the cancellation, a compensated", logText(log))
	case took > 4*time.Second:
		t.Errorf("the cut step's result came %v after the cancellation: slow ran to its end", took)
	}
	if compensated.Load() != 1 || never.Load() != 0 {
		t.Errorf("%d compensations with a live context (want 1), %d runs of the step after (want 0)", compensated.Load(), never.Load())
	}
}

// cancelWhileRunning processes one message through p and, once its step has sent on started,
// cancels the message's workflow id: it returns the message's result and how long after the
// cancellation it came.
func cancelWhileRunning(t *testing.T, p *baton.Pipeline[job], id string, started <-chan struct{}) (baton.Result[job], time.Duration) {
	t.Helper()
	res := make(chan baton.Result[job], 1)
	go func() { res <- p.ProcessResult(context.Background(), job{N: 1}) }()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the step never started")
	}
	start := time.Now()
	if err := defaultClient().CancelWorkflow(context.Background(), id, ""); err != nil {
		t.Fatal(err)
	}
	r := <-res
	took := time.Since(start)
	t.Logf("result %v after %v: log\n%s", r.Err, took, logText(r.Log))
	return r, took
}
