package conductor

import (
	"context"
	"fmt"
	"math"

	"github.com/baton-go/baton"
)

// forkJoinDynamicTask is a FORK_JOIN_DYNAMIC task: the input parameter dynamicForkTasksParam
// holds a list of task definitions, and dynamicForkTasksInputParamName a map from their
// reference names to their inputs. The list is checked first (types, fields, engines,
// policies: see dynamicTasks); then each task runs as a branch of its own, as in FORK_JOIN, in
// the hidden stage dynamicStage one fork level down, with its task definition's policies (see
// dynamic.go). The fork waits for them all; the JOIN that follows outputs them all.
type forkJoinDynamicTask struct {
	ctask
	join *joinTask // its JOIN
}

func (t *forkJoinDynamicTask) compile(c *compiler, at place) {
	c.needParam(&t.ctask, "dynamicForkTasksParam", t.wt.DynamicForkTasksParam)
	c.needParam(&t.ctask, "dynamicForkTasksInputParamName", t.wt.DynamicForkTasksInputParamName)
	c.w.depth = max(c.w.depth, at.depth+1)
	c.followedByJoin(&t.ctask, at)
}

// hiddenStages adds the stage that runs the forked tasks, one level down, once for all the
// dynamic forks of a level. It runs tasks of many policies: it carries out each one's itself
// (see dynamicStep), and Baton retries it for as long as the stage says.
func (t *forkJoinDynamicTask) hiddenStages(w *Workflow, b *stageSet) {
	b.share(t.depth+1, dynamicStage, w.dynamicStep, baton.Retry(baton.RetryPolicy{MaxAttempts: math.MaxInt32}))
}

func (t *forkJoinDynamicTask) process(w *Workflow) stageFn {
	param, inputParam := t.wt.DynamicForkTasksParam, t.wt.DynamicForkTasksInputParamName
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		tasks, err := w.dynamicTasks(x.in[param])
		if err != nil {
			return nil, baton.Permanent(fmt.Errorf("%s: %w", param, err))
		}
		inputs, _ := x.in[inputParam].(map[string]any)
		branches := make([]*state, len(tasks))
		refs := make([]any, len(tasks))
		for i, dt := range tasks {
			b := s.branch([]string{dynamicStage}, t.depth+1)
			b.dyn, b.dynIter = dt, x.iter
			b.dynIn, _ = inputs[dt.TaskReferenceName].(map[string]any)
			branches[i] = b
			refs[i] = dt.TaskReferenceName
		}
		out := map[string]any{"forkedTasks": refs}
		n, err := w.fork(ctx, x.done(s, slip, out), slip, branches, nil)
		return n, forkFailed(err, &x, out, t.join)
	}
}

// checkJoin: the JOIN waits for every forked task, whatever its joinOn says (as in Conductor,
// which replaces it), so that joinOn is not checked.
func (t *forkJoinDynamicTask) checkJoin(_ *compiler, j *joinTask) { t.join = j }

// joinedTasks: the JOIN outputs the forked tasks.
func (t *forkJoinDynamicTask) joinedTasks(s *state, _ []string) []string {
	var refs []string
	if f, ok := s.tasks[t.ref]; ok {
		forked, _ := f.output["forkedTasks"].([]any)
		for _, r := range forked {
			refs = append(refs, r.(string))
		}
	}
	return refs
}
