package conductor

import (
	"fmt"
	"strings"
)

// resolver evaluates expressions against one state, for the task whose id is taskID.
type resolver struct {
	s      *state
	taskID string
	strict bool
}

// template evaluates a parsed string: the value of a single expression (a copy), or text.
func (r *resolver) template(t *template) (any, error) {
	if t.single {
		v, err := r.value(t.parts[0].expr)
		if err != nil {
			return nil, err
		}
		return deepCopy(v), nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := r.value(p.expr)
		if err != nil {
			return nil, err
		}
		b.WriteString(text(v))
	}
	return b.String(), nil
}

// value evaluates one path, without copying. A path that leads nowhere is null, or an error
// matching ErrUnresolved when strict.
func (r *resolver) value(p *path) (any, error) {
	if p.root == "" {
		return "", nil
	}
	v, ok := r.root(p)
	for i := 0; ok && i < len(p.steps); i++ {
		v, ok = walk(v, p.steps[i])
	}
	if !ok {
		if r.strict {
			return nil, fmt.Errorf("%w: ${%s}", ErrUnresolved, p.src)
		}
		return nil, nil
	}
	return v, nil
}

// root finds the value of the path's root and, for workflow and task roots, its first field
// (consumed from p.steps by returning the value of the field; see walk).
func (r *resolver) root(p *path) (any, bool) {
	if r.s == nil {
		return nil, false
	}
	switch {
	case p.root == "workflow":
		return r.workflowValue(), true
	case p.root == "CPEWF_TASK_ID":
		return r.taskID, true
	case envNames[p.root]:
		return nil, true // no environment access
	}
	ts, ok := r.s.tasks[p.root]
	if !ok {
		return nil, false
	}
	return ts.value(), true
}

// workflowValue is ${workflow} as a map. Cost: a small map per evaluation of a workflow path;
// its values are shared, not copied (the caller copies what it hands out).
func (r *resolver) workflowValue() map[string]any {
	run := r.s.run
	vars := r.s.vars
	if vars == nil {
		vars = map[string]any{}
	}
	m := map[string]any{
		"input":         run.input,
		"output":        map[string]any{},
		"variables":     vars,
		"workflowId":    run.workflowID,
		"correlationId": nilIfEmpty(run.correlationID),
		"status":        string(StatusRunning),
		"createTime":    float64(run.created.UnixMilli()),
		"taskToDomain":  map[string]any{},
	}
	if wf := run.wf; wf != nil {
		m["workflowType"] = wf.def.Name
		m["version"] = float64(wf.def.Version)
		m["schemaVersion"] = float64(wf.def.SchemaVersion)
	}
	if run.parentID != "" {
		m["parentWorkflowId"] = run.parentID
		m["parentWorkflowTaskId"] = run.parentTaskID
	}
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// value is ${ref} as a map.
func (ts *taskState) value() map[string]any {
	m := map[string]any{
		"input":              ts.input,
		"output":             ts.output,
		"taskId":             ts.taskID,
		"status":             string(ts.status),
		"referenceTaskName":  ts.ref,
		"taskType":           ts.typ,
		"taskDefName":        ts.name,
		"retryCount":         float64(0),
		"iteration":          float64(ts.iteration),
		"workflowInstanceId": nil,
	}
	if ts.reason != "" {
		m["reasonForIncompletion"] = ts.reason
	}
	return m
}

// walk takes one step into v.
func walk(v any, s step) (any, bool) {
	if s.isIdx {
		l, ok := v.([]any)
		if !ok {
			return nil, false
		}
		i := s.index
		if i < 0 {
			i += len(l) // JSONPath: [-1] is the last element
		}
		if i < 0 || i >= len(l) {
			return nil, false
		}
		return l[i], true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	x, ok := m[s.key]
	return x, ok
}
