package conductor

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// This file holds the compiled form of parameter maps (inputParameters, outputParameters) and
// the JSON value helpers. Values inside a run are JSON values: nil, bool, float64, string,
// []any and map[string]any. Everything entering a run (workflow input, worker output) is
// normalized to them, and every value handed out (a task's input, the output) is a copy, so no
// caller can change a run's state behind its back.

// valueTmpl is a compiled JSON value that may contain expressions.
type valueTmpl interface {
	eval(r *resolver) (any, error)
	// paths yields each path of the value with the field it is in ("inputParameters.a[0]").
	paths(yield func(field string, p *path))
}

type constTmpl struct{ v any }

func (c constTmpl) eval(*resolver) (any, error) { return deepCopy(c.v), nil }
func (constTmpl) paths(func(string, *path))     {}

type stringTmpl struct {
	t     *template
	field string
}

func (s stringTmpl) eval(r *resolver) (any, error) { return r.template(s.t) }
func (s stringTmpl) paths(yield func(string, *path)) {
	s.t.paths(func(p *path) { yield(s.field, p) })
}

// paths yields the template's paths, those nested in expressions included (a nested
// expression's own path is known only when it runs).
func (t *template) paths(yield func(*path)) {
	for _, p := range t.parts {
		if p.expr != nil {
			yield(p.expr)
		}
		if p.nested != nil {
			p.nested.paths(yield)
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

func (m *mapTmpl) paths(yield func(string, *path)) {
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

func (l listTmpl) paths(yield func(string, *path)) {
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
		return stringTmpl{t, field}
	case map[string]any:
		m := &mapTmpl{vals: make(map[string]valueTmpl, len(v)), keys: slices.Sorted(maps.Keys(v))}
		dynamic := false
		for _, k := range m.keys { // sorted: errors come in a stable order
			x := v[k]
			m.vals[k] = compileValue(x, field+"."+k, fail)
			if _, ok := m.vals[k].(constTmpl); !ok {
				dynamic = true
			}
		}
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
	m := &mapTmpl{vals: make(map[string]valueTmpl, len(params)), keys: slices.Sorted(maps.Keys(params))}
	for _, k := range m.keys { // sorted: errors come in a stable order
		m.vals[k] = compileValue(params[k], field+"."+k, fail)
	}
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

// javaText renders a value as Conductor (Java's Objects.toString) does inside a longer string
// or as a SWITCH case: null as "null", an integral number without a fraction, another number
// as Java's Double.toString, an object as {k=v, k2=v2} (keys sorted: Go maps keep no order,
// Conductor's keep the document's), a list as [a, b].
func javaText(v any) string {
	var b strings.Builder
	writeJava(&b, v)
	return b.String()
}

func writeJava(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case float64:
		b.WriteString(javaNumber(v))
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeJava(b, v[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJava(b, x)
		}
		b.WriteByte(']')
	default:
		fmt.Fprint(b, v)
	}
}

// javaNumber renders a number: integral values as Java's Integer or Long do (JSON numbers
// without a fraction are integers to Conductor), others as Java's Double.toString.
func javaNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == math.Trunc(f) && math.Abs(f) < 1e18:
		return strconv.FormatInt(int64(f), 10)
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	// Java: d.ddddE±n, with at least one digit after the point.
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+10
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	if strings.HasPrefix(exp, "-") {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	} else {
		exp = strings.TrimLeft(exp, "0")
	}
	return mant + "E" + exp
}

// text renders a value as plain text for what is not one of Conductor's expressions (an HTTP
// header or body, an event sink): null as empty, numbers in their shortest form, objects and
// arrays as JSON. Expressions inside strings render as javaText.
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

// caseText is a value as a SWITCH case label: Java's String.valueOf, as javaText.
func caseText(v any) string { return javaText(v) }

// cloneVars copies the top level of a variables map for a write.
func cloneVars(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	maps.Copy(out, m)
	return out
}
