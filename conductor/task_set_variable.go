package conductor

import (
	"context"
	"maps"

	"github.com/baton-go/baton"
)

// setVariableTask is a SET_VARIABLE task: each input parameter becomes a workflow variable,
// seen by later tasks as ${workflow.variables.name}. In a fork branch, the change is seen by the
// branch at once and by the rest of the workflow after the join (see setVariables).
type setVariableTask struct{ ctask }

func (t *setVariableTask) compile(*compiler, place) {}

func (t *setVariableTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return setVariable(s, slip, &x), nil
	}
}

func (t *setVariableTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *setVariableTask) runDynamic(_ context.Context, _ *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	return setVariable(s, slip, x), nil
}

// setVariable returns s with x recorded and its input set as variables.
func setVariable(s *state, slip *baton.Slip, x *execution) *state {
	n := x.done(s, slip, nil)
	n.vars = cloneVars(s.vars)
	maps.Copy(n.vars, deepCopy(x.in).(map[string]any))
	return n
}

// setVariables returns the variables that the task of log entry e set, if it is a completed
// SET_VARIABLE: a fork merging its branches sets them in the fork's state.
func setVariables(e TaskRun) (map[string]any, bool) {
	if e.Type != TypeSetVariable || e.Status != TaskCompleted {
		return nil, false
	}
	return e.Input, true
}
