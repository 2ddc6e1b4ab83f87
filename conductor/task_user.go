package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// TaskHandler runs the tasks of one user-provided task type (see WithTaskHandler): it
// receives the task, its resolved input included (its own copy), and returns the task's
// output; an error fails the attempt, and the task is retried as its task definition says
// (wrap it with baton.Permanent to fail at once). Handlers are called concurrently, by many
// runs and fork branches at once, and must be safe for that; ctx is cancelled when the run is
// or the task's timeoutSeconds runs out. The output is copied and normalized to JSON values.
type TaskHandler func(ctx context.Context, task *TaskRequest) (map[string]any, error)

// TaskRequest is one execution of a task of a user-provided type, as its handler receives it.
type TaskRequest struct {
	Type       string         // the task's type: "LLM_CHAT_COMPLETE"
	Name       string         // its name
	Ref        string         // its taskReferenceName
	TaskID     string         // its task id
	WorkflowID string         // the run's workflow id
	Iteration  int            // its DO_WHILE iteration (0 outside loops)
	Input      map[string]any // its resolved input
	// Task is its definition; do not change it.
	Task *WorkflowTask
}

// userTask is a task of a user-provided type: it calls the type's handler.
type userTask struct {
	ctask
	handler TaskHandler
}

func (t *userTask) compile(*compiler, place) {}

func (t *userTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return t.runDynamic(ctx, w, s, slip, t.wt, &x)
	}
}

func (t *userTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *userTask) runDynamic(ctx context.Context, _ *Workflow, s *state, slip *baton.Slip, wt *WorkflowTask, x *execution) (*state, error) {
	out, err := t.handler(ctx, &TaskRequest{
		Type: x.typ, Name: x.name, Ref: x.ref, TaskID: x.id, WorkflowID: s.run.workflowID,
		Iteration: x.iter, Input: copyMap(x.in), Task: wt,
	})
	if err != nil {
		return nil, err
	}
	if out, err = normalizeMap(out); err != nil {
		return nil, baton.Permanent(fmt.Errorf("%s handler output: %w", x.typ, err))
	}
	return x.done(s, slip, out), nil
}
