package conductor

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/baton-go/baton"
)

// subWorkflowTask is a SUB_WORKFLOW task: it runs the child definition (registered with
// WithDefinitions, or inline) to its end with the task's input as the child's input, and
// outputs the child's output plus "subWorkflowId". A child that does not complete fails the
// task (which is retried as its policy says). The child's tasks are in its own log, not the
// parent's. A name given by an expression is looked up, and compiled, at its first run.
type subWorkflowTask struct {
	ctask
	sub     *Workflow // the child, when compiled at load (inline, or a literal name) ...
	subName *template // ... or its name, to resolve at each run ...
	subDef  *template // ... or its definition, an expression, to resolve and compile at each run
	subVer  int
}

func (t *subWorkflowTask) compile(c *compiler, _ place) {
	p := t.wt.SubWorkflowParam
	if p == nil || (p.Name == "" && p.WorkflowDefinition == nil && p.WorkflowDefinitionExpr == "") {
		c.fail(t.ref, "subWorkflowParam.name", fmt.Errorf("%w: a name or a workflowDefinition is required for %s", ErrMalformed, TypeSubWorkflow))
		return
	}
	t.subVer = p.Version
	if p.WorkflowDefinition == nil && p.WorkflowDefinitionExpr != "" {
		tm, err := parseTemplate(p.WorkflowDefinitionExpr)
		if err != nil {
			c.fail(t.ref, "subWorkflowParam.workflowDefinition", err)
			return
		}
		if _, literal := tm.literal(); literal {
			c.fail(t.ref, "subWorkflowParam.workflowDefinition", fmt.Errorf("%w: a string workflowDefinition must be an expression (${…}) whose value is the definition", ErrMalformed))
			return
		}
		t.subDef = tm
		return
	}
	if p.WorkflowDefinition != nil {
		t.sub = c.child(&t.ctask, p.WorkflowDefinition, true)
		return
	}
	tm, err := parseTemplate(p.Name)
	if err != nil {
		c.fail(t.ref, "subWorkflowParam.name", err)
		return
	}
	name, literal := tm.literal()
	if !literal {
		t.subName = tm
		return
	}
	def := c.cfg.lookup(name, p.Version)
	if def == nil {
		c.fail(t.ref, "subWorkflowParam.name", fmt.Errorf("%w %q version %d (see WithDefinitions)", ErrUnknownWorkflow, name, p.Version))
		return
	}
	t.sub = c.child(&t.ctask, def, false)
}

// child compiles a sub-workflow at load, refusing cycles of registered definitions. An inline
// one cannot make a cycle (it is part of its parent's text), whatever its name: Conductor's
// definitions nest inline children named like their parents.
func (c *compiler) child(ct *ctask, def *WorkflowDef, inline bool) *Workflow {
	key := fmt.Sprintf("%s@%d", def.Name, def.Version)
	if !inline && slices.Contains(c.stack, key) {
		c.fail(ct.ref, "subWorkflowParam.name", fmt.Errorf("%w: sub-workflow cycle %s -> %s", ErrMalformed, strings.Join(c.stack, " -> "), key))
		return nil
	}
	w, err := compileWorkflow(c.cfg, def, append(slices.Clone(c.stack), key))
	if err != nil {
		c.fail(ct.ref, "subWorkflowParam", err)
		return nil
	}
	c.w.children = append(c.w.children, w)
	return w
}

// exprs yields the expressions of a name to resolve at run time.
func (t *subWorkflowTask) exprs(yield func(field string, p *path)) {
	if t.subDef != nil {
		t.subDef.paths(func(p *path) { yield("subWorkflowParam.workflowDefinition", p) })
	}
	if t.subName == nil {
		return
	}
	t.subName.paths(func(p *path) { yield("subWorkflowParam.name", p) })
}

