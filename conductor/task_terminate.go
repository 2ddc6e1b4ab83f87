package conductor

import (
	"context"
	"fmt"
	"strings"

	"github.com/baton-go/baton"
)

// terminateTask is a TERMINATE task: it ends the run (the slip ends here; in a fork branch or
// loop, the whole run ends) with terminationStatus (COMPLETED, FAILED or TERMINATED),
// terminationReason (by default "Workflow is STATUS by TERMINATE task: ID", as Conductor
// says), and workflowOutput as its output and the run's (an object as it is, any other value
// under the key "output"), whatever the definition's outputParameters say.
type terminateTask struct{ ctask }

func (t *terminateTask) compile(c *compiler, _ place) {
	v, ok := t.wt.InputParameters["terminationStatus"]
	if !ok {
		c.fail(t.ref, "inputParameters.terminationStatus", fmt.Errorf("%w: required for %s", ErrMalformed, TypeTerminate))
		return
	}
	if s, isStr := v.(string); isStr && !strings.Contains(s, "${") {
		switch Status(s) {
		case StatusCompleted, StatusFailed, StatusTerminated:
		default:
			c.fail(t.ref, "inputParameters.terminationStatus", fmt.Errorf("%w: %q (want COMPLETED, FAILED or TERMINATED)", ErrMalformed, s))
		}
	}
}

func (t *terminateTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return terminate(s, slip, &x)
	}
}

func (t *terminateTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *terminateTask) runDynamic(_ context.Context, _ *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	return terminate(s, slip, x)
}

// terminate returns s with x recorded and the run's end set, and ends the slip.
func terminate(s *state, slip *baton.Slip, x *execution) (*state, error) {
	end, out, err := readTermination(x.in, x.ref)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	end.taskID = x.id
	if end.reason == "" {
		end.reason = fmt.Sprintf("Workflow is %s by TERMINATE task: %s", end.status, x.id) // as Conductor says it
	}
	n := x.done(s, slip, out)
	n.end = end
	slip.End()
	return n, nil
}

// readTermination reads a TERMINATE task's resolved input: the run's end, and the task's output.
func readTermination(in map[string]any, ref string) (*termination, map[string]any, error) {
	status, _ := in["terminationStatus"].(string)
	switch Status(status) {
	case StatusCompleted, StatusFailed, StatusTerminated:
	default:
		return nil, nil, fmt.Errorf("terminationStatus %q: want COMPLETED, FAILED or TERMINATED", status)
	}
	reason, _ := in["terminationReason"].(string)
	var output map[string]any
	if wo, ok := in["workflowOutput"]; ok {
		if m, isMap := wo.(map[string]any); isMap {
			output = m
		} else {
			output = map[string]any{"output": wo}
		}
	}
	end := &termination{status: Status(status), reason: reason, output: output, task: ref}
	// Conductor: the task's output is the workflowOutput (an object as it is, another value
	// under "output"), which becomes the run's.
	out := copyMap(output)
	if out == nil {
		out = map[string]any{}
	}
	return end, out, nil
}
