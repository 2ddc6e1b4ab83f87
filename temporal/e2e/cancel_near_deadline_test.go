package e2e

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
)

// TestCancelNearDeadlineIsACancellation: a message's workflow cancelled while its step runs,
// when the message's deadline is nearer than a heartbeat, is still a cancellation: the step is
// cut short at once and the message fails with context.Canceled, as in process — not left to
// run on to its deadline and fail with the timeout.
//
// It fails: the activity's watch takes any cancellation that comes less than a heartbeat
// before the message's deadline for the deadline's timer (Engine.timerCut), and leaves the
// step to its deadline. Unskip it with the fix.
func TestCancelNearDeadlineIsACancellation(t *testing.T) {
	if os.Getenv("BATON_KNOWN_FAILING") == "" {
		t.Skip("known failing (review finding): a cancellation less than a heartbeat before the deadline is taken for the timer; BATON_KNOWN_FAILING=1 runs it")
	}
	queue := newQueue("cancelnear")
	eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(queue), batontemporal.WithKeyAsIdentity(),
		batontemporal.WithWorkflowIDPrefix(queue+"-"), batontemporal.WithHeartbeat(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	stages := []baton.Stage[job]{
		baton.Func("slow", func(ctx context.Context, j job) (job, error) {
			started <- struct{}{}
			select {
			case <-time.After(20 * time.Second):
				return j, nil
			case <-ctx.Done():
				return j, ctx.Err()
			}
		}),
	}
	p, err := baton.New(stages, baton.WithEngine(eng), baton.WithKey(func(job) string { return "near" }),
		baton.WithMessageTimeout(6*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res := make(chan baton.Result[job], 1)
	go func() { res <- p.ProcessResult(context.Background(), job{N: 1}) }()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("slow never started")
	}
	start := time.Now()
	if err := defaultClient().CancelWorkflow(context.Background(), eng.WorkflowID(0, "near"), ""); err != nil {
		t.Fatal(err)
	}
	r := <-res
	took := time.Since(start)
	t.Logf("result %v after %v: log\n%s", r.Err, took, logText(r.Log))
	if !errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, baton.ErrTimeout) {
		t.Errorf("error %v: want it to match context.Canceled, not baton.ErrTimeout", r.Err)
	}
	if took > 4*time.Second {
		t.Errorf("the result came %v after the cancellation: the step ran on to its deadline", took)
	}
}
