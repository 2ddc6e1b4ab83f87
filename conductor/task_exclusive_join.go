package conductor

import (
	"context"
	"fmt"
	"strings"

	"github.com/baton-go/baton"
)

// exclusiveJoinTask is an EXCLUSIVE_JOIN task, as Conductor's ExclusiveJoin: it outputs the
// output of the first task of joinOn that ran (in joinOn's order; those in a SWITCH case not
// taken did not), or, when none did, of the first of defaultExclusiveJoinTask that ran. It
// usually follows a SWITCH or DECISION whose cases end in the joinOn tasks. As the tasks
// before it have ended when it runs, a task that ran has succeeded (COMPLETED, or
// COMPLETED_WITH_ERRORS for an optional one). When no task of either list ran, Conductor's
// join stays IN_PROGRESS: so does Baton's, waiting for an update from outside (see wait.go),
// or the run's end.
type exclusiveJoinTask struct{ ctask }

func (t *exclusiveJoinTask) compile(c *compiler, _ place) {
	if len(t.wt.JoinOn) == 0 {
		c.fail(t.ref, "joinOn", fmt.Errorf("%w: required for %s", ErrMalformed, TypeExclusiveJoin))
	}
	c.waitingOptions(&t.ctask)
}

// link checks that joinOn and defaultExclusiveJoinTask name tasks of the workflow.
func (t *exclusiveJoinTask) link(c *compiler) {
	check := func(field string, refs []string) {
		for i, r := range refs {
			if _, ok := c.w.tasks[r]; !ok {
				c.fail(t.ref, fmt.Sprintf("%s[%d]", field, i), fmt.Errorf("%w %q", ErrUnknownRef, r))
			}
		}
	}
	check("joinOn", t.wt.JoinOn)
	check("defaultExclusiveJoinTask", t.wt.DefaultExclusiveJoinTask)
}

func (t *exclusiveJoinTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		x.in = copyMap(x.in)
		x.in["joinOn"] = stringList(t.wt.JoinOn)
		if len(t.wt.DefaultExclusiveJoinTask) > 0 {
			x.in["defaultExclusiveJoinTask"] = stringList(t.wt.DefaultExclusiveJoinTask)
		}
		for _, refs := range [][]string{t.wt.JoinOn, t.wt.DefaultExclusiveJoinTask} {
			for _, r := range refs {
				if ts, ok := s.tasks[r]; ok && ranInIteration(ts, x.iter, t.loop != nil) {
					return x.done(s, slip, deepCopy(ts.output).(map[string]any)), nil
				}
			}
		}
		out, err := awaitUpdate(ctx, s, &x, noDeadline, nil)
		if err != nil {
			return nil, fmt.Errorf("none of %s ran: %w", strings.Join(append(append([]string{}, t.wt.JoinOn...), t.wt.DefaultExclusiveJoinTask...), ", "), err)
		}
		return x.done(s, slip, out), nil
	}
}

// ranInIteration reports whether ts is of the current loop iteration iter, for a join in a
// loop (Conductor joins on the task of the same iteration).
func ranInIteration(ts *taskState, iter int, inLoop bool) bool {
	return !inLoop || ts.iteration == iter
}

func stringList(refs []string) []any {
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = r
	}
	return out
}
