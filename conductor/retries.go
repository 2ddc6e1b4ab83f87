package conductor

import (
	"context"
	"strconv"

	"github.com/baton-go/baton"
)

// Retries in the log, as Conductor lists them: each retry of a task is a task of its own in
// the workflow's task list, so a task tried three times is three entries — two FAILED (or
// TIMED_OUT) and the last with the task's final status. Baton retries a step inside one stage
// step, so each failed attempt is noted here, by the stage that made it, in its run's
// runInfo; when the run ends, the log gets, before each entry of a task tried more than once,
// an entry for each earlier attempt: its status, error and reason, its input as it was
// resolved, the output it failed with, Attempts its number and RetryCount one less, TaskID the
// final entry's with "#<attempt>" appended, and RetriedTaskID the id of the attempt before.

// attemptRecorder wraps fn, the stage name's, to note its failed attempts.
func (w *Workflow) attemptRecorder(name string, fn stageFn) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		n, err := fn(ctx, s, slip)
		if err != nil && s != nil && s.run != nil {
			w.noteAttempt(s, baton.StepRecord{Stage: name, Attempts: slip.Attempt(), Err: err})
		}
		return n, err
	}
}

// noteAttempt records the failed attempt rec of a task of s's run.
func (w *Workflow) noteAttempt(s *state, rec baton.StepRecord) {
	e := w.failedEntry(s, rec)
	if e.TaskID == "" {
		return // a hidden stage: not a task
	}
	e.Attempts, e.RetryCount = max(rec.Attempts, 1), max(rec.Attempts-1, 0)
	ri := s.run
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.attempts == nil {
		ri.attempts = map[string][]TaskRun{}
	}
	ri.attempts[e.TaskID] = append(ri.attempts[e.TaskID], e)
}

// withRetries returns log with the earlier attempts of each task tried more than once
// inserted before its entry (see above).
func (ri *runInfo) withRetries(log []TaskRun) []TaskRun {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if len(ri.attempts) == 0 {
		return log
	}
	out := make([]TaskRun, 0, len(log))
	for _, e := range log {
		if e.Attempts > 1 {
			prev := ""
			for _, a := range ri.attempts[e.TaskID] {
				if a.Attempts >= e.Attempts {
					break
				}
				a.TaskID, a.RetriedTaskID = e.TaskID+"#"+strconv.Itoa(a.Attempts), prev
				prev = a.TaskID
				out = append(out, a)
			}
			e.RetriedTaskID = prev
		}
		e.RetryCount = max(e.Attempts-1, 0)
		out = append(out, e)
	}
	return out
}
