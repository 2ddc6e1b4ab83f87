package conductor

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/baton-go/baton"
)

// forkFailure is the error of a fork whose branch failed: the branch's error, and the log
// entries of all its branches, which the fork's dropped state cannot carry.
type forkFailure struct {
	err     error
	entries []TaskRun
}

func (f *forkFailure) Error() string { return f.err.Error() }
func (f *forkFailure) Unwrap() error { return f.err }

// forkTask is a FORK_JOIN task's stage: each branch runs as a message of its own, along a
// slip of the branch's tasks, in the pipeline one fork level down, all at once. When all are
// done their results are merged in branch order (task outputs, variables, log). The first
// branch to fail or TERMINATE stops the others at their next step; a failure fails the fork,
// a TERMINATE ends the run. The following JOIN then completes at once.
func (w *Workflow) forkTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		branches := make([]*state, len(ct.branches))
		for i, refs := range ct.branches {
			b := s.clone()
			b.route, b.depth, b.end = refs, ct.depth+1, nil
			branches[i] = b
		}
		head := completed(s, slip, ct, id, iter, in, nil)
		return w.join(ctx, head, slip, branches)
	}
}

// join runs branches (each forked from head's parent) and merges them into head.
func (w *Workflow) join(ctx context.Context, head *state, slip *baton.Slip, branches []*state) (*state, error) {
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	first := -1 // the branch that stopped the others
	finals, errs := w.runSlips(bctx, branches, func(i int, s *state, err error) {
		if first < 0 && (err != nil || s.end != nil) {
			first = i
			cancel()
		}
	})
	merged := head.clone()
	merged.tasks = maps.Clone(head.tasks)
	var entries []TaskRun
	varsCopied := false
	for i, f := range finals {
		base := branches[i]
		for ref, ts := range f.tasks {
			if base.tasks[ref] != ts {
				merged.tasks[ref] = ts
			}
		}
		var added []TaskRun
		for n := f.log; n != nil && n != base.log; n = n.prev {
			added = append(added, n.entry)
		}
		for j := len(added) - 1; j >= 0; j-- {
			e := added[j]
			entries = append(entries, e)
			if e.Type == "SET_VARIABLE" && e.Status == TaskCompleted {
				if !varsCopied {
					merged.vars, varsCopied = cloneVars(head.vars), true
				}
				maps.Copy(merged.vars, deepCopy(e.Input).(map[string]any))
			}
		}
	}
	if first >= 0 && errs[first] != nil {
		if ctx.Err() != nil {
			return nil, errs[first]
		}
		return nil, &forkFailure{err: errs[first], entries: entries}
	}
	for _, e := range entries {
		merged.log = &logNode{entry: e, prev: merged.log}
	}
	if first >= 0 {
		merged.end = finals[first].end
		slip.End()
	}
	return merged, nil
}

// dynamicForkTask is a FORK_JOIN_DYNAMIC task's stage: the input parameter
// dynamicForkTasksParam holds a list of task definitions (SIMPLE or SUB_WORKFLOW), and
// dynamicForkTasksInputParamName a map from their reference names to their inputs. Each task
// runs as a branch of its own, as in FORK_JOIN; the JOIN that follows outputs them all.
func (w *Workflow) dynamicForkTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		tasks, err := w.dynamicTasks(in[ct.wt.DynamicForkTasksParam])
		if err != nil {
			return nil, baton.Permanent(fmt.Errorf("%s: %w", ct.wt.DynamicForkTasksParam, err))
		}
		inputs, _ := in[ct.wt.DynamicForkTasksInputParamName].(map[string]any)
		branches := make([]*state, len(tasks))
		refs := make([]any, len(tasks))
		for i, t := range tasks {
			b := s.clone()
			b.route, b.depth, b.end = []string{dynamicStage}, ct.depth+1, nil
			b.dyn, b.dynIter = t, iter
			b.dynIn, _ = inputs[t.TaskReferenceName].(map[string]any)
			branches[i] = b
			refs[i] = t.TaskReferenceName
		}
		head := completed(s, slip, ct, id, iter, in, map[string]any{"forkedTasks": refs})
		return w.join(ctx, head, slip, branches)
	}
}

