package conductor

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/baton-go/baton"
)

// doWhileTask is a DO_WHILE task: it starts iteration 1 by inserting the body into the slip,
// followed by the loop's hidden stage "~ref.next" (see next), which decides after each
// iteration whether to insert it again. While the loop runs, ${loop.output.iteration} is the
// current iteration.
type doWhileTask struct {
	ctask
	program Program  // the loopCondition (nil: none, in a loop over items)
	body    []string // the refs of the body's top level
	// items is the list a loop over items iterates over: its items field, or its input
	// parameter _items (nil: a loop on its condition alone).
	items valueTmpl
}

// loopStage is the name of the hidden stage that ends each iteration of loop ref.
func loopStage(ref string) string { return "~" + ref + ".next" }

func (t *doWhileTask) compile(c *compiler, at place) {
	wt := t.wt
	if len(wt.LoopOver) == 0 {
		c.fail(t.ref, "loopOver", fmt.Errorf("%w: empty loop body", ErrMalformed))
	}
	switch {
	case strings.TrimSpace(wt.Items) != "":
		t.items = compileValue(wt.Items, "items", func(field string, err error) { c.fail(t.ref, field, err) })
	case isItems(wt.InputParameters["_items"]):
		t.items = compileValue(wt.InputParameters["_items"], "inputParameters._items", func(string, error) {}) // reported with the input
	}
	if strings.TrimSpace(wt.LoopCondition) != "" {
		// Without one, Conductor's condition is false: the body runs once (or once per item).
		t.program = c.javascript(&t.ctask, "loopCondition", wt.LoopCondition)
	}
	if _, dup := c.w.tasks[loopStage(t.ref)]; dup {
		c.fail(t.ref, "taskReferenceName", fmt.Errorf("%w %q", ErrDuplicateRef, loopStage(t.ref)))
	}
	t.body = c.list(wt.LoopOver, t.ref+".loopOver", &t.ctask, at.depth)
}

// hiddenStages adds the stage that ends each iteration, at the loop's level.
func (t *doWhileTask) hiddenStages(w *Workflow, b *stageSet) {
	b.add(t.depth, loopStage(t.ref), &t.ctask, t.next(w))
}

// conductorBool is a loop condition's result as Conductor reads it: a boolean, or a number
// above 0; anything else stops the loop.
func conductorBool(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case float64:
		return v > 0
	}
	return false
}

// isItems reports whether an _items input parameter makes a loop over items, as Conductor
// has it: a non-blank string or a list.
func isItems(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v) != ""
	case []any:
		return true
	}
	return false
}

// itemList evaluates the items of a loop over items on s: a list as it is, another value as a
// list of it, null as an empty list.
func (t *doWhileTask) itemList(w *Workflow, s *state, id string) ([]any, error) {
	v, err := t.items.eval(&resolver{s: s, taskID: id, strict: w.cfg.strict})
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("items: %w", err))
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	}
	return []any{v}, nil
}

// withItem sets the loopIndex and loopItem of iteration iter in out.
func withItem(out map[string]any, items []any, iter int) {
	out["loopIndex"] = float64(iter - 1)
	if iter-1 < len(items) {
		out["loopItem"] = items[iter-1]
	}
}

func (t *doWhileTask) process(w *Workflow) stageFn {
	next := append(append([]string{}, t.body...), loopStage(t.ref))
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"iteration": float64(1)}
		if t.items != nil {
			items, err := t.itemList(w, s, x.id)
			if err != nil {
				return nil, err
			}
			if len(items) == 0 {
				// Conductor: nothing to iterate over, the loop completes at once.
				return x.done(s, slip, map[string]any{"iteration": float64(0)}), nil
			}
			withItem(out, items, 1)
		}
		if err := slip.InsertNext(next...); err != nil {
			return nil, baton.Permanent(err)
		}
		ts := x.state("IN_PROGRESS", out)
		ts.iteration, ts.ended = 1, 0 // ${loop.iteration}: the current iteration, as in Conductor
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
		goOn := t.program != nil || t.items != nil
		var items []any
		if t.items != nil {
			if items, err = t.itemList(w, s, prev.taskID); err != nil {
				return nil, err
			}
			cond["loopIndex"] = float64(iter - 1)
			if iter-1 < len(items) {
				cond["loopItem"] = items[iter-1]
			}
			goOn = iter < len(items) // Conductor: the items left, and the condition if any
		}
		if goOn && t.program != nil {
			v, err := w.runProgram(ctx, t.program, cond)
			if err != nil {
				return nil, fmt.Errorf("loopCondition: %w", err)
			}
			goOn = conductorBool(v)
		}
		ts := *prev
		ts.input, ts.output = in, out
		if !goOn {
			ts.status = TaskCompleted
			ts.ended = nowMillis()
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
		if t.items != nil {
			withItem(ts.output, items, iter+1)
		}
		ts.iteration = iter + 1
		return s.withLoop(&ts, iter+1), nil
	}
}
