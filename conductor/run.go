package conductor

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// RunOption configures one run.
type RunOption func(*runInfo)

// WithWorkflowID sets the run's workflow id (default: a random one). Task ids derive from it,
// so two runs with the same id and input produce the same output.
func WithWorkflowID(id string) RunOption { return func(r *runInfo) { r.workflowID = id } }

// WithCorrelationID sets ${workflow.correlationId}.
func WithCorrelationID(id string) RunOption { return func(r *runInfo) { r.correlationID = id } }

// Causes of the cancellation of a run's context.
var (
	// errWorkflowTimeout is the cause of a run's own deadline (the definition's timeoutSeconds).
	errWorkflowTimeout = errors.New("workflow timeoutSeconds elapsed")
	// errBranchStopped: a fork branch that its JOIN did not wait for failed or TERMINATEd.
	errBranchStopped = errors.New("a fork branch ended the workflow")
	// errRunEnded: the run failed or TERMINATEd; the branches left to it are cancelled.
	errRunEnded = errors.New("the workflow ended")
)

// Run runs the workflow once on input (normalized to JSON values and copied) and returns the
// finished run. The error is nil when the run completed; otherwise it is the Execution's Err:
// a *TaskError matching ErrTaskFailed, or an error matching ErrTerminated, ErrTimedOut or
// ErrLimit. The Execution is returned in every case but an invalid input or a closed workflow.
//
// Cancelling ctx stops the run at its next step, with status TERMINATED. While it runs,
// Runtime.Lookup finds it by its workflow id, to update its waiting tasks (see Handle); Start
// runs it in the background instead. Run is safe to call concurrently. Cost: beyond the workers' own work, a few microseconds and a few allocations
// per task (input resolution, a copy-on-write state, a slip step); see the package doc.
func (w *Workflow) Run(ctx context.Context, input map[string]any, opts ...RunOption) (*Execution, error) {
	ri := &runInfo{}
	for _, o := range opts {
		o(ri)
	}
	return w.run(ctx, input, ri)
}

