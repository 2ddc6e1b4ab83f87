package conductor

import (
	"context"
	"fmt"
	"strings"

	"github.com/baton-go/baton"
)

// startWorkflowTask is a START_WORKFLOW task: it starts the workflow inputParameters.startWorkflow
// describes — {"name", "version", "input", "correlationId"} (the correlation id defaults to
// the run's), the definition registered with WithDefinitions — and completes at once with
// {"workflowId": its id}, without waiting for it, as Conductor does. The started run is
// independent of the one that started it: it goes on when that one ends, Runtime.Lookup finds
// it by its id, and it stops when the starting Workflow is closed. A missing or unknown
// workflow fails the task without retries (a literal name is checked at load).
type startWorkflowTask struct{ ctask }

func (t *startWorkflowTask) compile(c *compiler, _ place) {
	field := "inputParameters.startWorkflow"
	sw, ok := t.wt.InputParameters["startWorkflow"]
	if !ok {
		c.fail(t.ref, field, fmt.Errorf("%w: required for %s", ErrMalformed, TypeStartWorkflow))
		return
	}
	m, isMap := sw.(map[string]any)
	if !isMap {
		return // an expression: known at run time
	}
	name, _ := m["name"].(string)
	if name == "" && m["name"] == nil {
		c.fail(t.ref, field+".name", fmt.Errorf("%w: required for %s", ErrMalformed, TypeStartWorkflow))
		return
	}
	if name != "" && !strings.Contains(name, "${") {
		version, _ := m["version"].(float64)
		if c.cfg.lookup(name, int(version)) == nil {
			c.fail(t.ref, field+".name", fmt.Errorf("%w %q version %d (see WithDefinitions)", ErrUnknownWorkflow, name, int(version)))
		}
	}
}

func (t *startWorkflowTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return t.runDynamic(ctx, w, s, slip, t.wt, &x)
	}
}

func (t *startWorkflowTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *startWorkflowTask) runDynamic(_ context.Context, w *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	req, ok := x.in["startWorkflow"].(map[string]any)
	if !ok {
		return nil, baton.Permanent(fmt.Errorf("missing 'startWorkflow' in input data (want an object, got %s)", caseText(x.in["startWorkflow"])))
	}
	name, _ := req["name"].(string)
	if name == "" {
		return nil, baton.Permanent(fmt.Errorf("startWorkflow.name: required"))
	}
	version, _ := req["version"].(float64)
	child, err := w.child(name, int(version))
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("startWorkflow: %w", err))
	}
	input, _ := req["input"].(map[string]any)
	corr, _ := req["correlationId"].(string)
	if corr == "" {
		corr = s.run.correlationID
	}
	h, err := child.Start(child.quit.context(), input, WithCorrelationID(corr))
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("startWorkflow %q: %w", name, err))
	}
	return x.done(s, slip, map[string]any{"workflowId": h.ID()}), nil
}
