package baton

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton/internal/handoff"
)

// This file is a message's life, in one place: accepted (newMessageOf), reset (reset, the one
// place a field is cleared), finished (finish, deliver), released (release); and a message
// refused before it was accepted (reject).

// message is an accepted message on its journey: the value, its slip, and where its result goes.
// Messages are pooled per pipeline; one is owned by exactly one goroutine at a time (the one
// running its current step, or the one holding it in a channel), so it needs no locking — but
// for hold and stale, by which a Process caller under choreography takes its message out of an
// inbox when its context ends (see claim.go).
type message[T any] struct {
	// The fields every step touches come first, with the slip's own, so that a message moving
	// between cores at each step (choreography) drags as few cache lines as it can.
	inStage      bool // the stage's code is running: a panic now is the stage's (see step.go)
	inObserver   bool // an observer is running: a Goexit now is the observer's (see observerExited)
	compensating bool
	claimable    bool            // its waiter may claim it from an inbox (choreographed Process)
	hasSem       bool            // it holds the worker slot of the stage it goes to (orchestration)
	done         <-chan struct{} // ctx.Done(), cached; nil when only Shutdown's abort can end ctx
	deadline     bool            // ctx has a deadline: a late success must be checked (missedDeadline)
	ctx          context.Context
	err          error // the failure that ended the forward path
	slip         Slip
	value        T

	cancel      context.CancelFunc      // the message timeout's
	cancelCause context.CancelCauseFunc // the child context derive made, if any
	detach      func() bool             // unlinks that child from the abort signal
	comp        int                     // compensation cursor: log index of the last step considered
	compStart   int                     // log length when compensation began

	sink     *handoff.Single[*message[T]] // its stream's results, where it goes when finished; nil for Process
	replies  bool                         // it goes to reply when finished (Process under choreography)
	reply    chan *message[T]             // the message's own sink, for Process under choreography
	handoff  chan struct{}                // a worker hands a wanted message to its waiter (choreography)
	failFast context.CancelCauseFunc      // the stream's cancel in fail-fast mode
	seq      uint64                       // submission number within its stream
	noToken  bool                         // a refused submission (Stream.reject): it holds no stream token
	claimed  bool                         // its waiter claimed it while a stale copy waits in an inbox
	id       uint64                       // the message's ID: see Result.ID
	key      string                       // the message's own key: see WithKey
	accepted time.Time                    // when accepted, for events
	resume   int                          // the stage a handed-over message goes to next
	hold     atomic.Uint64                // where a claimable message is, and its generation: see claim.go
	stale    atomic.Int32                 // parties left to release a claimed message: see release

	// The step running now, when policed: its deadline's cancel and its timing.
	stepCancel   context.CancelFunc
	attemptEnded bool // the current attempt's StepEnded was sent (before a retry's wait)
	running      bool // counted in its stage's Running (timed steps)
	stepStart    time.Time
	attemptStart time.Time
}

// reset clears everything a message carries from its last journey, but the buffers it keeps
// for the next one (the slip's, reset by begin). It is the one place a new field is reset.
func (m *message[T]) reset() {
	var zero T
	m.inStage, m.inObserver, m.compensating, m.claimable, m.hasSem = false, false, false, false, false
	m.done, m.deadline, m.ctx, m.err, m.value = nil, false, nil, nil, zero
	m.cancel, m.cancelCause, m.detach = nil, nil, nil
	m.comp, m.compStart = 0, 0
	m.sink, m.replies, m.failFast, m.seq, m.noToken, m.claimed = nil, false, nil, 0, false, false
	m.id, m.key, m.accepted = 0, "", time.Time{}
	// Stored only when set: an atomic store is an exchange on amd64, a full barrier that cost
	// more than the rest of reset, and reset's caller owns m, so a load tells.
	if m.hold.Load() != 0 {
		m.hold.Store(0)
	}
	if m.stale.Load() != 0 {
		m.stale.Store(0)
	}
	m.stepCancel, m.attemptEnded, m.running = nil, false, false
}

// finish closes a message's journey: its error takes the compensation outcome, its contexts are
// released, and it goes to its sink. The caller must not touch m afterwards.
func (p *Pipeline[T]) finish(m *message[T]) {
	if m.err != nil {
		if len(m.slip.log) > m.compStart {
			m.err = &CompensationError{Err: m.err, Steps: m.slip.records(m.compStart)}
		}
		if m.failFast != nil {
			m.failFast(fmt.Errorf("%w: an earlier message failed: %w", context.Canceled, m.err))
		}
	}
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	if m.cancelCause != nil {
		m.detach()
		m.cancelCause(nil)
		m.cancelCause, m.detach = nil, nil
	}
	p.countSteps(m)
	if p.obs != nil {
		now := time.Now()
		defer p.deliver(m) // also when the observer calls runtime.Goexit
		p.emit(m, Event{Kind: MessageFinished, Err: m.err, Time: now, Duration: now.Sub(m.accepted)})
		return
	}
	p.deliver(m)
}

// deliver ends m's time in flight and sends it to its sink. The caller must not touch m
// afterwards.
func (p *Pipeline[T]) deliver(m *message[T]) {
	sink, replies := m.sink, m.replies
	if !m.claimed { // else its stale ticket keeps it in flight: see claim.go
		p.leave()
		p.inflight.Release()
	}
	switch {
	case sink != nil:
		sink.Put(m) // never blocks (internal/handoff)
	case replies:
		m.reply <- m // never blocks: room for one, and it is sent once
	}
}

