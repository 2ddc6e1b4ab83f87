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
// Cost: parsing and compiling happen once, at load; an evaluation costs what the program does,
// and is watched by the memory watchdog (see JavaScript).
type JQ struct {
	// MaxResults caps how many results one evaluation may produce (DefaultMaxResults when 0).
	MaxResults int
	// MaxMemory bounds, in bytes, how much the heap may grow while one evaluation runs
	// (DefaultMaxMemory when 0; no bound when negative); an evaluation that grows it more
	// stops with an error matching conductor.ErrLimit. See memory.go.
	MaxMemory int64
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
	maxResults := j.MaxResults
	if maxResults <= 0 {
		maxResults = DefaultMaxResults
	}
	mem := j.MaxMemory
	if mem == 0 {
		mem = DefaultMaxMemory
	}
	return &jqProgram{code: code, max: maxResults, mem: uint64(max(mem, 0))}, nil
}

type jqProgram struct {
	code *gojq.Code
	max  int
	mem  uint64 // 0: no bound
}

// Run runs the program on input and returns all its results as []any.
func (p *jqProgram) Run(ctx context.Context, input any) (any, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	release := watchdog.watch(p.mem, func(grew uint64) { cancel(&memoryExceeded{grew: grew, limit: p.mem}) })
	defer release()
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
				return nil, fmt.Errorf("%w: jq stopped: %v", conductor.ErrLimit, context.Cause(ctx))
			}
			return nil, fmt.Errorf("jq: %w", err)
		}
		if len(out) == p.max {
			return nil, fmt.Errorf("%w: jq produced more than %d results", conductor.ErrLimit, p.max)
		}
		out = append(out, v)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: jq stopped: %v", conductor.ErrLimit, context.Cause(ctx))
	}
	return out, nil
}
