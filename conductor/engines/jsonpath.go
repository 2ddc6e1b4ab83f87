package engines

import (
	"fmt"

	"github.com/baton-go/baton/conductor"
	"github.com/theory/jsonpath"
)

// JSONPath is a conductor.JSONPath on github.com/theory/jsonpath, which implements RFC 9535.
// The zero value is ready to use; it is safe for concurrent use. Cost: parsing happens once, at
// load; a selection walks what the query names (a deep scan, the whole document).
//
// Conductor evaluates its expressions with jayway JsonPath, whose dialect mostly agrees with
// RFC 9535 for what definitions use: member names, indexes ([-1] is the last element), [*],
// .*, slices [0:2], unions, deep scan (..) and filters ([?(@.price > 10)], [?(@.tag == 'a')],
// [?(@.flag)]). A definite query (names and indexes only) selects one value or none (null); an
// indefinite one a list. The functions that end a path in jayway (.length(), .sum() …) are
// the conductor package's own; jayway's filter operators that RFC 9535 lacks (=~, in, nin,
// subsetof, size, empty) are refused at load, as a syntax error.
type JSONPath struct{}

var _ conductor.JSONPath = (*JSONPath)(nil)

// CompileJSONPath parses query as RFC 9535 JSONPath.
func (JSONPath) CompileJSONPath(query string) (conductor.Query, error) {
	p, err := jsonpath.Parse(query)
	if err != nil {
		return nil, fmt.Errorf("jsonpath: %w", err)
	}
	return &jsonQuery{path: p, definite: p.Query().Singular() != nil}, nil
}

type jsonQuery struct {
	path     *jsonpath.Path
	definite bool
}

// Select returns the values the query selects in doc, and whether it is definite.
func (q *jsonQuery) Select(doc any) ([]any, bool) {
	return q.path.Select(doc), q.definite
}
