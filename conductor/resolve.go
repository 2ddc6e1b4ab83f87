package conductor

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// resolver evaluates expressions against one state, for the task whose id is taskID.
type resolver struct {
	s      *state
	taskID string
	strict bool
}

// template evaluates a parsed string: the value of a single expression (a copy), or text, each
// value rendered as Conductor's Java renders it (see javaText).
func (r *resolver) template(t *template) (any, error) {
	if t.single {
		v, err := r.part(&t.parts[0])
		if err != nil {
			return nil, err
		}
		return deepCopy(v), nil
	}
	var b strings.Builder
	for i := range t.parts {
		p := &t.parts[i]
		if p.expr == nil && p.nested == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := r.part(p)
		if err != nil {
			return nil, err
		}
		b.WriteString(javaText(v))
	}
	return b.String(), nil
}

// part evaluates one expression; a nested one's path is first resolved as text.
func (r *resolver) part(p *part) (any, error) {
	if p.nested == nil {
		return r.value(p.expr, p.src)
	}
	v, err := r.template(p.nested)
	if err != nil {
		return nil, err
	}
	src := v.(string)
	pp, err := parsePath(src)
	if err != nil {
		if r.strict {
			return nil, fmt.Errorf("%w: %s made the path %q: %w", ErrUnresolved, p.src, src, err)
		}
		return nil, nil // Conductor: a path that cannot be read is null
	}
	return r.value(pp, "${"+src+"}")
}

// value evaluates one path, without copying. A path that leads nowhere is null, or an error
// matching ErrUnresolved when strict. src is the whole expression, as written.
func (r *resolver) value(p *path, src string) (any, error) {
	if p.root == "" && p.query == "" {
		return "", nil
	}
	if p.root == "workflow" && len(p.steps) > 0 && !p.steps[0].isIdx {
		switch p.steps[0].key {
		case "secrets":
			return src, nil // kept as written, as Conductor does; substituted in the task's input (see secretsIn)
		case "env":
			if c := r.cfg(); c != nil && c.env != nil {
				return r.lookup(c.env, p)
			}
		}
	}
	var v any
	var ok bool
	if p.query != "" {
		v, ok = r.query(p)
	} else {
		v, ok = r.rootField(p)
		for i := 1; ok && i < len(p.steps); i++ {
			v, ok = walk(v, p.steps[i])
		}
	}
	if ok && p.fn != "" {
		v, ok = jaywayFunc(p.fn, v)
	}
	if !ok {
		if r.strict {
			return nil, fmt.Errorf("%w: ${%s}", ErrUnresolved, p.src)
		}
		return nil, nil
	}
	return v, nil
}

func (r *resolver) cfg() *config {
	if r.s == nil || r.s.run == nil || r.s.run.wf == nil {
		return nil
	}
	return r.s.run.wf.cfg
}

// lookup resolves ${workflow.env.NAME…} (or secrets) with fn: the value of NAME, and the rest
// of the path read from that value parsed as JSON, as Conductor does.
func (r *resolver) lookup(fn Lookup, p *path) (any, error) {
	var v any
	ok := len(p.steps) > 1 && !p.steps[1].isIdx
	if ok {
		var s string
		s, ok = fn(p.steps[1].key)
		v = s
		if ok && len(p.steps) > 2 {
			var doc any
			ok = json.Unmarshal([]byte(s), &doc) == nil
			v = doc
			for i := 2; ok && i < len(p.steps); i++ {
				v, ok = walk(v, p.steps[i])
			}
		}
	}
	if !ok {
		if r.strict {
			return nil, fmt.Errorf("%w: ${%s}", ErrUnresolved, p.src)
		}
		return nil, nil
	}
	return v, nil
}