// run runs the workflow with the run information set by the caller (sub-workflows set their
// parent's).
func (w *Workflow) run(ctx context.Context, input map[string]any, ri *runInfo) (*Execution, error) {
	if w.closed.Load() {
		return nil, ri.abort(ErrClosed)
	}
	in, err := normalizeMap(input)
	if err != nil {
		return nil, ri.abort(fmt.Errorf("conductor: workflow input: %w", err))
	}
	if len(w.def.InputTemplate) > 0 {
		// Conductor: the definition's inputTemplate gives the keys the input lacks.
		tmpl, err := normalizeMap(w.def.InputTemplate)
		if err != nil {
			return nil, fmt.Errorf("conductor: inputTemplate: %w", err)
		}
		for k, v := range tmpl {
			if _, ok := in[k]; !ok {
				in[k] = v
			}
		}
	}
	vars, err := normalizeMap(w.def.Variables)
	if err != nil {
		return nil, ri.abort(err)
	}
	ri.wf, ri.input, ri.created = w, in, time.Now()
	if ri.handle == nil {
		w.open(ri) // Runtime.Lookup finds the run (see handle.go)
	}
	runCtx := ctx
	if w.def.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(ctx, time.Duration(w.def.TimeoutSeconds)*time.Second, errWorkflowTimeout)
		defer cancel()
	}
	// Branches that JOINs do not wait for run on under stopCtx: the first of them to fail or
	// TERMINATE cancels it, which stops the rest of the run (branchStopped).
	stopCtx, stop := context.WithCancelCause(runCtx)
	defer stop(nil)
	ri.mu.Lock()
	ri.ctx, ri.cancel = stopCtx, stop
	if ri.terminate != nil {
		stop(ri.terminate) // Handle.Terminate came first
	}
	ri.mu.Unlock()
	s0 := &state{run: ri, tasks: map[string]*taskState{}, vars: vars, route: w.top}
	final, err := s0, error(nil)
	if len(w.top) > 0 { // a workflow without tasks completes at once, as in Conductor
		final, err = w.runSlip(stopCtx, s0)
	}
	if err != nil || final.end != nil {
		ri.halt() // the run ends here: stop the branches left to it
	}
	final = w.awaitBranches(ri, final)
	if berr, bend, ok := ri.branchStop(); ok && (err == nil && final.end == nil || err != nil && context.Cause(stopCtx) == errBranchStopped) {
		// A branch left to the run failed or TERMINATEd: that is how the run ended.
		err = berr
		if bend != nil {
			final = final.clone()
			final.end = bend
		}
	}

	e := &Execution{
		WorkflowID: ri.workflowID, Name: w.def.Name, Version: w.def.Version, Input: copyMap(in),
		Variables: copyMap(final.vars), Tasks: ri.withRetries(w.scheduledOrder(final.log.slice())),
	}
	if e.Variables == nil {
		e.Variables = map[string]any{}
	}
	switch {
	case err == nil && final.end != nil:
		// Conductor: a TERMINATE's workflowOutput is the output, whatever outputParameters say.
		end := final.end
		e.Status, e.Reason = end.status, end.reason
		e.Output = copyMap(end.output)
		if e.Output == nil {
			e.Output = map[string]any{}
		}
		if end.status != StatusCompleted {
			err = fmt.Errorf("%w by task %q with status %s", ErrTerminated, end.task, end.status)
			if end.reason != "" {
				err = fmt.Errorf("%w: %s", err, end.reason)
			}
		} else if err = w.permissiveFailure(final); err != nil {
			e.Status, e.Reason = "", ""
		}
	case err == nil:
		if err = w.permissiveFailure(final); err == nil {
			e.Status = StatusCompleted
			e.Output, err = w.outputs(final)
		}
	}
	if err != nil {
		var tr *terminateRequest
		var swe *subWorkflowError
		switch {
		case e.Status != "":
			// terminated above
		case errors.As(context.Cause(stopCtx), &tr):
			e.Status, e.Reason = StatusTerminated, tr.reason
			err = wrapOnce(ErrTerminated, "", tr)
		case errors.As(err, &swe) && swe.status == StatusTerminated:
			e.Status = StatusTerminated // Conductor: its sub-workflow was terminated
		case runCtx.Err() != nil && context.Cause(runCtx) == errWorkflowTimeout:
			e.Status = StatusTimedOut
			err = wrapOnce(ErrTimedOut, fmt.Sprintf(" after %ds", w.def.TimeoutSeconds), err)
		case ctx.Err() != nil:
			e.Status = StatusTerminated
			err = wrapOnce(ErrTerminated, "", err)
		case w.timedOut(err):
			e.Status = StatusTimedOut
			err = wrapOnce(ErrTimedOut, "", err)
		default:
			e.Status = StatusFailed
		}
		var pe *permissiveError
		var te *TaskError
		var ue *unscheduledError
		switch {
		case errors.As(err, &pe):
			e.Reason = pe.reason
		case e.Reason == "" && errors.As(err, &ue):
			e.Reason = bare(ue)
		case e.Reason == "" && errors.As(err, &te):
			// As Conductor says it (DeciderService.retry).
			if tr, ok := e.Task(te.Task); ok && tr.TaskID != "" {
				e.Reason = fmt.Sprintf("Task %s failed with status: %s and reason: '%s'", tr.TaskID, e.Status, bare(te.Err))
			}
		}
		if e.Reason == "" {
			e.Reason = err.Error()
		}
		if e.Output == nil {
			// Conductor evaluates the output of a run that did not complete too, and keeps
			// what it can: an expression that fails there leaves the output empty.
			if out, oerr := w.outputs(withFailures(final)); oerr == nil {
				e.Output = out
			} else {
				e.Output = map[string]any{}
			}
		}
	}
	if e.Status != StatusCompleted && ctx.Err() == nil && !errors.As(context.Cause(stopCtx), new(*terminateRequest)) {
		w.startFailureWorkflow(ri, e, failedTaskOf(err, final.end))
	}
	e.Err = err
	ri.handle.finish(e, err)
	return e, err
}

// withFailures returns s with the tasks that failed, timed out or were cancelled at the end of
// the run (their states were dropped; the log has them) recorded as their latest executions,
// so that outputParameters see them as Conductor's do (${ref.status}, reasonForIncompletion).
func withFailures(s *state) *state {
	var failed []TaskRun
	for n := s.log; n != nil; n = n.prev {
		switch n.entry.Status {
		case TaskFailed, TaskTimedOut, TaskCanceled:
			if ts, ok := s.tasks[n.entry.Ref]; !ok || ts.taskID != n.entry.TaskID || ts.status != n.entry.Status {
				failed = append(failed, n.entry)
			}
		}
	}
	if len(failed) == 0 {
		return s
	}
	c := s.clone()
	c.tasks = maps.Clone(s.tasks)
	for i := len(failed) - 1; i >= 0; i-- {
		e := failed[i] // oldest first: the latest execution wins
		out := e.Output
		if out == nil {
			out = map[string]any{}
		}
		c.tasks[e.Ref] = &taskState{ref: e.Ref, name: e.Name, typ: e.Type, taskID: e.TaskID, status: e.Status,
			input: e.Input, output: out, iteration: e.Iteration, reason: e.Reason, err: e.Err, attempts: e.Attempts}
	}
	return c
}

