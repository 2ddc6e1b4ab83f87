package conductor

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"sort"
	"strconv"
)

// This file holds the compiled form of parameter maps (inputParameters, outputParameters) and
// the JSON value helpers. Values inside a run are JSON values: nil, bool, float64, string,
// []any and map[string]any. Everything entering a run (workflow input, worker output) is
// normalized to them, and every value handed out (a task's input, the output) is a copy, so no
// caller can change a run's state behind its back.

// valueTmpl is a compiled JSON value that may contain expressions.
type valueTmpl interface {
	eval(r *resolver) (any, error)
	paths(yield func(*path))
}

type constTmpl struct{ v any }

func (c constTmpl) eval(*resolver) (any, error) { return deepCopy(c.v), nil }
func (constTmpl) paths(func(*path))             {}

type stringTmpl struct{ t *template }

func (s stringTmpl) eval(r *resolver) (any, error) { return r.template(s.t) }
func (s stringTmpl) paths(yield func(*path)) {
	for _, p := range s.t.parts {
		if p.expr != nil {
			yield(p.expr)
		}
	}
}

type mapTmpl struct {
	keys []string // sorted, for deterministic evaluation order and errors
	vals map[string]valueTmpl
}

func (m *mapTmpl) eval(r *resolver) (any, error) {
	out := make(map[string]any, len(m.keys))
	for _, k := range m.keys {
		v, err := m.vals[k].eval(r)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (m *mapTmpl) paths(yield func(*path)) {
	for _, k := range m.keys {
		m.vals[k].paths(yield)
	}
}

type listTmpl []valueTmpl

func (l listTmpl) eval(r *resolver) (any, error) {
	out := make([]any, len(l))
	for i, t := range l {
		v, err := t.eval(r)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (l listTmpl) paths(yield func(*path)) {
	for _, t := range l {
		t.paths(yield)
	}
}

// compileValue compiles a JSON value of a definition. field names the value for errors.
func compileValue(v any, field string, fail func(field string, err error)) valueTmpl {
	switch v := v.(type) {
	case string:
		t, err := parseTemplate(v)
		if err != nil {
			fail(field, err)
			return constTmpl{v}
		}
		if lit, ok := t.literal(); ok {
			return constTmpl{lit}
		}
		return stringTmpl{t}
	case map[string]any:
		m := &mapTmpl{vals: make(map[string]valueTmpl, len(v))}
		dynamic := false
		for k, x := range v {
			m.keys = append(m.keys, k)
			m.vals[k] = compileValue(x, field+"."+k, fail)
			if _, ok := m.vals[k].(constTmpl); !ok {
				dynamic = true
			}
		}
		sort.Strings(m.keys)
		if !dynamic {
			return constTmpl{unescapeConst(m)}
		}
		return m
	case []any:
		l := make(listTmpl, len(v))
		dynamic := false
		for i, x := range v {
			l[i] = compileValue(x, fmt.Sprintf("%s[%d]", field, i), fail)
			if _, ok := l[i].(constTmpl); !ok {
				dynamic = true
			}
		}
		if !dynamic {
			return constTmpl{unescapeConst(l)}
		}
		return l
	default:
		n, err := normalize(v)
		if err != nil {
			fail(field, err)
		}
		return constTmpl{n}
	}
}

// unescapeConst evaluates a template without expressions (its strings may have had "$${").
func unescapeConst(t valueTmpl) any {
	v, _ := t.eval(nil)
	return v
}

// compileParams compiles a parameter map (nil stays an empty map).
func compileParams(params map[string]any, field string, fail func(string, error)) *mapTmpl {
	m := &mapTmpl{vals: make(map[string]valueTmpl, len(params))}
	for k, v := range params {
		m.keys = append(m.keys, k)
		m.vals[k] = compileValue(v, field+"."+k, fail)
	}
	sort.Strings(m.keys)
	return m
}

// deepCopy copies a JSON value's containers.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// copyMap deep-copies a map of JSON values (nil stays nil).
func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return deepCopy(m).(map[string]any)
}

// normalize turns a Go value into a JSON value, copying it: numbers become float64, structs
// and other types go through encoding/json. Cost: a walk of the value; a JSON round trip only
// for types other than the JSON ones, maps and slices of any and the numeric kinds.
func normalize(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, float64:
		return v, nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case int32:
		return float64(v), nil
	case uint:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	case uint32:
		return float64(v), nil
	case float32:
		return float64(v), nil
	case json.Number:
		f, err := v.Float64()
		return f, err
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			n, err := normalize(x)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			n, err := normalize(x)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Map && rv.Len() == 0 && rv.Type().Key().Kind() == reflect.String {
		return map[string]any{}, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("conductor: value of type %T is not JSON: %w", v, err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// normalizeMap normalizes a map of values (nil gives an empty map).
func normalizeMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	v, err := normalize(m)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// text renders a value inside a longer string: null is empty (as in Conductor), numbers
// in their shortest form, objects and arrays as JSON.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if math.Abs(v) < 1e21 {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// caseText is a value as a SWITCH case label: as text, with null as "null" (Conductor's
// String.valueOf).
func caseText(v any) string {
	if v == nil {
		return "null"
	}
	return text(v)
}

// cloneVars copies the top level of a variables map for a write.
func cloneVars(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	maps.Copy(out, m)
	return out
}
