package conductor

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton"
)

// This file holds what every task's stage does: resolve the input, record the result.

// stageFn is the Process function of a task's stage.
type stageFn = func(context.Context, *state, *baton.Slip) (*state, error)

// resolve evaluates ct's inputParameters on s. Its errors are permanent: retrying cannot
// change them.
func (w *Workflow) resolve(ct *ctask, s *state, id string) (map[string]any, error) {
	v, err := ct.input.eval(&resolver{s: s, taskID: id, strict: w.cfg.strict})
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("inputParameters: %w", err))
	}
	return v.(map[string]any), nil
}

// completed returns s with ct's execution recorded as completed, logged as the slip's step.
func completed(s *state, slip *baton.Slip, ct *ctask, id string, iter int, in, out map[string]any) *state {
	if out == nil {
		out = map[string]any{}
	}
	return s.withTask(&taskState{
		ref: ct.ref, name: ct.name, typ: ct.typ, taskID: id, status: TaskCompleted,
		input: in, output: out, iteration: iter,
	}, slip.Hops())
}

// begin returns the iteration and id of ct's execution on s, and its resolved input.
func (w *Workflow) begin(ct *ctask, s *state) (iter int, id string, in map[string]any, err error) {
	iter = s.iteration(ct)
	id = taskID(s, ct.ref, iter)
	in, err = w.resolve(ct, s, id)
	return iter, id, in, err
}

// runProgram runs a script or jq program on a copy of input within the script time limit.
// Its errors are permanent; running out of time is ErrLimit.
func (w *Workflow) runProgram(ctx context.Context, p Program, input any) (any, error) {
	sctx, cancel := context.WithTimeout(ctx, w.cfg.scriptTimeout)
	defer cancel()
	v, err := p.Run(sctx, deepCopy(input))
	if err != nil {
		if ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrLimit) {
			err = fmt.Errorf("%w: script ran longer than %v: %w", ErrLimit, w.cfg.scriptTimeout, err)
		}
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, baton.Permanent(err)
	}
	v, err = normalize(v)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	return v, nil
}

// callWorker calls worker (nil: echo the input) with its own copy of in, and normalizes the
// output.
func callWorker(ctx context.Context, worker Worker, in map[string]any) (map[string]any, error) {
	if worker == nil {
		return copyMap(in), nil
	}
	out, err := worker(ctx, copyMap(in))
	if err != nil {
		return nil, err
	}
	out, err = normalizeMap(out)
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("worker output: %w", err))
	}
	return out, nil
}

// truthy is JavaScript's truthiness of a JSON value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && v == v
	case string:
		return v != ""
	}
	return true
}
