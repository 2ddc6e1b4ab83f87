package conductor

import (
	"encoding/json"
	"strings"
	"time"
)

// This file hands secrets to tasks: ${workflow.secrets.NAME} resolves to itself, as written,
// and is replaced by the secret (WithSecrets) only in the input the task itself gets, as in
// Conductor, so that the run's log and later tasks' ${ref.input…} never show it.

const secretsPrefix = "${workflow.secrets."

// secretsIn returns in with the secrets it names substituted, and in itself to record; or nil
// and in when it names none (or no WithSecrets was given). Cost: a walk of in when WithSecrets
// is set; nothing otherwise.
func (w *Workflow) secretsIn(in map[string]any) (lit, run map[string]any) {
	if w.cfg.secrets == nil || in == nil {
		return nil, in
	}
	v, changed := substituteSecrets(w.cfg.secrets, in)
	if !changed {
		return nil, in
	}
	return in, v.(map[string]any)
}

// substituteSecrets returns v with each ${workflow.secrets.NAME…} replaced, and whether any was.
// A string that is exactly one such expression takes the secret's value (a path after NAME
// reads the secret parsed as JSON); inside a longer string, the secret's text (unknown: "").
func substituteSecrets(fn Lookup, v any) (any, bool) {
	switch v := v.(type) {
	case string:
		if !strings.Contains(v, secretsPrefix) {
			return v, false
		}
		if strings.HasPrefix(v, secretsPrefix) && strings.IndexByte(v, '}') == len(v)-1 {
			return secretValue(fn, v[len(secretsPrefix):len(v)-1]), true
		}
		var b strings.Builder
		rest := v
		for {
			i := strings.Index(rest, secretsPrefix)
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				break
			}
			b.WriteString(rest[:i])
			if s := secretValue(fn, rest[i+len(secretsPrefix):i+j]); s != nil {
				b.WriteString(javaText(s))
			}
			rest = rest[i+j+1:]
		}
		b.WriteString(rest)
		return b.String(), true
	case map[string]any:
		var out map[string]any
		for k, x := range v {
			if n, ok := substituteSecrets(fn, x); ok {
				if out == nil {
					out = make(map[string]any, len(v))
					for k2, x2 := range v {
						out[k2] = x2
					}
				}
				out[k] = n
			}
		}
		if out == nil {
			return v, false
		}
		return out, true
	case []any:
		var out []any
		for i, x := range v {
			if n, ok := substituteSecrets(fn, x); ok {
				if out == nil {
					out = append([]any{}, v...)
				}
				out[i] = n
			}
		}
		if out == nil {
			return v, false
		}
		return out, true
	}
	return v, false
}

// secretValue is the value of ref, "NAME" or "NAME.path": the secret, or the path read from it
// parsed as JSON; nil when there is none.
func secretValue(fn Lookup, ref string) any {
	name, jp, hasPath := strings.Cut(ref, ".")
	s, ok := fn(name)
	if !ok {
		return nil
	}
	if !hasPath {
		return s
	}
	var doc any
	if json.Unmarshal([]byte(s), &doc) != nil {
		return nil
	}
	p, err := parsePath("x." + jp)
	if err != nil || p.query != "" {
		return nil
	}
	v, found := doc, true
	for i := 0; found && i < len(p.steps); i++ {
		v, found = walk(v, p.steps[i])
	}
	if !found {
		return nil
	}
	return v
}

// nowMillis is the time in epoch milliseconds, as Conductor's task times are.
func nowMillis() int64 { return time.Now().UnixMilli() }
