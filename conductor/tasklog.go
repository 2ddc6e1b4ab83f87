package conductor

import (
	"context"
	"errors"

	"github.com/baton-go/baton"
)

// completeLog merges a slip's log into the task log of its final state. Each stage logs its
// task's successful end in the state, with the number of its step; Baton's log adds what a
// state cannot carry: the attempts of each step, and the steps that failed (FAILED, TIMED_OUT)
// or were tolerated (optional tasks: COMPLETED_WITH_ERRORS), whose states were dropped.
// Entries are put in the order of the steps. start is the state the slip began with.
func (w *Workflow) completeLog(start, final *state, steps []baton.StepRecord) *state {
	// The entries this slip added, oldest first, grouped under the step that added them
	// (entries of step 0 are a fork's branches, which follow their fork).
	var added []*logNode
	for n := final.log; n != nil && n != start.log; n = n.prev {
		added = append(added, n)
	}
	if len(added) == 0 && !hasFailure(steps) {
		return final
	}
	byHop := map[int][]TaskRun{}
	hop := 0
	for i := len(added) - 1; i >= 0; i-- {
		if added[i].hop > 0 {
			hop = added[i].hop
		}
		byHop[hop] = append(byHop[hop], added[i].entry)
	}
	log := start.log
	push := func(e TaskRun) { log = &logNode{entry: e, prev: log} }
	for _, e := range byHop[0] { // entries made before the first step, if any
		push(e)
	}
	for i, rec := range steps {
		switch rec.Outcome {
		case baton.Succeeded:
			for j, e := range byHop[i+1] {
				if j == 0 {
					e.Attempts = rec.Attempts
				}
				push(e)
			}
		case baton.Tolerated:
			// recordTolerated logged it in the state, with its input, as step i+1.
			if es := byHop[i+1]; len(es) > 0 {
				for j, e := range es {
					if j == 0 {
						e.Attempts = rec.Attempts
					}
					push(e)
				}
			} else {
				push(w.failedEntry(final, rec))
			}
			var ff *forkFailure
			if errors.As(rec.Err, &ff) {
				for _, e := range ff.entries {
					push(e)
				}
			}
		case baton.Failed:
			var ff *forkFailure
			if errors.As(rec.Err, &ff) && ff.head != nil {
				push(*ff.head) // the fork itself completed (see forkFailed)
			} else {
				push(w.failedEntry(final, rec))
			}
			if errors.As(rec.Err, &ff) {
				for _, e := range ff.entries {
					push(e)
				}
			}
		}
	}
	out := final.clone()
	out.log = log
	return out
}

func hasFailure(steps []baton.StepRecord) bool {
	for _, r := range steps {
		if r.Outcome == baton.Failed || r.Outcome == baton.Tolerated {
			return true
		}
	}
	return false
}

// failedEntry is the log entry of a step that failed or was tolerated.
func (w *Workflow) failedEntry(s *state, rec baton.StepRecord) TaskRun {
	e := TaskRun{Ref: rec.Stage, Attempts: rec.Attempts, Err: rec.Err, Status: TaskFailed}
	if ct := w.stageTask(rec.Stage); ct != nil {
		e.Ref, e.Name, e.Type = ct.ref, ct.name, ct.typ
		e.Iteration = s.iteration(ct)
		e.TaskID = taskID(s, ct.ref, e.Iteration)
	} else if rec.Stage == dynamicStage && s.dyn != nil {
		e.Ref, e.Name, e.Type = s.dyn.TaskReferenceName, s.dyn.Name, taskType(s.dyn)
		e.Iteration = s.dynIter
		e.TaskID = taskID(s, e.Ref, e.Iteration)
	}
	switch {
	case rec.Outcome == baton.Tolerated:
		e.Status = toleratedStatus(w.stageTask(rec.Stage), rec.Err)
	case errors.Is(rec.Err, baton.ErrTimeout):
		e.Status = TaskTimedOut
	case errors.Is(rec.Err, context.Canceled):
		e.Status = TaskCanceled
	}
	if rec.Err != nil {
		e.Reason = rec.Err.Error()
	}
	return e
}

// recordTolerated returns s with the tolerated steps of log from step s.hop+1 on recorded as
// executions of their tasks with status COMPLETED_WITH_ERRORS (input resolved as the task saw
// it, output empty, reason the last attempt's error), each logged as its step. Baton keeps a
// message's value unchanged across a tolerated step, so s is the state each of them started
// from.
func (w *Workflow) recordTolerated(s *state, log []baton.StepRecord) *state {
	for k := s.hop; k < len(log); k++ {
		if rec := log[k]; rec.Outcome == baton.Tolerated {
			s = s.withTask(w.toleratedTask(s, rec), k+1)
			s.hop = k + 1
		}
	}
	return s
}

// toleratedTask is the execution of the task of a tolerated step, started from s.
func (w *Workflow) toleratedTask(s *state, rec baton.StepRecord) *taskState {
	ts := &taskState{ref: rec.Stage, status: TaskCompletedWithErrors, output: map[string]any{}, err: rec.Err}
	if rec.Err != nil {
		ts.reason = rec.Err.Error()
	}
	if ct := w.stageTask(rec.Stage); ct != nil {
		ts.ref, ts.name, ts.typ = ct.ref, ct.name, ct.typ
		ts.status = toleratedStatus(ct, rec.Err)
		ts.iteration = s.iteration(ct)
		ts.taskID = taskID(s, ct.ref, ts.iteration)
		if in, err := w.resolve(ct, s, ts.taskID); err == nil {
			ts.input = in
		}
	} else if rec.Stage == dynamicStage && s.dyn != nil {
		ts.ref, ts.name, ts.typ = s.dyn.TaskReferenceName, s.dyn.Name, taskType(s.dyn)
		ts.iteration = s.dynIter
		ts.taskID = taskID(s, ts.ref, ts.iteration)
	}
	return ts
}