// outputs is the run's output, as Conductor computes it from the final state: the
// definition's outputParameters evaluated, or, without any, the output of the last task
// scheduled (see lastTask).
func (w *Workflow) outputs(s *state) (map[string]any, error) {
	if !w.hasOutput {
		if n := s.log; n != nil && n.entry.Type != TypeDoWhile && n.entry.Type != TypeJoin {
			// The common case: the newest entry, without the log's slice.
			if out := copyMap(n.entry.Output); out != nil {
				return out, nil
			}
			return map[string]any{}, nil
		}
		if last, ok := w.lastTask(s.log.slice()); ok && last.Output != nil {
			return copyMap(last.Output), nil
		}
		return map[string]any{}, nil
	}
	v, err := w.output.eval(&resolver{s: s, strict: w.cfg.strict})
	if err != nil {
		return nil, fmt.Errorf("conductor: outputParameters: %w", err)
	}
	return v.(map[string]any), nil
}

// lastTask is the task Conductor takes the output of a run without outputParameters from: the
// last one in its task list, which is in the order tasks were scheduled. The log is in the
// order tasks ended, so two entries move: a DO_WHILE is scheduled before its body (the last
// body task of its last iteration is later), and a JOIN with the first task of each branch of
// its fork (a branch's later tasks are later).
func (w *Workflow) lastTask(log []TaskRun) (TaskRun, bool) {
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		switch e.Type {
		case TypeDoWhile:
			if it, _ := e.Output["iteration"].(float64); it >= 1 && i > 0 {
				continue
			}
		case TypeJoin:
			if j, ok := w.tasks[e.Ref].(*joinTask); ok {
				if f, ok := j.fork.(*forkJoinTask); ok {
					if k, ok := f.laterInBranch(log[:i]); ok {
						return log[k], true
					}
				}
			}
		}
		return e, true
	}
	return TaskRun{}, false
}

// permissiveFailure is the error of a run whose permissive tasks failed (in their latest
// executions), which Conductor fails when it would end: nil when none did.
func (w *Workflow) permissiveFailure(s *state) error {
	var first *TaskError // the first of them, in definition order
	var reasons []string
	for _, k := range w.sortedTasks() {
		ct := k.base()
		if !ct.wt.Permissive || ct.wt.Optional {
			continue
		}
		ts, ok := s.tasks[ct.ref]
		if !ok || ts.status != TaskFailed && ts.status != TaskTimedOut {
			continue
		}
		reasons = append(reasons, fmt.Sprintf("Task %s failed with status: %s and reason: '%s'", ts.taskID, ts.status, ts.reason))
		if first == nil {
			first = &TaskError{Task: ct.ref, Type: ct.typ, Attempts: max(1, ts.attempts), Err: ts.err}
		}
	}
	if first == nil {
		return nil
	}
	if first.Err == nil {
		first.Err = errors.New(reasons[0])
	}
	return &permissiveError{reason: strings.Join(reasons, ". "), task: first}
}

// permissiveError is the end of a run whose permissive tasks failed: its text is Conductor's
// reason ("Task ID failed with status: FAILED and reason: '…'", one per task), and it unwraps to
// the first task's *TaskError.
type permissiveError struct {
	reason string
	task   *TaskError
}

func (e *permissiveError) Error() string { return "conductor: " + e.reason }
func (e *permissiveError) Unwrap() error { return e.task }

// timedOut reports whether err is a task's timeout: under TIME_OUT_WF at once, under RETRY
// after its retries, the run times out (TIMED_OUT), as in Conductor.
// A run's own timeouts (baton.WithMessageTimeout among WithPipelineOptions) fail it instead.
func (w *Workflow) timedOut(err error) bool {
	var te *TaskError
	if !errors.As(err, &te) || !errors.Is(err, baton.ErrTimeout) {
		return false
	}
	if te.timeoutWF { // a dynamic fork's task with a timeoutSeconds
		return true
	}
	k, ok := w.tasks[te.Task]
	return ok && k.base().timeout > 0
}

// newID returns a random workflow id in the form of a UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// taskID is the id of an execution of task ref: derived from the workflow id, so that runs
// are reproducible and both strategies give the same ids.
func taskID(s *state, ref string, iteration int) string {
	id := s.run.workflowID + "/" + ref
	if iteration > 0 {
		id += "__" + strconv.Itoa(iteration)
	}
	return id
}
