package conductor

import (
	"context"

	"github.com/baton-go/baton"
)

// noopTask is a NOOP task: it completes at once, with an empty output, as Conductor's does.
type noopTask struct{ ctask }

func (t *noopTask) compile(*compiler, place) {}

func (t *noopTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return x.done(s, slip, nil), nil
	}
}

func (t *noopTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *noopTask) runDynamic(_ context.Context, _ *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	return x.done(s, slip, nil), nil
}