func (t *subWorkflowTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		child := t.sub
		if t.subDef != nil {
			if child, err = w.childFrom(s, x.id, t.subDef); err != nil {
				return nil, baton.Permanent(fmt.Errorf("subWorkflowParam.workflowDefinition: %w", err))
			}
			defer child.Close()
		} else if child == nil {
			v, err := (&resolver{s: s, taskID: x.id, strict: w.cfg.strict}).template(t.subName)
			if err != nil {
				return nil, baton.Permanent(fmt.Errorf("subWorkflowParam.name: %w", err))
			}
			name, _ := v.(string)
			if child, err = w.child(name, t.subVer); err != nil {
				return nil, baton.Permanent(fmt.Errorf("subWorkflowParam.name: %w", err))
			}
		}
		out, err := w.runChild(ctx, s, child, child.def.Name, x.id, x.in)
		if err != nil {
			return nil, err
		}
		return x.done(s, slip, out), nil
	}
}

// checkDynamic: a dynamic fork runs registered definitions only, by their name as given (not
// an expression).
func (t *subWorkflowTask) checkDynamic(_ *Workflow, wt *WorkflowTask) error {
	if wt.SubWorkflowParam == nil || wt.SubWorkflowParam.Name == "" {
		return fmt.Errorf("%w: subWorkflowParam.name is required (a dynamic fork runs registered definitions only)", ErrMalformed)
	}
	return nil
}

func (t *subWorkflowTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, wt *WorkflowTask, x *execution) (*state, error) {
	p := wt.SubWorkflowParam
	child, err := w.child(p.Name, p.Version)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	out, err := w.runChild(ctx, s, child, p.Name, x.id, x.in)
	if err != nil {
		return nil, err
	}
	return x.done(s, slip, out), nil
}

// childFrom compiles the sub-workflow whose definition is the value of tm on s (a map, or a
// definition's JSON text). Its errors are the definition's.
func (w *Workflow) childFrom(s *state, id string, tm *template) (*Workflow, error) {
	v, err := (&resolver{s: s, taskID: id, strict: w.cfg.strict}).template(tm)
	if err != nil {
		return nil, err
	}
	var data []byte
	switch v := v.(type) {
	case map[string]any:
		data, _ = json.Marshal(v)
	case string:
		data = []byte(v)
	default:
		return nil, fmt.Errorf("%w: the value is not a workflow definition: %s", ErrMalformed, caseText(v))
	}
	def, err := ParseWorkflow(data)
	if err != nil {
		return nil, err
	}
	return compileWorkflow(w.cfg, def, []string{fmt.Sprintf("%s@%d", def.Name, def.Version)})
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
	out := copyMap(e.Output)
	if out == nil {
		out = map[string]any{}
	}
	out["subWorkflowId"] = e.WorkflowID
	if err != nil {
		// As Conductor's SubWorkflow task: the failed task keeps the sub-workflow's output and
		// id, and says why it ended.
		swe := &subWorkflowError{text: fmt.Sprintf("Sub workflow %s.%d/%s failure reason: %s", child.def.Name, child.def.Version, e.WorkflowID, e.Reason), err: err, status: e.Status}
		if e.Status == StatusTerminated && ctx.Err() == nil {
			// Terminated on its own (Handle.Terminate, a TERMINATE task): the task is
			// CANCELED and the run TERMINATED, as in Conductor.
			swe.canceled = true
		}
		err = swe
		return nil, &failedOutput{err: err, output: out}
	}
	return out, nil
}

// subWorkflowError is a sub-workflow's end as its SUB_WORKFLOW task's error: Conductor's
// reasonForIncompletion as text, the sub-workflow's error (ErrTaskFailed, ErrTerminated,
// ErrTimedOut ...) to match.
type subWorkflowError struct {
	text     string
	err      error
	status   Status // the sub-workflow's
	canceled bool   // it was terminated on its own: the task is CANCELED
}

func (e *subWorkflowError) Error() string { return e.text }
func (e *subWorkflowError) Unwrap() error { return e.err }

// Is makes the task of a sub-workflow terminated on its own CANCELED (see failedEntry).
func (e *subWorkflowError) Is(target error) bool { return e.canceled && target == context.Canceled }
