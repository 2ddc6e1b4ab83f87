package conductor

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"github.com/baton-go/baton"
)

// loopTask is a DO_WHILE task's stage: it starts iteration 1 by inserting the body into the
// slip, followed by the loop's hidden stage (loopNext), which decides after each iteration.
// While the loop runs, ${loop.output.iteration} is the current iteration.
func (w *Workflow) loopTask(ct *ctask) stageFn {
	next := append(append([]string{}, ct.body...), loopStage(ct.ref))
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		if err := slip.InsertNext(next...); err != nil {
			return nil, baton.Permanent(err)
		}
		ts := &taskState{
			ref: ct.ref, name: ct.name, typ: ct.typ, taskID: id, status: "IN_PROGRESS",
			input: in, output: map[string]any{"iteration": float64(1)}, iteration: iter,
		}
		return s.withLoop(ts, 1), nil
	}
}

// loopNext is the hidden stage after each iteration of loop ct. It adds the iteration's
// outputs to the loop's output ({"iteration": n, "1": {ref: output …}, …}), evaluates the
// loopCondition with $ bound to the loop's input (evaluated again), the loop's output under
// its ref and each body task's output under its ref, and either inserts the body again or
// completes the loop. Cost: the loop's output map is copied each iteration (O(iterations)).
func (w *Workflow) loopNext(ct *ctask) stageFn {
	next := append(append([]string{}, ct.body...), loopStage(ct.ref))
	var members []string // tasks whose innermost loop is ct
	for _, t := range w.tasks {
		if t.loop == ct {
			members = append(members, t.ref)
		}
	}
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter := s.loops[ct.ref]
		prev := s.tasks[ct.ref]
		in, err := w.resolve(ct, s, prev.taskID)
		if err != nil {
			return nil, err
		}
		done := map[string]any{}
		cond := maps.Clone(in)
		for _, ref := range members {
			if t, ok := s.tasks[ref]; ok {
				cond[ref] = t.output
				if t.iteration == iter {
					done[ref] = t.output
				}
			}
		}
		out := maps.Clone(prev.output)
		out["iteration"] = float64(iter)
		out[strconv.Itoa(iter)] = done
		cond[ct.ref] = out
		v, err := w.runProgram(ctx, ct.program, cond)
		if err != nil {
			return nil, fmt.Errorf("loopCondition: %w", err)
		}
		ts := *prev
		ts.input, ts.output = in, out
		if !truthy(v) {
			ts.status = TaskCompleted
			return s.withTask(&ts, slip.Hops()), nil
		}
		if iter >= w.cfg.maxIterations {
			return nil, baton.Permanent(fmt.Errorf("%w: DO_WHILE %q reached %d iterations (WithMaxIterations)", ErrLimit, ct.ref, w.cfg.maxIterations))
		}
		if err := slip.InsertNext(next...); err != nil {
			return nil, baton.Permanent(err)
		}
		ts.output = maps.Clone(out)
		ts.output["iteration"] = float64(iter + 1)
		return s.withLoop(&ts, iter+1), nil
	}
}
