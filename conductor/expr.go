package conductor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file parses Conductor's parameter expressions. A string value of inputParameters (or
// outputParameters) may hold expressions ${path}: a string that is exactly one expression takes
// the value of the path with its JSON type; any other string is text with each expression
// replaced by its value as text. "$${" escapes a literal "${". Paths are JSONPath-like:
// root.key.key[0]['quoted key'], where root is "workflow", a taskReferenceName, or an
// environment name (CPEWF_TASK_ID, the running task's id).

// template is a parsed string value.
type template struct {
	parts  []part
	single bool // exactly one expression: the value keeps its JSON type
}

// part is literal text, one expression, or one expression whose path is built by expressions
// nested in it (${workflow.input.${workflow.input.key}}), resolved as text when it runs.
type part struct {
	lit    string
	expr   *path
	nested *template // the inside of a ${…} holding ${…}: its text is the path
	src    string    // the whole "${…}", as written
}

// path is the inside of one ${…}. A plain path (root.key[0]['quoted']) is walked by the
// package; any other JSONPath (wildcards, filters, deep scan, slices, unions) is a query for the
// JSONPath engine (WithJSONPath). Either may end with one of jayway's functions (.length() …).
type path struct {
	src   string // as written, without ${ }
	root  string // "workflow", a task ref or an environment name; "" for a blank ${} or "$..x"
	steps []step
	// query is the JSONPath, for a path the package does not walk itself; q is it compiled
	// (at load, or at its first evaluation for a path built at run time).
	query string
	q     atomicQuery
	fn    string // a trailing jayway function: length, size, min, max, avg, sum, first, last, keys
}

// step is one key or index of a path.
type step struct {
	key   string
	index int
	isIdx bool
}

func (s step) String() string {
	if s.isIdx {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return "." + s.key
}

// parseTemplate parses a string value. A string with no expression yields a template of one
// literal part (with "$${" unescaped). Expressions may nest: the inside of ${…} runs to its
// matching "}", and the expressions inside it are resolved first, as text, to make its path (as
// in Conductor).
func parseTemplate(s string) (*template, error) { return parseNested(s, 0) }

// maxNesting bounds how deep expressions nest, so that a hostile string costs O(len) to parse.
const maxNesting = 16

func parseNested(s string, depth int) (*template, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: expressions nested more than %d deep", ErrBadExpression, maxNesting)
	}
	t := &template{}
	if !strings.Contains(s, "${") {
		t.parts = []part{{lit: s}}
		return t, nil
	}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			lit.WriteString("${") // escaped: a literal "${"
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			lit.WriteByte(s[i])
			i++
			continue
		}
		end := closing(s, i+2)
		if end < 0 {
			return nil, fmt.Errorf("%w: %q: \"${\" without a closing \"}\"", ErrBadExpression, s)
		}
		inner := s[i+2 : end]
		pt := part{src: s[i : end+1]}
		if strings.Contains(inner, "${") {
			n, err := parseNested(inner, depth+1)
			if err != nil {
				return nil, err
			}
			n.single = false // a nested expression is always text
			pt.nested = n
		} else {
			p, err := parsePath(inner)
			if err != nil {
				return nil, fmt.Errorf("%w: %q: %w", ErrBadExpression, s, err)
			}
			pt.expr = p
		}
		flush()
		t.parts = append(t.parts, pt)
		i = end + 1
	}
	flush()
	t.single = len(t.parts) == 1 && t.parts[0].lit == "" && (t.parts[0].expr != nil || t.parts[0].nested != nil)
	return t, nil
}

