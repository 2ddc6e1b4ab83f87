package conductor

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
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
	ri.ctx, ri.cancel = stopCtx, stop
	s0 := &state{run: ri, tasks: map[string]*taskState{}, vars: vars, route: w.top}
	final, err := w.runSlip(stopCtx, s0)
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
		Variables: copyMap(final.vars), Tasks: final.log.slice(),
	}
	if e.Variables == nil {
		e.Variables = map[string]any{}
	}
	switch {
	case err == nil && final.end != nil:
		end := final.end
		e.Status, e.Reason = end.status, end.reason
		e.Output = end.output
		if e.Output == nil && end.status == StatusCompleted {
			e.Output, err = w.outputs(final)
		}
		if err == nil && end.status != StatusCompleted {
			err = fmt.Errorf("%w by task %q with status %s", ErrTerminated, end.task, end.status)
			if end.reason != "" {
				err = fmt.Errorf("%w: %s", err, end.reason)
			}
		}
	case err == nil:
		e.Status = StatusCompleted
		e.Output, err = w.outputs(final)
	}
	if err != nil {
		switch {
		case e.Status != "":
			// terminated above
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
		if e.Reason == "" {
			e.Reason = err.Error()
		}
	}
	e.Err = err
	ri.handle.finish(e, err)
	return e, err
}

// outputs evaluates the definition's outputParameters on the final state.
func (w *Workflow) outputs(s *state) (map[string]any, error) {
	v, err := w.output.eval(&resolver{s: s, strict: w.cfg.strict})
	if err != nil {
		return nil, fmt.Errorf("conductor: outputParameters: %w", err)
	}
	return v.(map[string]any), nil
}

// timedOut reports whether err is a task's timeout under the TIME_OUT_WF policy.
func (w *Workflow) timedOut(err error) bool {
	var te *TaskError
	if !errors.As(err, &te) || !errors.Is(err, baton.ErrTimeout) {
		return false
	}
	k, ok := w.tasks[te.Task]
	return te.timeoutWF || ok && k.base().timeoutWF
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
