package baton

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// remote is the strategy of a pipeline built WithEngine: its messages travel between steps
// through the engine (see engine.go). It is also the pipeline's Host: the engine calls it to
// run a step of a message it carries (in any process hosting the stage) and to hand a finished
// message back (in the process that submitted it).
//
// A submitted message stays in pending, with its context and its sink, while its state
// travels: what comes back is decoded into it and finished here, by the pipeline's own finish.
type remote[T any] struct {
	p *Pipeline[T]
	e Engine

	mu      sync.Mutex
	pending map[uint64]*inflight[T]
	closed  bool
	wg      sync.WaitGroup // finish's goroutines
}

// inflight is a submitted message waiting for its result, and the original values of the
// errors its steps in this process made (see errTable).
type inflight[T any] struct {
	m   *message[T]
	tab errTable
}

func newRemote[T any](p *Pipeline[T], e Engine) *remote[T] {
	return &remote[T]{p: p, e: e, pending: map[uint64]*inflight[T]{}}
}

var _ Host = (*remote[int])(nil)

func (r *remote[T]) start() {}

// dispatch sends m to the stage its slip names first, or finishes it when it has none.
func (r *remote[T]) dispatch(m *message[T]) {
	i := r.p.next(m)
	if i < 0 {
		r.p.finish(m)
		return
	}
	ctx := context.WithoutCancel(m.ctx)
	if r.p.obs != nil && r.p.obs.send != nil {
		ctx = r.sendContext(ctx, m, r.p.reg.names[i]) // remote_send.go
	}
	f := &inflight[T]{m: m}
	data, err := r.p.encode(m, &f.tab)
	if err == nil {
		r.mu.Lock()
		r.pending[m.id] = f // before Send: the result may come back before Send returns
		r.mu.Unlock()
		env := Envelope{ID: m.id, Key: m.key, Stage: r.p.reg.names[i], Step: 1, State: data}
		if err = r.e.Send(ctx, env); err != nil {
			if !r.take(m.id) {
				return // its result came back all the same: it is finished
			}
			err = fmt.Errorf("%w: sending the message to stage %q: %w", ErrEngine, env.Stage, err)
		}
	}
	if err != nil {
		m.err = err // no step has run: nothing to compensate
		r.p.finish(m)
	}
}

// take removes message id from pending, reporting whether it was there.
func (r *remote[T]) take(id uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pending[id]; !ok {
		return false
	}
	delete(r.pending, id)
	return true
}

// process sends m on its way and waits for its result. Its steps run where the engine takes
// them; its context's cancellation reaches the steps run by this process.
func (r *remote[T]) process(m *message[T]) {
	m.replies = true
	r.dispatch(m)
	<-m.reply
}

func (r *remote[T]) stop() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
	_ = r.e.Close() // the pipeline has no message in flight: nothing is lost if it fails
}

func (r *remote[T]) inbox(i int) int {
	if c, ok := r.e.(InboxCounter); ok {
		return c.Inbox(r.p.reg.names[i])
	}
	return 0
}

// Stages implements Host.
func (r *remote[T]) Stages() []string { return append([]string(nil), r.p.reg.names...) }

// Workers implements Host.
func (r *remote[T]) Workers(stage string) int {
	i, ok := r.p.reg.index[stage]
	if !ok {
		return 0
	}
	return r.p.stages[i].cfg.workers
}

// Step implements Host.
func (r *remote[T]) Step(ctx context.Context, env Envelope) (Envelope, error) {
	return r.run(ctx, env, nil)
}

// Fail implements Host.
func (r *remote[T]) Fail(ctx context.Context, env Envelope, reason error) (Envelope, error) {
	if reason == nil {
		reason = fmt.Errorf("%w: the engine gave up on the step", ErrEngine)
	}
	return r.run(ctx, env, reason)
}

// run decodes env, runs its pending action at env.Stage — or, with reason set, ends it as
// failed with reason — and encodes the message for its next hand-off.
func (r *remote[T]) run(ctx context.Context, env Envelope, reason error) (Envelope, error) {
	p := r.p
	i, ok := p.reg.index[env.Stage]
	if !ok {
		return Envelope{}, fmt.Errorf("%w: message %d arrived for %w %q, which this process's pipeline does not have", ErrEngine, env.ID, ErrUnknownStage, env.Stage)
	}
	m := p.pool.Get().(*message[T]) // reset by release
	defer p.release(m)
	var tab *errTable
	if env.Local {
		tab = r.table(env.ID)
	}
	d, err := p.decode(env.State, m, tab)
	if err != nil {
		return Envelope{}, err
	}
	if m.id != env.ID {
		return Envelope{}, fmt.Errorf("%w: message %d's envelope holds the state of message %d", ErrEngine, env.ID, m.id)
	}
	if want := r.acting(m); want != int32(i) {
		return Envelope{}, fmt.Errorf("%w: message %d arrived at stage %q, but its state says it goes to %s", ErrEngine, env.ID, env.Stage, r.nameOf(want))
	}
	cancel := r.context(ctx, m, env, d)
	defer cancel()
	if reason != nil {
		r.fail(int(i), m, reason)
	} else {
		r.act(int(i), m)
	}
	next := p.next(m)
	out := Envelope{ID: env.ID, Key: m.key, Origin: env.Origin, Local: env.Local, Step: env.Step + 1}
	if next >= 0 {
		out.Stage = p.reg.names[next]
	}
	if out.State, err = p.encode(m, tab); err != nil {
		return Envelope{}, err
	}
	return out, nil
}