// dynamicTasks decodes and checks the task list of a dynamic fork.
func (w *Workflow) dynamicTasks(v any) ([]*WorkflowTask, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: want a list of tasks, got %s", ErrMalformed, caseText(v))
	}
	data, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	var tasks []*WorkflowTask
	if err := json.Unmarshal(data, &tasks); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	seen := map[string]bool{}
	for i, t := range tasks {
		switch {
		case t == nil || t.TaskReferenceName == "":
			return nil, fmt.Errorf("%w: task %d has no taskReferenceName", ErrMalformed, i)
		case seen[t.TaskReferenceName] || w.tasks[t.TaskReferenceName] != nil:
			return nil, fmt.Errorf("%w %q", ErrDuplicateRef, t.TaskReferenceName)
		}
		seen[t.TaskReferenceName] = true
		switch taskType(t) {
		case "SIMPLE":
		case "SUB_WORKFLOW":
			if t.SubWorkflowParam == nil || t.SubWorkflowParam.Name == "" {
				return nil, fmt.Errorf("%w: task %q: subWorkflowParam.name is required", ErrMalformed, t.TaskReferenceName)
			}
		default:
			return nil, fmt.Errorf("%w %q in a dynamic fork (SIMPLE and SUB_WORKFLOW are supported)", ErrUnknownTaskType, t.Type)
		}
	}
	return tasks, nil
}

// dynamicTask is the hidden stage that runs one task of a dynamic fork, described by the
// branch's state.
func (w *Workflow) dynamicTask(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
	t := s.dyn
	if t == nil {
		return nil, baton.Permanent(fmt.Errorf("conductor: internal error: dynamic stage without a task"))
	}
	in := copyMap(s.dynIn)
	if in == nil {
		in = map[string]any{}
	}
	id := taskID(s, t.TaskReferenceName, s.dynIter)
	var out map[string]any
	switch taskType(t) {
	case "SUB_WORKFLOW":
		child, err := w.child(t.SubWorkflowParam.Name, t.SubWorkflowParam.Version)
		if err != nil {
			return nil, baton.Permanent(err)
		}
		out, err = w.runChild(ctx, s, child, t.SubWorkflowParam.Name, id, in)
		if err != nil {
			return nil, err
		}
	default:
		worker, err := w.worker(t.Name)
		if err != nil {
			return nil, baton.Permanent(err)
		}
		if out, err = callWorker(ctx, worker, in); err != nil {
			return nil, err
		}
	}
	return s.withTask(&taskState{
		ref: t.TaskReferenceName, name: t.Name, typ: taskType(t), taskID: id, status: TaskCompleted,
		input: in, output: out, iteration: s.dynIter,
	}, slip.Hops()), nil
}

// joinTask is a JOIN task's stage. Its fork has already waited for every branch; the JOIN
// outputs {ref: output} for each task of joinOn (for a dynamic fork with no joinOn, each
// forked task).
func (w *Workflow) joinTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		refs := ct.wt.JoinOn
		if len(refs) == 0 && ct.fork != nil && ct.fork.typ == "FORK_JOIN_DYNAMIC" {
			if f, ok := s.tasks[ct.fork.ref]; ok {
				forked, _ := f.output["forkedTasks"].([]any)
				for _, r := range forked {
					refs = append(refs, r.(string))
				}
			}
		}
		out := map[string]any{}
		for _, r := range refs {
			if t, ok := s.tasks[r]; ok {
				out[r] = deepCopy(t.output)
			}
		}
		return completed(s, slip, ct, id, iter, in, out), nil
	}
}
