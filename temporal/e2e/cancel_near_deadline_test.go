package e2e

import (
	"context"
	"errors"
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
// It failed while the activity took any cancellation that came less than a heartbeat before
// the message's deadline for the deadline's timer and left the step to its deadline: the
// activity now ends the step's context on every cancellation, and the first cause stands (a
// timer's comes after the step's own deadline has ended it).
func TestCancelNearDeadlineIsACancellation(t *testing.T) {
	queue := newQueue("cancelnear")
	eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(queue), batontemporal.WithKeyAsIdentity(),
		batontemporal.WithWorkflowIDPrefix(queue+"-"), batontemporal.WithHeartbeat(8*time.Second))
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
	r, took := cancelWhileRunning(t, p, eng.WorkflowID(0, "near"), started)
	if !errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, baton.ErrTimeout) {
		t.Errorf("error %v: want it to match context.Canceled, not baton.ErrTimeout", r.Err)
	}
	if took > 4*time.Second {
		t.Errorf("the result came %v after the cancellation: the step ran on to its deadline", took)
	}
}
