package conductor

import (
	"context"
	"fmt"

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
		out := map[string]any{}
		for _, r := range refs {
			if ts, ok := s.tasks[r]; ok {
				out[r] = deepCopy(ts.output)
			}
		}
		return x.done(s, slip, out), nil
	}
}
