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

// part is literal text (expr nil) or one expression.
type part struct {
	lit  string
	expr *path
}

// path is the inside of one ${…}.
type path struct {
	src   string // as written, without ${ }
	root  string // "workflow", a task ref or an environment name; "" for a blank ${}
	steps []step
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
// literal part (with "$${" unescaped).
func parseTemplate(s string) (*template, error) {
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
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%w: %q: \"${\" without a closing \"}\"", ErrBadExpression, s)
		}
		inner := s[i+2 : i+2+end]
		if strings.Contains(inner, "${") {
			return nil, fmt.Errorf("%w: %q: nested \"${\"", ErrBadExpression, s)
		}
		p, err := parsePath(inner)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrBadExpression, s, err)
		}
		flush()
		t.parts = append(t.parts, part{expr: p})
		i += 2 + end + 1
	}
	flush()
	t.single = len(t.parts) == 1 && t.parts[0].expr != nil
	return t, nil
}

// literal reports whether the template is plain text, and the text.
func (t *template) literal() (string, bool) {
	if len(t.parts) == 1 && t.parts[0].expr == nil {
		return t.parts[0].lit, true
	}
	if len(t.parts) == 0 {
		return "", true
	}
	return "", false
}

var errPathSyntax = errors.New("bad path")

// parsePath parses the inside of ${…}.
func parsePath(src string) (*path, error) {
	p := &path{src: src}
	s := strings.TrimSpace(src)
	if s == "" {
		return p, nil // Conductor: a blank ${} is the empty string
	}
	s = strings.TrimPrefix(s, "$.")
	i := strings.IndexAny(s, ".[")
	if i < 0 {
		i = len(s)
	}
	p.root = s[:i]
	if p.root == "" {
		return nil, fmt.Errorf("%w: %q: empty root", errPathSyntax, src)
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
				return nil, fmt.Errorf("%w: %q: empty key (deep scan \"..\" is not supported)", errPathSyntax, src)
			}
			if strings.ContainsAny(key, "]'\"()?@*") {
				return nil, fmt.Errorf("%w: %q: unexpected character in key %q", errPathSyntax, src, key)
			}
			p.steps = append(p.steps, step{key: key})
			s = s[j:]
		case '[':
			j := strings.IndexByte(s, ']')
			if j < 0 {
				return nil, fmt.Errorf("%w: %q: \"[\" without \"]\"", errPathSyntax, src)
			}
			in := strings.TrimSpace(s[1:j])
			switch {
			case len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0]:
				p.steps = append(p.steps, step{key: in[1 : len(in)-1]})
			default:
				n, err := strconv.Atoi(in)
				if err != nil {
					return nil, fmt.Errorf("%w: %q: index %q is not a number or quoted key (filters and wildcards are not supported)", errPathSyntax, src, in)
				}
				p.steps = append(p.steps, step{index: n, isIdx: true})
			}
			s = s[j+1:]
		default:
			return nil, fmt.Errorf("%w: %q: unexpected %q", errPathSyntax, src, s[0])
		}
	}
	return p, nil
}

// taskFields are the fields of a task a path may name after its taskReferenceName.
var taskFields = map[string]bool{
	"input": true, "output": true, "taskId": true, "status": true, "referenceTaskName": true,
	"taskType": true, "taskDefName": true, "retryCount": true, "iteration": true,
	"reasonForIncompletion": true, "seq": true, "workflowInstanceId": true,
}

// workflowFields are the fields of ${workflow.…}.
var workflowFields = map[string]bool{
	"input": true, "output": true, "variables": true, "workflowId": true, "correlationId": true,
	"workflowType": true, "version": true, "status": true, "schemaVersion": true,
	"parentWorkflowId": true, "parentWorkflowTaskId": true, "createTime": true,
	"reasonForIncompletion": true, "taskToDomain": true,
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
