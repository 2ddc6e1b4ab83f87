package conductor

import (
	"context"
	"fmt"
	"maps"

	"github.com/baton-go/baton"
)

// setVariableTask is a SET_VARIABLE task's stage: each input parameter becomes a workflow
// variable, seen by later tasks as ${workflow.variables.name}. In a fork branch, the change is
// seen by the branch at once and by the rest of the workflow after the join.
func (w *Workflow) setVariableTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		n := completed(s, slip, ct, id, iter, in, nil)
		n.vars = cloneVars(s.vars)
		maps.Copy(n.vars, deepCopy(in).(map[string]any))
		return n, nil
	}
}

// terminateTask is a TERMINATE task's stage: it ends the run (the slip ends here; in a fork
// branch or loop, the whole run ends) with terminationStatus (COMPLETED, FAILED or TERMINATED),
// terminationReason, and workflowOutput as the run's output (an object as it is, any other
// value under the key "output").
func (w *Workflow) terminateTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		end, out, err := readTermination(in, ct.ref)
		if err != nil {
			return nil, baton.Permanent(err)
		}
		n := completed(s, slip, ct, id, iter, in, out)
		n.end = end
		slip.End()
		return n, nil
	}
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
	return end, map[string]any{"output": deepCopy(output)}, nil
}
