package baton

// This file is the step: what running one stage on one message means, and what comes next. Both
// strategies call exactly these functions — begin when a message is accepted, then alternately
// next (which stage acts now?) and act (run the step or compensation there), then finish — and
// differ only in which goroutine makes each call. Everything observable (values, errors, the
// log, compensation order, stats) is decided here, so the strategies cannot drift apart.
//
// It lives in the root package rather than internal/ because it works on the public Stage, Slip
// and StepRecord types; the pure parts (backoff arithmetic, reordering) are in internal/.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Causes recorded on the contexts Baton makes, so a deadline can be reported as the timeout that
// set it. Each matches ErrTimeout and context.DeadlineExceeded.
var (
	errAttemptTimeout = &timeoutError{what: "attempt", cause: context.DeadlineExceeded}
	errStepTimeout    = &timeoutError{what: "step", cause: context.DeadlineExceeded}
	errMessageTimeout = &timeoutError{what: "message", cause: context.DeadlineExceeded}
)

// begin gives an accepted message its itinerary.
func (p *Pipeline[T]) begin(m *message[T]) {
	m.slip.reset(&p.reg)
	if p.router == nil {
		m.slip.route = append(m.slip.route, p.route...)
		return
	}
	names, err := p.callRouter(m.value)
	if err == nil {
		m.slip.route, err = p.reg.resolve(m.slip.route, names, false)
	}
	if err != nil {
		m.slip.route = m.slip.route[:0]
		m.err = fmt.Errorf("baton: routing the message: %w", err)
	}
}

func (p *Pipeline[T]) callRouter(v T) (names []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	return p.router(v), nil
}

// next decides the message's next action and returns the index of the stage that must perform
// it, or -1 when the message is finished. On the forward path the action is the slip's current
// step; once the message has failed it is the compensation of the latest completed step whose
// stage can compensate.
func (p *Pipeline[T]) next(m *message[T]) int {
	if !m.compensating {
		s := &m.slip
		if m.err == nil && s.pos >= len(s.route) {
			return -1 // done: a message whose itinerary is complete succeeds
		}
		if m.err == nil && m.done != nil {
			select {
			case <-m.done:
				m.err = fmt.Errorf("baton: message stopped before stage %q: %w", s.Stage(), doneError(m.ctx))
			default:
			}
		}
		if m.err == nil && p.aborted.Load() {
			m.err = fmt.Errorf("%w before stage %q", ErrAborted, s.Stage())
		}
		if m.err == nil {
			if s.hops < p.cfg.hopLimit {
				return int(s.route[s.pos].stage)
			}
			m.err = fmt.Errorf("%w: %d steps taken, next was %q", ErrHopLimit, s.hops, s.Stage())
		}
		m.compensating = true
		m.comp = len(m.slip.log)
		m.compStart = m.comp
	}
	for m.comp > 0 {
		m.comp--
		r := &m.slip.log[m.comp]
		if r.Outcome == Succeeded && p.stages[r.stage].comp != nil {
			return int(r.stage)
		}
	}
	return -1
}

// act performs the message's pending action at stage i: a step, or a compensation.
func (p *Pipeline[T]) act(i int, m *message[T]) {
	st := &p.stages[i]
	if m.compensating {
		p.compensate(st, m)
		return
	}
	p.step(st, m)
}

// step runs the slip's current step at st, with the stage's attempts, timeouts and retries, and
// records it.
func (p *Pipeline[T]) step(st *stage[T], m *message[T]) {
	s := &m.slip
	h := s.route[s.pos]
	s.hops++
	ctx := m.ctx
	var cancel context.CancelFunc
	if st.cfg.stepTimeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, st.cfg.stepTimeout, errStepTimeout)
	}
	var start time.Time
	if p.timing {
		start = time.Now()
	}
	n, err, last := p.attempts(ctx, st, m)
	if cancel != nil {
		cancel()
	}
	rec := StepRecord{Stage: st.name, Attempts: n, Outcome: Succeeded, Err: err, stage: h.stage}
	if p.timing {
		rec.Start = start
		rec.Duration = time.Since(start)
		st.latency.Record(rec.Duration)
	}
	revised := s.revised
	s.revised = false
	switch {
	case err == nil:
		st.stats.processed.Add(1)
	case h.optional || st.cfg.optional:
		st.stats.failed.Add(1)
		rec.Outcome = Tolerated
	default:
		st.stats.failed.Add(1)
		rec.Outcome = Failed
		m.err = &StepError{Stage: st.name, Attempts: n, Err: err}
	}
	s.log = append(s.log, rec)
	if p.obs != nil {
		p.emit(m, Event{Kind: StepEnded, Stage: st.name, Attempt: n, Outcome: rec.Outcome, Err: err, Duration: time.Since(last)})
		if revised {
			p.emit(m, Event{Kind: SlipRevised, Stage: st.name, Remaining: s.Remaining()})
		}
	}
	if rec.Outcome != Failed {
		s.pos++
	}
}

