package conductor

import (
	"context"

	"github.com/baton-go/baton"
)

// humanTask is a HUMAN task: it waits, IN_PROGRESS in Conductor's terms, until an update from
// outside the run completes or fails it (Handle.CompleteTask, FailTask, UpdateTask); its output
// is what the updates gave it. See wait.go.
type humanTask struct{ ctask }

func (t *humanTask) compile(c *compiler, _ place) { c.waitingOptions(&t.ctask) }

func (t *humanTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return t.runDynamic(ctx, w, s, slip, t.wt, &x)
	}
}

func (t *humanTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *humanTask) runDynamic(ctx context.Context, _ *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	out, err := awaitUpdate(ctx, s, x, noDeadline, nil)
	if err != nil {
		return nil, err
	}
	return x.done(s, slip, out), nil
}
