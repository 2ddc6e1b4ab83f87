package baton

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// message is an accepted message on its journey: the value, its slip, and where its result goes.
// Messages are pooled per pipeline; one is owned by exactly one goroutine at a time (the one
// running its current step, or the one holding it in a channel), so it needs no locking — but
// for hold and stale, by which a Process caller under choreography takes its message out of an
// inbox when its context ends (see choreography.claim).
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

	sink     chan *message[T]        // where the finished message goes; nil for inline Process
	reply    chan *message[T]        // the message's own sink, for Process under choreography
	handoff  chan struct{}           // a worker hands a wanted message to its waiter (choreography)
	failFast context.CancelCauseFunc // the stream's cancel in fail-fast mode
	seq      uint64                  // submission number within its stream
	noToken  bool                    // a refused submission (Stream.reject): it holds no stream token
	claimed  bool                    // its waiter claimed it while a stale copy waits in an inbox
	id       uint64                  // the message's ID: see Result.ID
	key      string                  // the message's own key: see WithKey
	accepted time.Time               // when accepted, for events
	resume   int                     // the stage a handed-over message goes to next
	hold     atomic.Int32            // where a claimable message is: see claim.go
	gen      atomic.Uint32           // its generation: claiming it makes its tickets stale
	stale    atomic.Int32            // parties left to release a claimed message: see release

	// The step running now, when policed: its deadline's cancel and its timing.
	stepCancel   context.CancelFunc
	attemptEnded bool // the current attempt's StepEnded was sent (before a retry's wait)
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
	m.sink, m.failFast, m.seq, m.noToken, m.claimed = nil, nil, 0, false, false
	m.id, m.key, m.accepted = 0, "", time.Time{}
	m.hold.Store(0)
	m.gen.Store(0)
	m.stale.Store(0)
	m.stepCancel, m.attemptEnded = nil, false
}

// Result is the outcome of one message of a stream: its final value, its error (nil on success),
// and its slip's log: every step it took and every compensation, in order.
type Result[T any] struct {
	// Value is the message as the last successful step left it (the input if no step ran).
	Value T
	// Err is nil on success; otherwise a *StepError, an error matching ErrUnknownStage,
	// ErrHopLimit, ErrTimeout, ErrAborted, context.Canceled …, wrapped in a *CompensationError
	// when completed steps were compensated.
	Err error
	// Log is the slip's log: every step and compensation, in order. Treat it as read-only:
	// results of messages that completed the default itinerary unrevised, each step at its
	// first attempt, share one slice, so that they cost no allocation (its capacity is its
	// length, so an append copies; a write into an element would change every such result).
	// Any other result has its own. WithPrivateLogs gives every result its own log, at one
	// allocation per message, for code that changes logs in place.
	Log []StepRecord
	// Seq is the message's submission number within its stream, from 0 (0 for ProcessResult).
	Seq uint64
	// ID identifies the message within its pipeline: the pipeline numbers the messages it
	// accepts from 1, in the order it accepts them. Its events carry it (Event.Message), and so
	// do the slog observer's records and the otel module's spans. A message refused before it
	// was accepted (Run's refused ones) has ID 0.
	ID uint64
	// Key is the message's own key, from WithKey: an order or document ID the events, log
	// records and spans of the message carry too. "" without WithKey.
	Key string
}

// Compensation returns the compensation records of the log, in the order they ran.
func (r Result[T]) Compensation() []StepRecord {
	var out []StepRecord
	for _, s := range r.Log {
		if s.Outcome == Compensated || s.Outcome == CompensationFailed {
			out = append(out, s)
		}
	}
	return out
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
	sink := m.sink
	if !m.claimed { // else its stale ticket keeps it in flight: see claim.go
		p.leave()
		<-p.slots
	}
	if sink != nil {
		sink <- m // never blocks: a sink has room for every message its stream may hold
	}
}

// log returns m's log as StepRecords for its Result. A message that completed the default
// itinerary unrevised, each step at its first attempt, untimed, shares one read-only log made
// at New: the common case costs no allocation. Any other gets its own copy (one allocation).
func (p *Pipeline[T]) log(m *message[T]) []StepRecord {
	if m.err == nil && m.slip.untouched && p.router == nil && !p.timing && !p.cfg.privateLogs {
		return p.defaultLog
	}
	return m.slip.records(0)
}

// countSteps adds the message's successful steps to the stages' Processed counters. Counting
// when the message finishes rather than per step keeps atomic read-modify-writes — about 7 ns
// each, more than the rest of a step's bookkeeping — off the step path: a message that
// completed the default itinerary unrevised costs one atomic add in all, which Stats spreads
// over every stage. A timed pipeline has counted its steps as they ended (countStep).
func (p *Pipeline[T]) countSteps(m *message[T]) {
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
