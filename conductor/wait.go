package conductor

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/baton-go/baton"
)

// This file holds how a task waits for an update from outside the run (Handle.UpdateTask):
// the kinds that wait (WAIT, HUMAN, asyncComplete HTTP and EVENT, EXCLUSIVE_JOIN) call
// awaitUpdate in their stage, which blocks the step until an update completes or fails the
// task, its time comes (WAIT), the run's context ends, or the workflow closes. A waiting
// execution holds its stage's goroutine: see WithMaxWaiting.

// waitSet is the tasks of one run that wait for an update. Its zero value is empty.
type waitSet struct {
	mu      sync.Mutex
	list    []*waiter     // in the order they began to wait
	changed chan struct{} // closed at the next change (nil: none asked for)
}

// waiter is one waiting task execution.
type waiter struct {
	p       PendingTask   // guarded by the waitSet's mu
	updates chan delivery // unbuffered: a send is the task taking the update
	gone    chan struct{} // closed when it stops waiting
	removed bool          // guarded by the waitSet's mu
}

// delivery is an update handed to a waiting task, and the channel it closes once it has
// applied it (for an update that ends the wait: once it no longer waits).
type delivery struct {
	u   TaskUpdate
	ack chan struct{}
}

// awaitUpdate makes the execution x of s's run wait for an update, until deadline when it is
// not zero (then it completes, with the output IN_PROGRESS updates gave it). It returns the
// task's output, or the error of a failing update (permanent for FAILED_WITH_TERMINAL_ERROR),
// of ctx, or ErrClosed when the workflow closes. so far is the output the task has while it
// waits (PendingTask.Output; nil: none), which the updates' outputs are added to.
func awaitUpdate(ctx context.Context, s *state, x *execution, deadline time.Time, soFar map[string]any) (map[string]any, error) {
	ws := &s.run.waits
	w := ws.add(x, soFar)
	defer ws.remove(w)
	var timeUp <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeUp = t.C
	}
	var quit <-chan struct{}
	if s.run.wf != nil {
		quit = s.run.wf.quit.context().Done()
	}
	out := copyMap(soFar)
	if out == nil {
		out = map[string]any{}
	}
	for {
		select {
		case d := <-w.updates:
			u := d.u
			maps.Copy(out, deepCopy(u.Output).(map[string]any))
			if u.Status == UpdateInProgress {
				ws.mu.Lock()
				w.p.Output = deepCopy(out).(map[string]any)
				ws.mu.Unlock()
				close(d.ack)
				continue
			}
			ws.remove(w) // before the ack: a retry's wait is the next one found
			close(d.ack)
			switch u.Status {
			case UpdateCompleted:
				return out, nil
			case UpdateFailedWithTerminalError:
				return nil, baton.Permanent(&updateFailure{reason: u.Reason, terminal: true})
			default:
				return nil, &updateFailure{reason: u.Reason}
			}
		case <-timeUp:
			return out, nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-quit:
			return nil, baton.Permanent(fmt.Errorf("%w while task %q waited", ErrClosed, x.ref))
		}
	}
}

// updateFailure is the error of a task failed by an update.
type updateFailure struct {
	reason   string
	terminal bool
}

func (e *updateFailure) Error() string {
	s := "failed by a task update"
	if e.terminal {
		s += " (terminal)"
	}
	if e.reason != "" {
		s += ": " + e.reason
	}
	return s
}

func (ws *waitSet) add(x *execution, soFar map[string]any) *waiter {
	out := copyMap(soFar)
	if out == nil {
		out = map[string]any{}
	}
	w := &waiter{
		p:       PendingTask{Ref: x.ref, TaskID: x.id, Type: x.typ, Input: deepCopy(x.in).(map[string]any), Output: out},
		updates: make(chan delivery),
		gone:    make(chan struct{}),
	}
	ws.mu.Lock()
	ws.list = append(ws.list, w)
	ws.notify()
	ws.mu.Unlock()
	return w
}

// remove ends w's wait; it may be called twice.
func (ws *waitSet) remove(w *waiter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if w.removed {
		return
	}
	w.removed = true
	for i, o := range ws.list {
		if o == w {
			ws.list = append(ws.list[:i], ws.list[i+1:]...)
			break
		}
	}
	close(w.gone)
	ws.notify()
}

// notify wakes those waiting for a change; ws.mu is held.
func (ws *waitSet) notify() {
	if ws.changed != nil {
		close(ws.changed)
		ws.changed = nil
	}
}

// pending returns copies of the waiting tasks.
func (ws *waitSet) pending() []PendingTask {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := make([]PendingTask, len(ws.list))
	for i, w := range ws.list {
		out[i] = copyPending(w.p)
	}
	return out
}

// find returns the waiting task ref, or a channel closed at the next change.
func (ws *waitSet) find(ref string) (PendingTask, bool, <-chan struct{}) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, w := range ws.list {
		if w.p.Ref == ref {
			return copyPending(w.p), true, nil
		}
	}
	if ws.changed == nil {
		ws.changed = make(chan struct{})
	}
	return PendingTask{}, false, ws.changed
}

// deliver hands u to the waiting task u.Ref of execution id.
func (ws *waitSet) deliver(ctx context.Context, id string, u TaskUpdate) error {
	ws.mu.Lock()
	var w *waiter
	var names []string
	for _, o := range ws.list {
		if o.p.Ref == u.Ref {
			w = o
			break
		}
		names = append(names, o.p.Ref)
	}
	ws.mu.Unlock()
	if w == nil {
		waiting := "none"
		if len(names) > 0 {
			waiting = strings.Join(names, ", ")
		}
		return fmt.Errorf("%w: task %q of execution %q (waiting: %s)", ErrNotWaiting, u.Ref, id, waiting)
	}
	d := delivery{u: u, ack: make(chan struct{})}
	select {
	case w.updates <- d:
		<-d.ack // applied at once, without blocking
		return nil
	case <-w.gone:
		return fmt.Errorf("%w: task %q of execution %q stopped waiting", ErrNotWaiting, u.Ref, id)
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func copyPending(p PendingTask) PendingTask {
	p.Input = deepCopy(p.Input).(map[string]any)
	p.Output = deepCopy(p.Output).(map[string]any)
	return p
}

// abort ends the run ri before it started, with err: its Handle, when Start gave it one,
// reports err.
func (ri *runInfo) abort(err error) error {
	if ri.handle != nil {
		ri.handle.finish(nil, err)
	}
	return err
}

// waitingOptions are the stage options of a kind that waits: its policy, and its Workers
// (WithMaxWaiting).
func (c *compiler) waitingOptions(ct *ctask) {
	ct.opts = append(ct.opts, baton.Workers(c.cfg.maxWaiting))
}