// attempts runs the step's attempts until one succeeds or the retry policy gives up, and returns
// the number made, the last error, and when the last attempt started (only when observed).
func (p *Pipeline[T]) attempts(ctx context.Context, st *stage[T], m *message[T]) (int, error, time.Time) {
	pol := &st.cfg.retry
	for n := 1; ; n++ {
		var t0 time.Time
		if p.obs != nil {
			t0 = time.Now()
			p.emit(m, Event{Kind: StepStarted, Stage: st.name, Attempt: n, Time: t0})
		}
		v, err := p.attempt(ctx, st, m)
		if err == nil {
			m.value = v
			return n, nil, t0
		}
		m.slip.rollback()
		if ctx.Err() != nil {
			return n, withDone(ctx, err), t0
		}
		if !pol.retries(n, err) {
			return n, err, t0
		}
		st.stats.retried.Add(1)
		d := pol.Backoff(n, rand.Float64())
		if p.obs != nil {
			p.emit(m, Event{Kind: StepEnded, Stage: st.name, Attempt: n, Err: err, Duration: time.Since(t0)})
			p.emit(m, Event{Kind: RetryScheduled, Stage: st.name, Attempt: n, Err: err, Backoff: d})
		}
		if werr := sleep(ctx, d); werr != nil {
			return n, fmt.Errorf("%w (waiting to retry after: %w)", withDone(ctx, werr), err), t0
		}
	}
}

// attempt makes one attempt, in its own deadline when the stage sets one.
func (p *Pipeline[T]) attempt(ctx context.Context, st *stage[T], m *message[T]) (T, error) {
	if st.cfg.attemptTimeout <= 0 {
		return callStage(ctx, st.stage, m.value, &m.slip)
	}
	actx, cancel := context.WithTimeoutCause(ctx, st.cfg.attemptTimeout, errAttemptTimeout)
	defer cancel()
	v, err := callStage(actx, st.stage, m.value, &m.slip)
	if actx.Err() != nil && ctx.Err() == nil {
		// The attempt's own deadline passed: a late success counts as a timeout too.
		if err == nil {
			err = context.DeadlineExceeded
		}
		return v, &timeoutError{what: "attempt of stage " + st.name, cause: err}
	}
	return v, err
}

// callStage calls the stage, turning a panic into a *PanicError.
func callStage[T any](ctx context.Context, s Stage[T], v T, slip *Slip) (out T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	return s.Process(ctx, v, slip)
}

// compensate runs the compensation of the completed step m.comp at st and records it.
func (p *Pipeline[T]) compensate(st *stage[T], m *message[T]) {
	ctx := context.WithoutCancel(m.ctx)
	pol := &st.cfg.compRetry
	var start time.Time
	if p.timing {
		start = time.Now()
	}
	if p.obs != nil {
		p.emit(m, Event{Kind: CompensationStarted, Stage: st.name, Time: start})
	}
	var err error
	n := 1
	for ; ; n++ {
		err = p.compensateOnce(ctx, st, m.value)
		if err == nil || !pol.retries(n, err) {
			break
		}
		st.stats.retried.Add(1)
		_ = sleep(ctx, pol.Backoff(n, rand.Float64())) // ctx is never cancelled
	}
	r := StepRecord{Stage: st.name, Attempts: n, Outcome: Compensated, stage: m.slip.log[m.comp].stage}
	if p.timing {
		r.Start, r.Duration = start, time.Since(start)
	}
	if err != nil {
		r.Outcome, r.Err = CompensationFailed, err
		st.stats.compensationFailed.Add(1)
	} else {
		st.stats.compensated.Add(1)
	}
	m.slip.log = append(m.slip.log, r)
	if p.obs != nil {
		p.emit(m, Event{Kind: CompensationEnded, Stage: st.name, Attempt: n, Outcome: r.Outcome, Err: err, Duration: r.Duration})
	}
}

func (p *Pipeline[T]) compensateOnce(ctx context.Context, st *stage[T], v T) (err error) {
	if st.cfg.compTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, st.cfg.compTimeout, errAttemptTimeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	err = st.comp.Compensate(ctx, v)
	if err == nil && ctx.Err() != nil {
		err = context.DeadlineExceeded
	}
	return withDone(ctx, err)
}

// finish closes a message's journey: its error takes the compensation outcome, its contexts are
// released, and it goes to its sink. The caller must not touch m afterwards.
func (p *Pipeline[T]) finish(m *message[T]) {
	if m.err != nil {
		if len(m.slip.log) > m.compStart {
			m.err = &CompensationError{Err: m.err, Steps: slices.Clone(m.slip.log[m.compStart:])}
		}
		if m.failFast != nil {
			m.failFast(fmt.Errorf("%w: an earlier message failed: %w", context.Canceled, m.err))
		}
	}
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	if p.obs != nil {
		p.emit(m, Event{Kind: MessageFinished, Err: m.err, Duration: time.Since(m.accepted)})
	}
	sink := m.sink
	p.leave()
	if sink != nil {
		sink <- m // never blocks: sinks have room for every message in flight
	}
}

// withDone explains err, the error of work done under ctx, by why ctx ended: as the timeout
// Baton set when the deadline was one of Baton's, or with the cancellation's cause when one was
// given (fail-fast streams, abandoned streams). Otherwise it returns err unchanged.
func withDone(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	c := context.Cause(ctx)
	var te *timeoutError
	switch {
	case errors.As(c, &te):
		if !errors.Is(err, ErrTimeout) {
			return &timeoutError{what: te.what, cause: err}
		}
	case c != ctx.Err() && !errors.Is(err, c):
		return fmt.Errorf("%w (%v)", err, c)
	}
	return err
}

// doneError is the error of a message whose context ended between steps.
func doneError(ctx context.Context) error {
	c := context.Cause(ctx)
	if c == nil {
		return ctx.Err()
	}
	if c != ctx.Err() && !errors.Is(c, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), c)
	}
	return c
}

// emit tells the observer of e, an event of message m.
func (p *Pipeline[T]) emit(m *message[T], e Event) {
	e.Message, e.Strategy = m.id, p.cfg.strategy
	p.obs.emit(e)
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
