package conductor

import (
	"context"
	"fmt"
	"sync"
)

// Handle is a running execution of a workflow, as Start returns it and Runtime.Lookup finds
// it: what Conductor's workflow and task APIs give a client. Wait waits for the end; Pending
// lists the tasks waiting for an update (WAIT, HUMAN, asyncComplete HTTP and EVENT tasks, an
// EXCLUSIVE_JOIN with nothing to join), and CompleteTask, FailTask and UpdateTask give one its
// update, as Conductor's task update API does.
//
// A Handle is safe for concurrent use. It holds the execution's state until the execution
// ends, then its Execution.
type Handle struct {
	w  *Workflow
	ri *runInfo

	done chan struct{} // closed once exec and err are set
	exec *Execution
	err  error
}

// TaskUpdateStatus is the status a task update gives a waiting task.
type TaskUpdateStatus string

// The statuses of a task update, as Conductor's task update API names them.
const (
	// UpdateInProgress adds the update's output to the task's and leaves it waiting.
	UpdateInProgress TaskUpdateStatus = "IN_PROGRESS"
	// UpdateCompleted completes the task, with its output so far and the update's.
	UpdateCompleted TaskUpdateStatus = "COMPLETED"
	// UpdateFailed fails the attempt: the task is retried as its task definition says (its
	// retry waits again), else it fails.
	UpdateFailed TaskUpdateStatus = "FAILED"
	// UpdateFailedWithTerminalError fails the task, without retries.
	UpdateFailedWithTerminalError TaskUpdateStatus = "FAILED_WITH_TERMINAL_ERROR"
)

// TaskUpdate is an update of a waiting task: its reference name, its new status, output to
// add to the task's (the keys given replace the task's) and, for a failure, the reason.
type TaskUpdate struct {
	Ref    string
	Status TaskUpdateStatus
	Output map[string]any
	Reason string
}

// PendingTask is a task of a running execution that waits for an update.
type PendingTask struct {
	Ref    string
	TaskID string
	Type   string
	Input  map[string]any // the task's resolved input (a copy)
	Output map[string]any // its output so far (a copy): what IN_PROGRESS updates gave it
}

// Start starts a run of the workflow on input, as Run does, and returns its Handle at once:
// the run goes on in a goroutine of its own until it ends or ctx is done (which terminates it,
// as for Run). Runtime.Lookup finds it by its workflow id. Start fails, starting nothing, on
// an input that is not JSON and after Close; Close terminates the waits of runs still going on
// and waits for them to end.
//
// Cost: what Run costs, plus a goroutine for the run.
func (w *Workflow) Start(ctx context.Context, input map[string]any, opts ...RunOption) (*Handle, error) {
	ri := &runInfo{}
	for _, o := range opts {
		o(ri)
	}
	if _, err := normalizeMap(input); err != nil {
		return nil, fmt.Errorf("conductor: workflow input: %w", err)
	}
	if !w.quit.add() {
		return nil, ErrClosed
	}
	h := w.open(ri)
	go func() {
		defer w.quit.finished()
		_, _ = w.run(ctx, input, ri)
	}()
	return h, nil
}

// open gives the run ri (whose workflowID it sets when empty) its Handle, and registers it
// with the Runtime so that Lookup finds it.
func (w *Workflow) open(ri *runInfo) *Handle {
	if ri.workflowID == "" {
		ri.workflowID = newID()
	}
	h := &Handle{w: w, ri: ri, done: make(chan struct{})}
	ri.handle = h
	w.cfg.runs.add(h)
	return h
}

// finish records the end of h's run.
func (h *Handle) finish(e *Execution, err error) {
	h.exec, h.err = e, err
	close(h.done)
	h.w.cfg.runs.remove(h)
}

// ID returns the execution's workflow id.
func (h *Handle) ID() string { return h.ri.workflowID }

// Workflow returns the workflow the execution runs.
func (h *Handle) Workflow() *Workflow { return h.w }

