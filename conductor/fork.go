package conductor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"

	"github.com/baton-go/baton"
)

// This file holds what FORK_JOIN and FORK_JOIN_DYNAMIC share: each branch runs as a message
// of its own, along a slip of the branch's tasks, in the pipeline one fork level down, all at
// once; the fork waits for the branches its JOIN waits for and merges their results (see fork).

// forkFailure is the error of a fork whose branch failed: the branch's error, and the log
// entries of all its branches, which the fork's dropped state cannot carry.
type forkFailure struct {
	err     error
	entries []TaskRun
	head    *TaskRun // the fork's own entry, COMPLETED, when the fork task set it (see forkFailed)
}

// forkFailed completes the error of fork x whose branch failed, as Conductor logs it: the
// fork task itself COMPLETED (it completes when it forks), its branches, then its JOIN
// CANCELED. Other errors are returned as they are.
func forkFailed(err error, x *execution, forkOut map[string]any, join *joinTask, joinOn []any) error {
	var ff *forkFailure
	if !errors.As(err, &ff) || ff.head != nil {
		return err
	}
	head := x.state(TaskCompleted, forkOut).entry()
	ff.head = &head
	if join != nil {
		ff.entries = append(ff.entries, canceledJoin(x, join, joinOn, "a branch of its fork failed"))
	}
	return err
}

// canceledJoin is the log entry of the JOIN of fork x cancelled for reason, before it ran: its
// input is the joinOn it had, as Conductor schedules a JOIN with it.
func canceledJoin(x *execution, join *joinTask, joinOn []any, reason string) TaskRun {
	return TaskRun{
		Ref: join.ref, Name: join.name, Type: join.typ, TaskID: taskIDOf(x, join.ref), Status: TaskCanceled,
		Input: map[string]any{"joinOn": deepCopy(joinOn)}, Output: map[string]any{},
		Iteration: x.iter, Attempts: 1, Err: context.Canceled, Reason: reason,
	}
}

// anyList is refs as a JSON list.
func anyList(refs []string) []any {
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = r
	}
	return out
}

// taskIDOf is the id of task ref in the same run and iteration as x.
func taskIDOf(x *execution, ref string) string {
	base, _, _ := strings.Cut(x.id, "/"+x.ref)
	id := base + "/" + ref
	if x.iter > 0 {
		id += "__" + strconv.Itoa(x.iter)
	}
	return id
}

func (f *forkFailure) Error() string { return f.err.Error() }
func (f *forkFailure) Unwrap() error { return f.err }

// forkKind is the kind of a fork, which a JOIN must follow.
type forkKind interface {
	kind
	// checkJoin checks the joinOn of the JOIN j that follows the fork, once every task is
	// compiled.
	checkJoin(c *compiler, j *joinTask)
	// joinedTasks returns the tasks whose outputs the JOIN outputs, given its joinOn, on the
	// state it runs on.
	joinedTasks(s *state, joinOn []string) []string
}

// followedByJoin checks that fork ct, at at, is followed by a JOIN.
func (c *compiler) followedByJoin(ct *ctask, at place) {
	if at.i+1 >= len(at.list) || at.list[at.i+1] == nil || taskType(at.list[at.i+1]) != TypeJoin {
		c.fail(ct.ref, "type", fmt.Errorf("%w: a %s must be followed by a %s", ErrMalformed, ct.typ, TypeJoin))
	}
}

// branch returns the state a fork branch starts from: s, to run route one fork level down.
func (s *state) branch(route []string, depth int) *state {
	b := s.clone()
	b.route, b.depth, b.end = route, depth, nil
	return b
}

// batch is the branches of one fork, each a message along its own slip in the pipeline one
// fork level down, all running at once under the run's context.
type batch struct {
	starts  []*state // the state each branch started from
	finals  []*state // each branch's final state, set as it ends
	errs    []error
	joined  []bool // the branches the fork waited for (nil: all)
	cancel  context.CancelFunc
	results chan int      // the index of each branch as it ends
	done    chan struct{} // closed once every branch has ended

	mu    sync.Mutex
	first int      // the first branch to fail or TERMINATE; -1 while none has
	run   *runInfo // set once the fork has gone on: a branch's stop then stops the run
}

// startSlips starts states along their slips, each a message of the pipeline of their fork
// level, under ctx.
func (w *Workflow) startSlips(ctx context.Context, states []*state) *batch {
	bctx, cancel := context.WithCancel(ctx)
	b := &batch{
		starts: states, finals: make([]*state, len(states)), errs: make([]error, len(states)),
		cancel: cancel, results: make(chan int, len(states)), done: make(chan struct{}), first: -1,
	}
	go func() {
		defer close(b.done)
		defer cancel()
		w.runSlips(bctx, states, func(i int, s *state, err error) {
			b.mu.Lock()
			b.finals[i], b.errs[i] = s, err
			if b.first < 0 && (err != nil || s.end != nil) {
				b.first = i
				if b.run != nil {
					b.run.branchStopped(s, err)
				} else {
					cancel()
				}
			}
			b.mu.Unlock()
			b.results <- i
		})
	}()
	return b
}

