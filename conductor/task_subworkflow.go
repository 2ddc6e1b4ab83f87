package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// subWorkflowTask is a SUB_WORKFLOW task's stage: it runs the child definition (registered
// with WithDefinitions, or inline) to its end with the task's input as the child's input, and
// outputs the child's output plus "subWorkflowId". A child that does not complete fails the
// task (which is retried as its policy says). The child's tasks are in its own log, not the
// parent's. A name given by an expression is looked up, and compiled, at its first run.
func (w *Workflow) subWorkflowTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		child, name := ct.sub, ""
		if child == nil {
			v, err := (&resolver{s: s, taskID: id, strict: w.cfg.strict}).template(ct.subName)
			if err != nil {
				return nil, baton.Permanent(fmt.Errorf("subWorkflowParam.name: %w", err))
			}
			name, _ = v.(string)
			if child, err = w.child(name, ct.subVer); err != nil {
				return nil, baton.Permanent(fmt.Errorf("subWorkflowParam.name: %w", err))
			}
		}
		out, err := w.runChild(ctx, s, child, child.def.Name, id, in)
		if err != nil {
			return nil, err
		}
		return completed(s, slip, ct, id, iter, in, out), nil
	}
}

// runChild runs a sub-workflow for the task id of the run s.
func (w *Workflow) runChild(ctx context.Context, s *state, child *Workflow, name, id string, in map[string]any) (map[string]any, error) {
	depth := s.run.subDepth + 1
	if depth > w.cfg.maxDepth {
		return nil, baton.Permanent(fmt.Errorf("%w: sub-workflow %q nested %d deep (WithMaxDepth)", ErrLimit, name, depth))
	}
	ri := &runInfo{
		workflowID: id, correlationID: s.run.correlationID,
		parentID: s.run.workflowID, parentTaskID: id, subDepth: depth,
	}
	e, err := child.run(ctx, in, ri)
	if e == nil {
		return nil, baton.Permanent(err)
	}
	if err != nil {
		return nil, fmt.Errorf("sub-workflow %q (%s) ended %s: %w", name, e.WorkflowID, e.Status, err)
	}
	out := copyMap(e.Output)
	if out == nil {
		out = map[string]any{}
	}
	out["subWorkflowId"] = e.WorkflowID
	return out, nil
}