// Done returns a channel closed when the execution has ended.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Wait waits for the execution to end and returns what Run would have: the Execution and, when
// it did not complete, its error. When ctx is done first it returns ctx's error and a nil
// Execution; the execution goes on.
func (h *Handle) Wait(ctx context.Context) (*Execution, error) {
	select {
	case <-h.done:
		return h.exec, h.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// Pending returns the tasks of the execution that wait for an update now, in the order they
// began to wait (none once it has ended).
func (h *Handle) Pending() []PendingTask { return h.ri.waits.pending() }

// AwaitTask waits until the task ref waits for an update and returns it. It fails with
// ErrNotWaiting when the execution ends first, and with ctx's error when ctx is done first.
func (h *Handle) AwaitTask(ctx context.Context, ref string) (PendingTask, error) {
	for {
		p, ok, changed := h.ri.waits.find(ref)
		if ok {
			return p, nil
		}
		select {
		case <-changed:
		case <-h.done:
			return PendingTask{}, fmt.Errorf("%w: task %q: execution %q has ended", ErrNotWaiting, ref, h.ID())
		case <-ctx.Done():
			return PendingTask{}, context.Cause(ctx)
		}
	}
}

// CompleteTask completes the waiting task ref with output added to its own; see UpdateTask.
func (h *Handle) CompleteTask(ctx context.Context, ref string, output map[string]any) error {
	return h.UpdateTask(ctx, TaskUpdate{Ref: ref, Status: UpdateCompleted, Output: output})
}

// FailTask fails the waiting task ref with reason: the task is retried as its task
// definition says, else it fails, and the run with it unless it is optional; see UpdateTask.
func (h *Handle) FailTask(ctx context.Context, ref, reason string) error {
	return h.UpdateTask(ctx, TaskUpdate{Ref: ref, Status: UpdateFailed, Reason: reason})
}

// UpdateTask gives the waiting task u.Ref its update, and returns once the task has taken it:
// the run goes on from there (a COMPLETED task's successors may already be running when it
// returns). It fails with ErrNotWaiting, changing nothing, when the task is not waiting now —
// it has not begun to wait (see AwaitTask), has ended, or does not wait — and with ctx's error
// when ctx is done before the task takes the update. An invalid status or an output that is
// not JSON is an error too. Concurrent updates of one task are taken one at a time; those
// after a COMPLETED or failed one get ErrNotWaiting.
func (h *Handle) UpdateTask(ctx context.Context, u TaskUpdate) error {
	switch u.Status {
	case UpdateInProgress, UpdateCompleted, UpdateFailed, UpdateFailedWithTerminalError:
	default:
		return fmt.Errorf("conductor: task update status %q (want IN_PROGRESS, COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR)", u.Status)
	}
	out, err := normalizeMap(u.Output)
	if err != nil {
		return fmt.Errorf("conductor: task update output: %w", err)
	}
	u.Output = out
	return h.ri.waits.deliver(ctx, h.ID(), u)
}

// Terminate terminates the running execution, as Conductor's terminate API does: what runs is
// cancelled (CANCELED in the log), and the run ends TERMINATED with reason as its
// reasonForIncompletion (no failure workflow starts); a SUB_WORKFLOW task whose sub-workflow
// is terminated so is CANCELED, and its run TERMINATED. It fails with ErrNotWaiting when the
// execution has already ended. It is safe for concurrent use and returns at once; Wait waits
// for the end.
func (h *Handle) Terminate(reason string) error {
	select {
	case <-h.done:
		return fmt.Errorf("%w: execution %q has ended", ErrNotWaiting, h.ID())
	default:
	}
	ri := h.ri
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.terminate == nil {
		ri.terminate = &terminateRequest{reason: reason}
		if ri.cancel != nil {
			ri.cancel(ri.terminate)
		}
	}
	return nil
}

// terminateRequest is the cause of a run's cancellation by Handle.Terminate. It matches
// context.Canceled, so that what it stops is CANCELED.
type terminateRequest struct{ reason string }

func (t *terminateRequest) Error() string {
	if t.reason == "" {
		return "terminated"
	}
	return "terminated: " + t.reason
}

func (t *terminateRequest) Is(target error) bool { return target == context.Canceled }

// Lookup returns the execution whose workflow id is id: a run started with Start or Run of a
// workflow this Runtime compiled, a sub-workflow's run (its id is the SUB_WORKFLOW task's
// subWorkflowId), or one a START_WORKFLOW task started (its workflowId) — while it runs, and
// after it ends while it is among the last WithRetainedRuns to end. When several running
// executions share an id (WithWorkflowID), Lookup finds the last one started. It fails with
// ErrNoExecution. Lookup is safe for concurrent use; it costs a map lookup under a lock.
func (rt *Runtime) Lookup(id string) (*Handle, error) {
	if h := rt.cfg.runs.get(id); h != nil {
		return h, nil
	}
	return nil, fmt.Errorf("%w with workflow id %q", ErrNoExecution, id)
}

// registry holds the running executions of a Runtime's workflows, and the last ones to end.
type registry struct {
	mu       sync.Mutex
	running  map[string]*Handle
	finished []*Handle // oldest first, at most keep
	keep     int
}

func newRegistry(keep int) *registry {
	return &registry{running: map[string]*Handle{}, keep: max(keep, 0)}
}

func (r *registry) add(h *Handle) {
	r.mu.Lock()
	r.running[h.ID()] = h
	r.mu.Unlock()
}

func (r *registry) remove(h *Handle) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[h.ID()] == h {
		delete(r.running, h.ID())
	}
	if r.keep == 0 {
		return
	}
	if len(r.finished) == r.keep {
		copy(r.finished, r.finished[1:])
		r.finished = r.finished[:r.keep-1]
	}
	r.finished = append(r.finished, h)
}

func (r *registry) get(id string) *Handle {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.running[id]; ok {
		return h
	}
	for i := len(r.finished) - 1; i >= 0; i-- {
		if r.finished[i].ID() == id {
			return r.finished[i]
		}
	}
	return nil
}

// quitSignal is how Close stops a workflow's waits and the runs it started on its own, and
// waits for the runs Start started. Its zero value is ready; the context is made at first use.
type quitSignal struct {
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelCauseFunc
	closed  bool
	started sync.WaitGroup
}

// context returns a context cancelled, with cause ErrClosed, when the workflow closes.
func (q *quitSignal) context() context.Context {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ctx == nil {
		q.ctx, q.cancel = context.WithCancelCause(context.Background())
		if q.closed {
			q.cancel(ErrClosed)
		}
	}
	return q.ctx
}

// add counts a run Start starts; false once the workflow has closed.
func (q *quitSignal) add() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.started.Add(1)
	return true
}

func (q *quitSignal) finished() { q.started.Done() }

// fire cancels the context, once; later adds fail.
func (q *quitSignal) fire() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	if q.cancel != nil {
		q.cancel(ErrClosed)
	}
}

// wait waits for the runs Start started.
func (q *quitSignal) wait() { q.started.Wait() }

// stopWaits fires the quit signal of w and of its sub-workflows, whose waiting tasks the runs
// of w may wait for.
func (w *Workflow) stopWaits() {
	w.quit.fire()
	for _, c := range w.children {
		c.stopWaits()
	}
	w.mu.Lock()
	dyn := make([]*Workflow, 0, len(w.dynamic))
	for _, c := range w.dynamic {
		dyn = append(dyn, c)
	}
	w.mu.Unlock()
	for _, c := range dyn {
		c.stopWaits()
	}
}