// fork runs branches (each forked from head's parent), waits for those joined says (nil: all)
// and returns head with them merged. The others are left to the run (runInfo.detached), which
// merges them when it ends. When a branch fails or TERMINATEs while the fork waits, the fork
// stops the others, waits for them all and merges them all: a failure is the fork's error, a
// TERMINATE the end of the run. A cancelled ctx (the step's) stops the branches.
func (w *Workflow) fork(ctx context.Context, head *state, slip *baton.Slip, branches []*state, joined []bool) (*state, error) {
	if len(branches) == 0 {
		return head, nil
	}
	b := w.startSlips(head.run.ctx, branches)
	stopWaiting := context.AfterFunc(ctx, b.cancel)
	need, rest := 0, 0
	for i := range branches {
		if joined == nil || joined[i] {
			need++
		} else {
			rest++
		}
	}
	for need > 0 {
		i := <-b.results
		if joined == nil || joined[i] {
			need--
		}
		b.mu.Lock()
		stopped := b.first >= 0
		b.mu.Unlock()
		if stopped {
			break
		}
	}
	if stopWaiting() {
		b.mu.Lock()
		goOn := b.first < 0 && need == 0
		if goOn && rest > 0 {
			b.joined, b.run = joined, head.run
			head.run.addDetached(b)
		}
		b.mu.Unlock()
		if goOn {
			if rest == 0 {
				<-b.done
			}
			merged, entries := b.merge(head, func(i int) bool { return joined == nil || joined[i] })
			merged.log = appendLog(merged.log, entries)
			return merged, nil
		}
	}
	<-b.done
	merged, entries := b.merge(head, func(int) bool { return true })
	if first := b.first; first >= 0 && b.errs[first] != nil {
		if ctx.Err() != nil {
			return nil, b.errs[first]
		}
		return nil, &forkFailure{err: b.errs[first], entries: entries}
	}
	merged.log = appendLog(merged.log, entries)
	if first := b.first; first >= 0 {
		merged.end = b.finals[first].end
		slip.End()
	}
	return merged, nil
}

// merge returns into with the ended branches that pick picks merged, in branch order: the
// tasks they ran and the variables they set. It returns their log entries, in the same order,
// for the caller to log or to report.
func (b *batch) merge(into *state, pick func(i int) bool) (*state, []TaskRun) {
	merged := into.clone()
	merged.tasks = maps.Clone(into.tasks)
	var entries []TaskRun
	varsCopied := false
	for i := range b.finals {
		if !pick(i) {
			continue // maybe still running: not to be read
		}
		f, base := b.finals[i], b.starts[i]
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
			if vars, ok := setVariables(e); ok {
				if !varsCopied {
					merged.vars, varsCopied = cloneVars(merged.vars), true
				}
				maps.Copy(merged.vars, deepCopy(vars).(map[string]any))
			}
		}
	}
	return merged, entries
}

// appendLog returns log with entries added, oldest first.
func appendLog(log *logNode, entries []TaskRun) *logNode {
	for _, e := range entries {
		log = &logNode{entry: e, prev: log}
	}
	return log
}

// addDetached hands the run a fork's branches that its JOIN did not wait for.
func (ri *runInfo) addDetached(b *batch) {
	ri.mu.Lock()
	ri.detached = append(ri.detached, b)
	ri.mu.Unlock()
}

// branchStopped is told of the first branch, among those left to the run, to fail or
// TERMINATE: unless the run is already ending, that ends it, as in Conductor. The run's
// context is cancelled, so the rest of the run stops at its next step, and the run ends with
// the branch's failure or termination.
func (ri *runInfo) branchStopped(s *state, err error) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.stopped {
		return
	}
	ri.stopped, ri.stopErr, ri.stopEnd = true, err, s.end
	ri.cancel(errBranchStopped)
}

// halt stops the branches left to the run: it ends otherwise (failed or terminated).
func (ri *runInfo) halt() {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if !ri.stopped {
		ri.stopped = true
		ri.cancel(errRunEnded)
	}
}

// branchStop returns what stopped the run, if a branch left to it did: its error or its
// termination.
func (ri *runInfo) branchStop() (err error, end *termination, ok bool) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	return ri.stopErr, ri.stopEnd, ri.stopErr != nil || ri.stopEnd != nil
}

// awaitBranches waits for the branches left to the run (also those their own forks leave) and
// returns final with them merged, fork by fork, in the order the forks went on: their tasks,
// variables and log entries (after the rest of the run's).
func (w *Workflow) awaitBranches(ri *runInfo, final *state) *state {
	for i := 0; ; i++ {
		ri.mu.Lock()
		if i >= len(ri.detached) {
			ri.mu.Unlock()
			return final
		}
		b := ri.detached[i]
		ri.mu.Unlock()
		<-b.done
		merged, entries := b.merge(final, func(j int) bool { return !b.joined[j] })
		merged.log = appendLog(merged.log, entries)
		final = merged
	}
}