// closing returns the index of the "}" that closes the "${" whose inside starts at i, counting
// the braces between, or -1.
func closing(s string, i int) int {
	depth := 1
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// literal reports whether the template is plain text, and the text.
func (t *template) literal() (string, bool) {
	if len(t.parts) == 1 && t.parts[0].expr == nil && t.parts[0].nested == nil {
		return t.parts[0].lit, true
	}
	if len(t.parts) == 0 {
		return "", true
	}
	return "", false
}

var errPathSyntax = errors.New("bad path")

// jaywayFuncs are the functions of jayway JsonPath (Conductor's) that may end a path.
var jaywayFuncs = map[string]bool{
	"length": true, "size": true, "min": true, "max": true, "avg": true, "sum": true,
	"first": true, "last": true, "keys": true, "stddev": true,
}

// parsePath parses the inside of ${…}: a plain path, or a JSONPath query for the engine (see
// path). Only a query that cannot be JSONPath at all is an error here; the engine checks the
// rest at load.
func parsePath(src string) (*path, error) {
	p := &path{src: src}
	s := strings.TrimSpace(src)
	if s == "" {
		return p, nil // Conductor: a blank ${} is the empty string
	}
	if i := strings.LastIndex(s, "."); i > 0 && strings.HasSuffix(s, "()") {
		if name := s[i+1 : len(s)-2]; jaywayFuncs[name] {
			p.fn, s = name, s[:i]
		}
	}
	if err := p.parsePlain(s); err != nil {
		// Not a plain path: a query for the JSONPath engine, whose root is still checked.
		p.steps = nil
		p.query = s
		if !strings.HasPrefix(s, "$") {
			p.query = "$." + s // jayway reads "a.b" as "$.a.b"
		}
		p.root = queryRoot(p.query)
		if strings.Count(s, "[") != strings.Count(s, "]") || strings.Count(s, "(") != strings.Count(s, ")") {
			return nil, fmt.Errorf("%w: %q: unbalanced brackets", errPathSyntax, src)
		}
	}
	return p, nil
}

// parsePlain parses s as a plain path into p.
func (p *path) parsePlain(s string) error {
	src := p.src
	s = strings.TrimPrefix(s, "$.")
	i := strings.IndexAny(s, ".[")
	if i < 0 {
		i = len(s)
	}
	p.root = s[:i]
	if p.root == "" || strings.ContainsAny(p.root, "]'\"()?@*$ ") {
		return fmt.Errorf("%w: %q: empty root", errPathSyntax, src)
	}
	s = s[i:]
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
			j := strings.IndexAny(s, ".[")
			if j < 0 {
				j = len(s)
			}
			key := s[:j]
			if key == "" {
				return fmt.Errorf("%w: %q: empty key", errPathSyntax, src)
			}
			if strings.ContainsAny(key, "]'\"()?@*") {
				return fmt.Errorf("%w: %q: unexpected character in key %q", errPathSyntax, src, key)
			}
			p.steps = append(p.steps, step{key: key})
			s = s[j:]
		case '[':
			j := strings.IndexByte(s, ']')
			if j < 0 {
				return fmt.Errorf("%w: %q: \"[\" without \"]\"", errPathSyntax, src)
			}
			in := strings.TrimSpace(s[1:j])
			switch {
			case len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0] && !strings.ContainsAny(in[1:len(in)-1], "'\","):
				p.steps = append(p.steps, step{key: in[1 : len(in)-1]})
			default:
				n, err := strconv.Atoi(in)
				if err != nil {
					return fmt.Errorf("%w: %q: index %q is not a number or quoted key", errPathSyntax, src, in)
				}
				p.steps = append(p.steps, step{index: n, isIdx: true})
			}
			s = s[j+1:]
		default:
			return fmt.Errorf("%w: %q: unexpected %q", errPathSyntax, src, s[0])
		}
	}
	return nil
}

// queryRoot is the first member name of a JSONPath query ("$.t1.output[*]" → "t1"), or "" when
// it starts otherwise (deep scan, wildcard, filter).
func queryRoot(q string) string {
	s := strings.TrimPrefix(q, "$")
	switch {
	case strings.HasPrefix(s, ".."):
		return ""
	case strings.HasPrefix(s, "."):
		s = s[1:]
		end := strings.IndexAny(s, ".[")
		if end < 0 {
			end = len(s)
		}
		if r := s[:end]; r != "*" {
			return r
		}
	case strings.HasPrefix(s, "['") || strings.HasPrefix(s, "[\""):
		if end := strings.IndexByte(s[2:], s[1]); end >= 0 {
			return s[2 : 2+end]
		}
	}
	return ""
}

// taskFields are the fields of a task a path may name after its taskReferenceName.
var taskFields = map[string]bool{
	"input": true, "output": true, "taskId": true, "status": true, "referenceTaskName": true,
	"taskType": true, "taskDefName": true, "retryCount": true, "iteration": true,
	"reasonForIncompletion": true, "seq": true, "workflowInstanceId": true,
	"scheduledTime": true, "startTime": true, "endTime": true, "correlationId": true,
	"pollCount": true, "callbackAfterSeconds": true, "workerId": true,
}

// workflowFields are the fields of ${workflow.…}.
var workflowFields = map[string]bool{
	"input": true, "output": true, "variables": true, "workflowId": true, "correlationId": true,
	"workflowType": true, "version": true, "status": true, "schemaVersion": true,
	"parentWorkflowId": true, "parentWorkflowTaskId": true, "createTime": true,
	"reasonForIncompletion": true, "taskToDomain": true, "env": true, "secrets": true,
}

// envNames are the system parameters Conductor resolves from the environment. Baton resolves
// CPEWF_TASK_ID (the running task's id) and gives the others null: definitions have no access
// to the process environment.
var envNames = map[string]bool{"CPEWF_TASK_ID": true, "NETFLIX_ENV": true, "NETFLIX_STACK": true}

// checkFields checks the first step after the root against the fields the root has.
func (p *path) checkFields(isTask bool) error {
	if len(p.steps) == 0 {
		return nil
	}
	f := p.steps[0]
	switch {
	case p.root == "workflow":
		if f.isIdx || !workflowFields[f.key] {
			return fmt.Errorf("%w: ${%s}: workflow has no field %s", ErrBadExpression, p.src, f)
		}
	case envNames[p.root]:
		return fmt.Errorf("%w: ${%s}: %s has no fields", ErrBadExpression, p.src, p.root)
	case isTask:
		if f.isIdx || !taskFields[f.key] {
			return fmt.Errorf("%w: ${%s}: a task has no field %s", ErrBadExpression, p.src, f)
		}
	}
	return nil
}
