package conductor

import (
	"context"
	"errors"

	"github.com/baton-go/baton"
)

// A task's log entry is made by its stage, in the state it returns, with its attempts; a task
// that failed and was tolerated (an optional task) is logged by its stage's Tolerate
// (tolerated), so the state carries every step that let the message go on. What a state cannot
// carry is the step that failed its message: Baton drops a failed step's state, so logFailure
// adds that step's entry from the slip's log.

// logFailure returns final with the entry of the step that failed its message, if one did, and
// those of the branches of a fork that failed there, which its dropped state cannot carry.
func (w *Workflow) logFailure(final *state, steps []baton.StepRecord) *state {
	for i := len(steps) - 1; i >= 0; i-- {
		if rec := steps[i]; rec.Outcome == baton.Failed {
			var ue *unscheduledError
			if errors.As(rec.Err, &ue) {
				return final // Conductor never scheduled the task: it is not in the log
			}
			out := final.clone()
			e := w.failedEntry(final, rec)
			var ff *forkFailure
			if errors.As(rec.Err, &ff) && ff.head != nil {
				e = *ff.head // the fork itself completed, as in Conductor (see forkFailed)
			}
			out.log = &logNode{entry: e, prev: out.log}
			out.log = appendLog(out.log, forkEntries(rec.Err))
			return out
		}
	}
	return final
}

// forkEntries returns the log entries of the branches of a fork whose failure err is.
func forkEntries(err error) []TaskRun {
	var ff *forkFailure
	if errors.As(err, &ff) {
		return ff.entries
	}
	return nil
}

// failedEntry is the log entry of a step that failed.
func (w *Workflow) failedEntry(s *state, rec baton.StepRecord) TaskRun {
	e := TaskRun{Ref: rec.Stage, Attempts: rec.Attempts, Err: rec.Err, Status: TaskFailed, Output: outputOfFailure(rec.Err)}
	if ct := w.stageTask(rec.Stage); ct != nil {
		e.Ref, e.Name, e.Type = ct.ref, ct.name, ct.typ
		e.Iteration = s.iteration(ct)
		e.TaskID = taskID(s, ct.ref, e.Iteration)
		if in, err := w.resolve(ct, s, e.TaskID); err == nil {
			e.Input = in // as Conductor shows a failed task's inputData
		}
	} else if rec.Stage == dynamicStage && s.dyn != nil {
		e.Ref, e.Name, e.Type = s.dyn.TaskReferenceName, s.dyn.Name, taskType(s.dyn)
		e.Iteration = s.dynIter
		e.TaskID = taskID(s, e.Ref, e.Iteration)
		if in, err := w.dynamicInput(s, e.TaskID); err == nil {
			e.Input = in
		}
	}
	switch {
	case errors.Is(rec.Err, errWorkflowTimeout), errors.Is(rec.Err, errRunEnded), errors.Is(rec.Err, errBranchStopped):
		e.Status = TaskCanceled // the run ended (timed out, failed elsewhere) while the task ran, as Conductor cancels it
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

// tolerated is the Tolerate of every stage of a workflow (baton.Tolerator): the step of an
// optional task failed, with err, and the run goes on from s with that execution of the task
// recorded as COMPLETED_WITH_ERRORS — input resolved as the task saw it, output what it failed
// with (empty but for a worker's failed output or a sub-workflow's), reason
// the last attempt's error — so that later expressions see it, as in Conductor, and logged with
// the branches of a fork that failed there.
func (w *Workflow) tolerated(s *state, slip *baton.Slip, err error) *state {
	stage := slip.Stage()
	ts := &taskState{ref: stage, status: TaskCompletedWithErrors, output: map[string]any{}, err: err}
	if out := outputOfFailure(err); out != nil {
		ts.output = out // what the failed task output (a worker's, a sub-workflow's), as Conductor keeps it
	}
	if err != nil {
		ts.reason = err.Error()
	}
	if ct := w.stageTask(stage); ct != nil {
		ts.ref, ts.name, ts.typ = ct.ref, ct.name, ct.typ
		ts.status = toleratedStatus(ct, err) // a permissive task's stays FAILED
		ts.iteration = s.iteration(ct)
		ts.taskID = taskID(s, ct.ref, ts.iteration)
		if in, err := w.resolve(ct, s, ts.taskID); err == nil {
			ts.input = in
		}
	} else if stage == dynamicStage && s.dyn != nil {
		ts.ref, ts.name, ts.typ = s.dyn.TaskReferenceName, s.dyn.Name, taskType(s.dyn)
		ts.iteration = s.dynIter
		ts.taskID = taskID(s, ts.ref, ts.iteration)
		if in, err := w.dynamicInput(s, ts.taskID); err == nil {
			ts.input = in
		}
	}
	n := s.withTask(ts, slip.Attempt())
	n.log = appendLog(n.log, forkEntries(err))
	return n
}

// unscheduledError is the error of a task that Conductor fails the run with while scheduling
// it (its mapper's TerminateWorkflowException), so that the task is never in its log: the run
// fails, with the error's text as its reason, and the task has no log entry.
type unscheduledError struct{ err error }

// unscheduled returns err as the permanent error of a task that is never scheduled.
func unscheduled(err error) error { return baton.Permanent(&unscheduledError{err: err}) }

func (e *unscheduledError) Error() string { return e.err.Error() }
func (e *unscheduledError) Unwrap() error { return e.err }