// countSteps adds the message's successful steps to the stages' Processed counters. Counting
// when the message finishes rather than per step keeps atomic read-modify-writes — about 7 ns
// each, more than the rest of a step's bookkeeping — off the step path: a message that
// completed the default itinerary unrevised costs one atomic add in all, which Stats spreads
// over every stage. A timed pipeline has counted its steps as they ended (countStep).
func (p *Pipeline[T]) countSteps(m *message[T]) {
	if m.err != nil || !m.slip.untouched || p.router != nil {
		m.slip.flush() // the log is read below and in countRates
	}
	if p.countRates(m) { // stats.go: the rates; true when timed, as endStep counted the steps
		return
	}
	if m.err == nil && m.slip.untouched && p.router == nil {
		p.untouchedDone.Add(1)
		return
	}
	for i := range m.slip.log {
		if e := &m.slip.log[i]; e.outcome == Succeeded {
			p.stages[e.stage].stats.processed.Add(1)
		}
	}
}

// newMessage makes an accepted message ready for its first step. parent is the caller's
// context (Process), or the stream's, which is derived from the pipeline's already (derived).
func (p *Pipeline[T]) newMessage(parent context.Context, v T, derived bool) *message[T] {
	return p.newMessageOf(arrival[T]{ctx: parent, derived: derived}, v)
}

// arrival is what a new message comes with besides its value: its context — the caller's, or one
// derived from the pipeline's already, with what releases it — and the stream it comes by.
type arrival[T any] struct {
	ctx     context.Context
	derived bool
	detach  func() bool
	cancel  context.CancelCauseFunc
	stream  *Stream[T]
	seq     uint64
}

// newMessageOf is newMessage for a message that arrives as a says.
func (p *Pipeline[T]) newMessageOf(a arrival[T], v T) *message[T] {
	m := p.pool.Get().(*message[T]) // reset by release
	m.value = v
	if a.derived {
		m.ctx, m.detach, m.cancelCause = a.ctx, a.detach, a.cancel
	} else {
		m.ctx, m.detach, m.cancelCause = p.derive(a.ctx)
	}
	if s := a.stream; s != nil {
		m.sink, m.seq = s.sink, a.seq
		if s.failFast {
			m.failFast = s.cancel
		}
	}
	if p.cfg.msgTimeout > 0 {
		m.ctx, m.cancel = context.WithTimeoutCause(m.ctx, p.cfg.msgTimeout, errMessageTimeout)
	}
	// The pipeline's own context ends only at Shutdown's deadline, which p.aborted tells more
	// cheaply: a message under it has no done channel to watch between steps.
	if m.ctx != p.base {
		m.done = m.ctx.Done()
		_, m.deadline = m.ctx.Deadline()
	}
	m.id = p.ids.Add(1)
	returned := false
	defer func() {
		if !returned {
			p.exitedAtBegin(m)
		}
	}()
	p.begin(m)
	if p.obs != nil {
		m.accepted = time.Now()
		p.emit(m, Event{Kind: MessageAccepted, Time: m.accepted})
	}
	returned = true
	return m
}

// exitedAtBegin ends a message whose router, key function or observer called runtime.Goexit as
// it was accepted: the goroutine that brought it ends, so the message gets its result here —
// delivered to its stream, or, for a Process caller that will never return, released.
func (p *Pipeline[T]) exitedAtBegin(m *message[T]) {
	m.inObserver = false
	m.slip.own() // a shared itinerary is the pipeline's: truncate a copy
	m.slip.route = m.slip.route[:0]
	m.err = &goexitError{who: "the router, the key function or an observer", what: " as the message was accepted"}
	sink := m.sink
	p.finish(m)
	if sink == nil {
		p.release(m)
	}
}

// release recycles a delivered message. A message its waiter claimed from an inbox (see
// claim.go) is released twice, by its waiter and when its stale ticket is dropped: the
// second release ends its time in flight, then recycles it.
func (p *Pipeline[T]) release(m *message[T]) {
	if m.stale.Load() != 0 {
		if m.stale.Add(-1) != 0 {
			return
		}
		p.leave()
		p.inflight.Release()
	}
	if m.slip.errs {
		clear(m.slip.log) // drop references to errors
	}
	m.reset()
	p.pool.Put(m)
}

// reject reports msg, which could not be submitted, as a result carrying err, so that a caller
// of Run sees every message it produced. It waits for the stream's consumer to take it (see
// Stream.rejects), and returns false, reporting nothing, once the stream is closed.
func (s *Stream[T]) reject(msg T, err error) bool {
	key := s.p.keyOf(msg) // before the message is numbered: a Goexit there leaves nothing to wait for
	seq, ok := s.number()
	if !ok {
		return false
	}
	s.firstReject.CompareAndSwap(-1, int64(seq))
	s.refusedOnce.Do(func() { close(s.refused) })
	m := s.p.pool.Get().(*message[T])
	m.slip.reset(&s.p.reg)
	m.value, m.err, m.seq, m.noToken, m.key = msg, err, seq, true, key
	s.rejects <- m // numbered, so taken by Results or by abandon
	return true
}
