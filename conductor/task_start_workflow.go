package conductor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/baton-go/baton"
)

// startWorkflowTask is a START_WORKFLOW task: it starts the workflow inputParameters.startWorkflow
// describes — {"name", "version", "input", "correlationId"} (the correlation id defaults to
// the run's), the definition registered with WithDefinitions, or the one its "workflowDef"
// gives inline (compiled at each start) — and completes at once with
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
	inline, hasDef := req["workflowDef"].(map[string]any)
	if name == "" && !hasDef {
		return nil, baton.Permanent(fmt.Errorf("startWorkflow.name: required"))
	}
	version, _ := req["version"].(float64)
	var child *Workflow
	var err error
	if hasDef {
		child, err = w.inlineChild(inline)
	} else {
		child, err = w.child(name, int(version))
	}
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
		if hasDef {
			w.dropInline(child)
		}
		return nil, baton.Permanent(fmt.Errorf("startWorkflow %q: %w", child.def.Name, err))
	}
	if hasDef {
		go func() { // the inline definition's workflow lives as long as its run
			<-h.Done()
			w.dropInline(child)
		}()
	}
	return x.done(s, slip, map[string]any{"workflowId": h.ID()}), nil
}

// inlineChild compiles the workflow definition a START_WORKFLOW request gives inline
// (workflowDef), kept among the workflow's children until its run ends (see dropInline), so
// that Close stops it.
func (w *Workflow) inlineChild(def map[string]any) (*Workflow, error) {
	data, _ := json.Marshal(def)
	d, err := ParseWorkflow(data)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s@%d#inline%d", d.Name, d.Version, inlineSeq.Add(1))
	c, err := compileWorkflow(w.cfg, d, []string{key})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		c.Close()
		return nil, ErrClosed
	}
	if w.dynamic == nil {
		w.dynamic = map[string]*Workflow{}
	}
	w.dynamic[key] = c
	return c, nil
}

// inlineSeq numbers the inline definitions' workflows.
var inlineSeq atomic.Int64

// dropInline forgets the inline definition's workflow c and closes it.
func (w *Workflow) dropInline(c *Workflow) {
	w.mu.Lock()
	for k, v := range w.dynamic {
		if v == c {
			delete(w.dynamic, k)
		}
	}
	w.mu.Unlock()
	c.Close()
}
