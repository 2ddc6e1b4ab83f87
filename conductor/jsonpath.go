package conductor

import (
	"fmt"
	"sync/atomic"
)

// JSONPath compiles the JSONPath queries of expressions that are more than a plain path: a
// wildcard ([*], .*), a filter ([?(@.a > 1)]), a deep scan (..), a slice ([0:2]) or a union
// (['a','b']). Plain paths — root.key[0]['quoted key'], with [-1] for the last element — and a
// trailing jayway function (.length() …) need no engine. The module
// github.com/baton-go/baton/conductor/engines implements it with github.com/theory/jsonpath
// (RFC 9535); without one, a definition using such a query fails to load with ErrNoEngine.
type JSONPath interface {
	// CompileJSONPath compiles query, which starts with "$" (Conductor's "a.b" is given as
	// "$.a.b"). A syntax error is reported here, at load.
	CompileJSONPath(query string) (Query, error)
}

// Query is a compiled JSONPath query. Select is called concurrently, from many runs at once.
type Query interface {
	// Select returns the values query selects in doc (a JSON value: nil, bool, float64, string,
	// []any, map[string]any), in document order, and whether the query is definite: one that
	// selects at most one value (no wildcard, filter, deep scan, slice or union). As in
	// Conductor (jayway), a definite query's expression is that value, or null when it selects
	// none; an indefinite one's is the list of the values, possibly empty. Select must not keep
	// or change doc.
	Select(doc any) (values []any, definite bool)
}

// WithJSONPath sets the JSONPath engine (see JSONPath and package engines).
func WithJSONPath(jp JSONPath) Option { return func(c *config) { c.jsonPath = jp } }

// atomicQuery holds a path's compiled query, set at load, or at its first evaluation for a path
// built at run time.
type atomicQuery struct{ p atomic.Pointer[Query] }

// compiled returns p's query compiled by jp, compiling it on first use.
func (p *path) compiled(jp JSONPath) (Query, error) {
	if q := p.q.p.Load(); q != nil {
		return *q, nil
	}
	if jp == nil {
		return nil, fmt.Errorf("%w: ${%s} is a JSONPath query (wildcard, filter, deep scan, slice or union), which needs WithJSONPath", ErrNoEngine, p.src)
	}
	q, err := jp.CompileJSONPath(p.query)
	if err != nil {
		return nil, fmt.Errorf("%w: ${%s}: %w", ErrBadExpression, p.src, err)
	}
	p.q.p.Store(&q)
	return q, nil
}
