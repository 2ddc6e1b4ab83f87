package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// forkJoinTask is a FORK_JOIN task: each branch runs as a message of its own, along a slip of
// the branch's tasks, in the pipeline one fork level down, all at once. The fork waits for the
// branches its JOIN waits for (those holding a task of joinOn; none when joinOn is empty) and
// merges their results in branch order (task outputs, variables, log); the other branches go
// on while the run does, and reach its state when it ends (see awaitBranches). The first
// branch to fail or TERMINATE while the fork waits stops the others at their next step; a
// failure fails the fork, a TERMINATE ends the run. The following JOIN then completes at once.
// See fork.go.
type forkJoinTask struct {
	ctask
	branches [][]string // the refs of each branch's top level
	spans    [][2]int   // the ords of each branch's tasks, (lo, hi]
	joined   []bool     // the branches its JOIN waits for (see checkJoin)
	join     *joinTask  // its JOIN
}

func (t *forkJoinTask) compile(c *compiler, at place) {
	wt := t.wt
	c.forks = append(c.forks, t)
	if len(wt.ForkTasks) == 0 {
		c.fail(t.ref, "forkTasks", fmt.Errorf("%w: no branches", ErrMalformed))
	}
	for i, branch := range wt.ForkTasks {
		if len(branch) == 0 {
			c.fail(t.ref, fmt.Sprintf("forkTasks[%d]", i), fmt.Errorf("%w: empty branch", ErrMalformed))
		}
		lo := c.ord
		t.branches = append(t.branches, c.list(branch, fmt.Sprintf("%s.forkTasks[%d]", t.ref, i), at.loop, at.depth+1))
		t.spans = append(t.spans, [2]int{lo, c.ord})
	}
	c.w.depth = max(c.w.depth, at.depth+1)
	c.followedByJoin(&t.ctask, at)
}

func (t *forkJoinTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		branches := make([]*state, len(t.branches))
		for i, refs := range t.branches {
			branches[i] = s.branch(refs, t.depth+1)
		}
		n, err := w.fork(ctx, x.done(s, slip, nil), slip, branches, t.joined)
		if err == nil && n.end != nil && t.join != nil {
			// A branch TERMINATEd the run while the JOIN waited: Conductor cancels the JOIN.
			n.log = appendLog(n.log, []TaskRun{canceledJoin(&x, t.join, anyList(t.join.wt.JoinOn), "a branch of its fork terminated the workflow")})
		}
		var joinOn []any
		if t.join != nil {
			joinOn = anyList(t.join.wt.JoinOn)
		}
		return n, forkFailed(err, &x, nil, t.join, joinOn)
	}
}

// checkJoin checks the joinOn of JOIN j and marks the branches it waits for: those holding a
// task it names. Each must be a task of the fork's branches.
func (t *forkJoinTask) checkJoin(c *compiler, j *joinTask) {
	t.joined = make([]bool, len(t.spans))
	t.join = j
	for i, r := range j.wt.JoinOn {
		field := fmt.Sprintf("joinOn[%d]", i)
		k, ok := c.w.tasks[r]
		if !ok {
			c.fail(j.ref, field, fmt.Errorf("%w %q", ErrUnknownRef, r))
			continue
		}
		b := t.branchOf(k.base())
		if b < 0 {
			c.fail(j.ref, field, fmt.Errorf("%w: %q is not a task of the branches of fork %q", ErrUnknownRef, r, t.ref))
			continue
		}
		t.joined[b] = true
	}
}

// joinedTasks: the JOIN outputs the tasks of its joinOn.
func (t *forkJoinTask) joinedTasks(_ *state, joinOn []string) []string { return joinOn }

// branchOf returns the branch of the fork that holds ct (at any depth), or -1.
func (t *forkJoinTask) branchOf(ct *ctask) int {
	for i, sp := range t.spans {
		if ct.ord > sp[0] && ct.ord <= sp[1] {
			return i
		}
	}
	return -1
}

// laterInBranch finds, in the log before the fork's JOIN, the last entry of a task of one of
// the fork's branches that is not the first task of its branch: one Conductor schedules after
// the JOIN (see Workflow.lastTask). It returns its index.
func (t *forkJoinTask) laterInBranch(log []TaskRun) (int, bool) {
	firsts := map[string]bool{}
	for _, b := range t.branches {
		if len(b) > 0 {
			firsts[b[0]] = true
		}
	}
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if e.Ref == t.ref {
			return 0, false
		}
		if !firsts[e.Ref] && e.Type != TypeDoWhile {
			return i, true
		}
	}
	return 0, false
}