// acting is the stage m's state says acts next: its compensation cursor's, or its slip's.
func (r *remote[T]) acting(m *message[T]) int32 {
	if m.compensating {
		if m.comp < len(m.slip.log) {
			return m.slip.log[m.comp].stage
		}
		return -1
	}
	if m.err == nil && m.slip.pos < len(m.slip.route) {
		return m.slip.route[m.slip.pos].stage
	}
	return -1
}

func (r *remote[T]) nameOf(i int32) string {
	if i < 0 {
		return "no stage (it is finished)"
	}
	return strconv.Quote(r.p.reg.names[i])
}

// context gives m the context its step runs under: its submitter's when the message is local
// (and still waiting there), else the pipeline's own with the message's deadline; ended also
// with ctx when ctx is marked WithStepCancellation. The step key is added either way. The
// returned function releases it.
func (r *remote[T]) context(ctx context.Context, m *message[T], env Envelope, d decoded) context.CancelFunc {
	p := r.p
	base := p.base
	if ctx != nil && ctx != context.Background() {
		base = &joinedContext{Context: p.base, values: ctx} // the engine's values: a trace it carried
	}
	if env.Local {
		r.mu.Lock()
		if f := r.pending[env.ID]; f != nil {
			base = f.m.ctx
		}
		r.mu.Unlock()
	}
	cancel := context.CancelFunc(func() {})
	if ctx != nil && cancelsStep(ctx) {
		base, cancel = linkCancellation(base, ctx) // engine_cancel.go
	}
	if !d.deadline.IsZero() {
		if _, has := base.Deadline(); !has {
			var cause error
			if d.messageTimeout {
				cause = errMessageTimeout
			}
			var cancelDeadline context.CancelFunc
			base, cancelDeadline = context.WithDeadlineCause(base, d.deadline, cause)
			unlink := cancel
			cancel = func() { cancelDeadline(); unlink() }
		}
	}
	m.ctx = context.WithValue(base, stepKeyKey{}, env.Origin+"/"+strconv.FormatUint(env.ID, 10)+"/"+strconv.Itoa(env.Step))
	m.done = m.ctx.Done()
	_, m.deadline = m.ctx.Deadline()
	return cancel
}

// act runs act(i, m) in a goroutine of its own, where a stage's panic or runtime.Goexit is the
// step's failure, as in process, and never reaches the engine's goroutine.
func (r *remote[T]) act(i int, m *message[T]) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		contain(func() { r.p.act(i, m) }, func(pe *PanicError) { r.p.stagePanicked(m, pe) }, func() { r.p.stagePanicked(m, nil) })
	}()
	<-done
}

// fail ends m's pending action at stage i as failed with reason, without running it.
func (r *remote[T]) fail(i int, m *message[T], reason error) {
	st := &r.p.stages[i]
	m.slip.attempt = 1
	if m.compensating {
		r.p.endCompensation(st, m, reason)
		return
	}
	m.slip.hops++
	if r.p.timing {
		m.stepStart = time.Now()
		st.stats.running.Add(1)
		m.running = true
	}
	r.p.endStep(st, m, reason)
}

// Deliver implements Host.
func (r *remote[T]) Deliver(env Envelope) error {
	f := r.claim(env.ID)
	if f == nil {
		return fmt.Errorf("%w: message %d", ErrUnknownMessage, env.ID)
	}
	m := f.m
	var tab *errTable
	if env.Local {
		tab = &f.tab
	}
	if _, err := r.p.decode(env.State, m, tab); err != nil { // leaves m as it was submitted
		m.err = fmt.Errorf("%w (its result could not be read)", err)
	}
	r.finish(m)
	return nil
}

// finish finishes m in a goroutine of its own: an observer that calls runtime.Goexit as the
// message finishes (unsupported, but contained) ends that goroutine, never the engine's.
func (r *remote[T]) finish(m *message[T]) {
	r.wg.Go(func() { r.p.finish(m) })
}

// Lost implements Host.
func (r *remote[T]) Lost(id uint64, reason error) error {
	f := r.claim(id)
	if f == nil {
		return fmt.Errorf("%w: message %d", ErrUnknownMessage, id)
	}
	m := f.m
	if reason == nil {
		reason = ErrEngine
	}
	m.err = reason
	r.finish(m)
	return nil
}

// claim takes message id out of pending.
func (r *remote[T]) claim(id uint64) *inflight[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.pending[id]
	delete(r.pending, id)
	return f
}

// table is the error table of pending message id, or nil when it is not pending here.
func (r *remote[T]) table(id uint64) *errTable {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.pending[id]; f != nil {
		return &f.tab
	}
	return nil
}