// query runs p's JSONPath query on the document Conductor's expressions read: {"workflow": …,
// ref: task …}. Cost: a map per task of the run, for each evaluation.
func (r *resolver) query(p *path) (any, bool) {
	var jp JSONPath
	if c := r.cfg(); c != nil {
		jp = c.jsonPath
	}
	q, err := p.compiled(jp)
	if err != nil || r.s == nil {
		return nil, false // checked at load for the definition's own paths
	}
	doc := make(map[string]any, len(r.s.tasks)+1)
	for ref, ts := range r.s.tasks {
		doc[ref] = ts.value(r.s.run)
	}
	doc["workflow"] = r.workflowValue()
	vals, definite := q.Select(doc)
	if definite {
		if len(vals) == 0 {
			return nil, false
		}
		return vals[0], true
	}
	return append([]any{}, vals...), true
}

// rootField is the value of the path's root and its first step, if any: a task's or the
// workflow's field read without making the whole map (the cost of every ${ref.output…}).
func (r *resolver) rootField(p *path) (any, bool) {
	if len(p.steps) > 0 && !p.steps[0].isIdx && r.s != nil {
		if ts, isTask := r.s.tasks[p.root]; isTask && p.root != "workflow" && !envNames[p.root] {
			switch k := p.steps[0].key; k {
			case "output":
				return ts.output, true
			case "input":
				return ts.input, true
			case "status":
				return string(ts.status), true
			}
		}
	}
	v, ok := r.root(p)
	if ok && len(p.steps) > 0 {
		v, ok = walk(v, p.steps[0])
	}
	return v, ok
}

// root finds the value of the path's root: the workflow's or a task's map, or an environment
// name's value.
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
	return ts.value(r.s.run), true
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

// value is ${ref} as a map, with the fields Conductor gives a task (times in epoch
// milliseconds; 0 for a task that has not started or ended).
func (ts *taskState) value(run *runInfo) map[string]any {
	m := map[string]any{
		"input":                ts.input,
		"output":               ts.output,
		"taskId":               ts.taskID,
		"status":               string(ts.status),
		"referenceTaskName":    ts.ref,
		"taskType":             ts.typ,
		"taskDefName":          ts.name,
		"retryCount":           float64(0),
		"iteration":            float64(ts.iteration),
		"workflowInstanceId":   nil,
		"scheduledTime":        float64(ts.scheduled),
		"startTime":            float64(ts.started),
		"endTime":              float64(ts.ended),
		"pollCount":            float64(0),
		"callbackAfterSeconds": float64(0),
		"workerId":             nil,
		"correlationId":        nil,
	}
	if ts.attempts > 1 {
		m["retryCount"] = float64(ts.attempts - 1)
	}
	if run != nil {
		m["workflowInstanceId"] = run.workflowID
		m["correlationId"] = nilIfEmpty(run.correlationID)
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

// jaywayFunc applies a function of jayway JsonPath that ends a path to its value: length()
// and size() of a list, object or string; min(), max(), avg(), sum(), stddev() of a list of
// numbers; first() and last() of a list; keys() of an object (sorted). Another value gives
// nothing (null).
func jaywayFunc(fn string, v any) (any, bool) {
	switch fn {
	case "length", "size":
		switch v := v.(type) {
		case []any:
			return float64(len(v)), true
		case map[string]any:
			return float64(len(v)), true
		case string:
			return float64(utf8.RuneCountInString(v)), true
		}
	case "first", "last":
		if l, ok := v.([]any); ok && len(l) > 0 {
			if fn == "first" {
				return l[0], true
			}
			return l[len(l)-1], true
		}
	case "keys":
		if m, ok := v.(map[string]any); ok {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = k
			}
			return out, true
		}
	default: // min, max, avg, sum, stddev
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			return nil, false
		}
		nums := make([]float64, 0, len(l))
		for _, x := range l {
			if f, isNum := x.(float64); isNum {
				nums = append(nums, f)
			}
		}
		if len(nums) == 0 {
			return nil, false
		}
		sum := 0.0
		for _, f := range nums {
			sum += f
		}
		mean := sum / float64(len(nums))
		switch fn {
		case "min":
			return slices.Min(nums), true
		case "max":
			return slices.Max(nums), true
		case "sum":
			return sum, true
		case "avg":
			return mean, true
		case "stddev":
			ss := 0.0
			for _, f := range nums {
				ss += (f - mean) * (f - mean)
			}
			return math.Sqrt(ss / float64(len(nums))), true
		}
	}
	return nil, false
}
