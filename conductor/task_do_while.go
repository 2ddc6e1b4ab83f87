package conductor

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"github.com/baton-go/baton"
)

// doWhileTask is a DO_WHILE task: it starts iteration 1 by inserting the body into the slip,
// followed by the loop's hidden stage "~ref.next" (see next), which decides after each
// iteration whether to insert it again. While the loop runs, ${loop.output.iteration} is the
// current iteration.
type doWhileTask struct {
	ctask
	program Program  // the loopCondition
	body    []string // the refs of the body's top level
}

// loopStage is the name of the hidden stage that ends each iteration of loop ref.
func loopStage(ref string) string { return "~" + ref + ".next" }

func (t *doWhileTask) compile(c *compiler, at place) {
	wt := t.wt
	if len(wt.LoopOver) == 0 {
		c.fail(t.ref, "loopOver", fmt.Errorf("%w: empty loop body", ErrMalformed))
	}
	t.program = c.javascript(&t.ctask, "loopCondition", wt.LoopCondition)
	if _, dup := c.w.tasks[loopStage(t.ref)]; dup {
		c.fail(t.ref, "taskReferenceName", fmt.Errorf("%w %q", ErrDuplicateRef, loopStage(t.ref)))
	}
	t.body = c.list(wt.LoopOver, t.ref+".loopOver", &t.ctask, at.depth)
}

// hiddenStages adds the stage that ends each iteration, at the loop's level.
func (t *doWhileTask) hiddenStages(w *Workflow, b *stageSet) {
	b.add(t.depth, loopStage(t.ref), &t.ctask, t.next(w))
}

func (t *doWhileTask) process(w *Workflow) stageFn {
	next := append(append([]string{}, t.body...), loopStage(t.ref))
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		if err := slip.InsertNext(next...); err != nil {
			return nil, baton.Permanent(err)
		}
		ts := &taskState{
			ref: t.ref, name: t.name, typ: t.typ, taskID: x.id, status: "IN_PROGRESS",
			input: x.in, output: map[string]any{"iteration": float64(1)}, iteration: x.iter,
		}
		return s.withLoop(ts, 1), nil
	}
}

// next is the hidden stage after each iteration of the loop. It adds the iteration's outputs
// to the loop's output ({"iteration": n, "1": {ref: output …}, …}), evaluates the
// loopCondition with $ bound to the loop's input (evaluated again), the loop's output under
// its ref and each body task's output under its ref, and either inserts the body again or
// completes the loop. Cost: the loop's output map is copied each iteration (O(iterations)).
func (t *doWhileTask) next(w *Workflow) stageFn {
	ct := &t.ctask
	next := append(append([]string{}, t.body...), loopStage(t.ref))
	var members []string // tasks whose innermost loop is this one
	for _, k := range w.tasks {
		if k.base().loop == ct {
			members = append(members, k.base().ref)
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
			if m, ok := s.tasks[ref]; ok {
				cond[ref] = m.output
				if m.iteration == iter {
					done[ref] = m.output
				}
			}
		}
		out := maps.Clone(prev.output)
		out["iteration"] = float64(iter)
		out[strconv.Itoa(iter)] = done
		cond[ct.ref] = out
		v, err := w.runProgram(ctx, t.program, cond)
		if err != nil {
			return nil, fmt.Errorf("loopCondition: %w", err)
		}
		ts := *prev
		ts.input, ts.output = in, out
		if !truthy(v) {
			ts.status = TaskCompleted
			return s.withTask(&ts, slip.Attempt()), nil
		}
		if iter >= w.cfg.maxIterations {
			return nil, baton.Permanent(fmt.Errorf("%w: %s %q reached %d iterations (WithMaxIterations)", ErrLimit, TypeDoWhile, ct.ref, w.cfg.maxIterations))
		}
		if err := slip.InsertNext(next...); err != nil {
			return nil, baton.Permanent(err)
		}
		ts.output = maps.Clone(out)
		ts.output["iteration"] = float64(iter + 1)
		return s.withLoop(&ts, iter+1), nil
	}
}
