package conductor

import (
	"context"
	"fmt"
	"strings"

	"github.com/baton-go/baton"
)

// joinTask is a JOIN task, which follows a fork. Its fork has already waited for the branches
// it joins; the JOIN outputs {ref: output} for each task the fork says it joins that ran (a
// failed optional one included), as Conductor does: after a FORK_JOIN, those of its joinOn
// (nothing for an empty joinOn); after a FORK_JOIN_DYNAMIC, each forked task, whatever its
// joinOn says (Conductor replaces it with the forked tasks).
type joinTask struct {
	ctask
	fork forkKind // the fork it follows
}

func (t *joinTask) compile(c *compiler, at place) {
	if at.i > 0 && at.list[at.i-1] != nil {
		if f, ok := c.w.tasks[at.list[at.i-1].TaskReferenceName].(forkKind); ok {
			t.fork = f
			return
		}
	}
	c.fail(t.ref, "type", fmt.Errorf("%w: a %s must follow a %s or %s", ErrMalformed, TypeJoin, TypeForkJoin, TypeForkJoinDynamic))
}

// link checks the joinOn, as the fork says.
func (t *joinTask) link(c *compiler) {
	if t.fork != nil {
		t.fork.checkJoin(c, t)
	}
}

func (t *joinTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		refs := t.wt.JoinOn
		if t.fork != nil {
			refs = t.fork.joinedTasks(s, refs)
		}
		on := make([]any, len(refs))
		for i, r := range refs {
			on[i] = r
		}
		x.addInput("joinOn", on)
		out := map[string]any{}
		var failures, withErrors []string
		for _, r := range refs {
			ts, ok := s.tasks[r]
			if !ok {
				continue
			}
			if len(ts.output) > 0 { // Conductor: a task with an empty output is left out
				out[r] = deepCopy(ts.output)
			}
			switch ts.status {
			case TaskFailed, TaskTimedOut, TaskCanceled: // a permissive task: the JOIN fails
				failures = append(failures, ts.reason)
			case TaskCompletedWithErrors:
				withErrors = append(withErrors, ts.name+"/"+ts.taskID)
			}
		}
		if len(failures) > 0 {
			return nil, baton.Permanent(fmt.Errorf("%s: %s", t.typ, strings.Join(failures, " ")))
		}
		if len(withErrors) > 0 {
			// Conductor: a JOIN after optional tasks that failed completes with errors.
			ts := x.state(TaskCompletedWithErrors, out)
			ts.reason = strings.Join(withErrors, " ") + " completed with errors"
			return s.withTask(ts, slip.Attempt()), nil
		}
		return x.done(s, slip, out), nil
	}
}
