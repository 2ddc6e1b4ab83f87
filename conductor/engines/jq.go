package engines

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton/conductor"
	"github.com/itchyny/gojq"
)

// DefaultMaxResults caps the results of one jq evaluation when JQ.MaxResults is 0.
const DefaultMaxResults = 10000

// JQ is a conductor.JQ on gojq. The zero value is ready to use; it is safe for concurrent use.
// Cost: parsing and compiling happen once, at load; an evaluation costs what the program does.
type JQ struct {
	// MaxResults caps how many results one evaluation may produce (DefaultMaxResults when 0).
	MaxResults int
}

var _ conductor.JQ = (*JQ)(nil)

// CompileJQ parses and compiles query, with no environment ($ENV and env are empty).
func (j *JQ) CompileJQ(query string) (conductor.Program, error) {
	q, err := gojq.Parse(query)
	if err != nil {
		return nil, fmt.Errorf("jq: %w", err)
	}
	code, err := gojq.Compile(q, gojq.WithEnvironLoader(func() []string { return nil }))
	if err != nil {
		return nil, fmt.Errorf("jq: %w", err)
	}
	max := j.MaxResults
	if max <= 0 {
		max = DefaultMaxResults
	}
	return &jqProgram{code: code, max: max}, nil
}

type jqProgram struct {
	code *gojq.Code
	max  int
}

// Run runs the program on input and returns all its results as []any.
func (p *jqProgram) Run(ctx context.Context, input any) (any, error) {
	iter := p.code.RunWithContext(ctx, input)
	out := []any{}
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := v.(error); isErr {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w: jq stopped: %v", conductor.ErrLimit, ctx.Err())
			}
			return nil, fmt.Errorf("jq: %w", err)
		}
		if len(out) == p.max {
			return nil, fmt.Errorf("%w: jq produced more than %d results", conductor.ErrLimit, p.max)
		}
		out = append(out, v)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: jq stopped: %v", conductor.ErrLimit, ctx.Err())
	}
	return out, nil
}
