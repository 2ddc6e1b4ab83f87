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
	"time"
)

// Causes recorded on the contexts Baton makes, so a deadline can be reported as the timeout that
// set it. Each matches ErrTimeout and context.DeadlineExceeded.
var (
	errAttemptTimeout = &timeoutError{what: "attempt", cause: context.DeadlineExceeded}
	errStepTimeout    = &timeoutError{what: "step", cause: context.DeadlineExceeded}
	errMessageTimeout = &timeoutError{what: "message", cause: context.DeadlineExceeded}

	errCompensationTimeout = &timeoutError{what: "compensation attempt", cause: context.DeadlineExceeded}
)

// begin gives an accepted message its itinerary.
func (p *Pipeline[T]) begin(m *message[T]) {
	m.slip.reset(&p.reg)
	if p.keyFn != nil {
		var err error
		if m.key, err = p.key(m.value); err != nil {
			m.err = err
			return
		}
	}
	if p.router == nil {
		m.slip.route = append(m.slip.route, p.route...)
		return
	}
	names, err := p.callRouter(m.value)
	if err == nil && len(names) == 0 && !p.cfg.allowEmpty {
		err = fmt.Errorf("%w: the router returned no stage", ErrEmptyItinerary)
	}
	if err == nil {
		m.slip.route, err = p.reg.resolve(m.slip.route, names, false)
	}
	if err != nil {
		m.slip.route = m.slip.route[:0]
		m.err = &whileError{doing: "routing the message", err: err}
	}
}

// key is the message's key from WithKey, "" without it; a panic in the key function is the
// message's error.
func (p *Pipeline[T]) key(v T) (k string, err error) {
	if p.keyFn == nil {
		return "", nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = &whileError{doing: "computing the message's key", err: newPanicError(r)}
		}
	}()
	return p.keyFn(v), nil
}

// keyOf is key, ignoring a panic: for messages refused before they were accepted.
func (p *Pipeline[T]) keyOf(v T) string {
	k, _ := p.key(v)
	return k
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
		if r.outcome == Succeeded && p.stages[r.stage].comp != nil {
			return int(r.stage)
		}
	}
	return -1
}

// act performs the message's pending action at stage i: a compensation, or the slip's current
// step, which it records. A stage with the default policy (one attempt, no timeout) in an
// untimed pipeline takes the short path: one call, no context, no defer. A panic in the stage
// unwinds to the strategy's loop, which hands it to stagePanicked.
func (p *Pipeline[T]) act(i int, m *message[T]) {
	st := &p.stages[i]
	if m.compensating {
		p.compensate(st, m)
		return
	}
	if (m.done != nil || p.aborted.Load()) && p.stopped(m) {
		return // the strategy's next call to next starts the compensation
	}
	s := &m.slip
	s.hops++
	if !st.plain || p.timing {
		p.policedStep(st, m)
		return
	}
	s.attempt = 1
	m.inStage = true
	v, err := st.stage.Process(m.ctx, m.value, s)
	m.inStage = false
	if err == nil && m.deadline {
		err = p.missedDeadline(m)
	}
	if err == nil {
		m.value = v
	} else {
		s.rollback()
		err = withDone(m.ctx, err)
	}
	p.endStep(st, m, err)
}

// errLateSuccess is the error of a step that returned success after its message's deadline.
var errLateSuccess = errors.New("baton: the step succeeded after its message's deadline")

// missedDeadline returns the error of a step that has just succeeded when the message's own
// deadline (the caller's, or WithMessageTimeout's) passed while it ran: a deadline is a promise
// of bounded time, so the late success does not count. It matches the context's cause (ErrTimeout
// for WithMessageTimeout) and context.DeadlineExceeded. A cancellation is not a deadline: a step
// that succeeds after one counts, and the message stops before its next step.
func (p *Pipeline[T]) missedDeadline(m *message[T]) error {
	select {
	case <-m.done:
		if m.ctx.Err() == context.DeadlineExceeded {
			return &stoppedError{err: errLateSuccess, cause: doneError(m.ctx)}
		}
	default:
	}
	return nil
}

// stopped reports whether m must stop before its current step — its context ended, or
// Shutdown's deadline passed — and if so sets its error. It is asked as the step starts, after
// any wait in an inbox or for a worker, so that a queued message stops exactly where it would
// under either strategy.
func (p *Pipeline[T]) stopped(m *message[T]) bool {
	if m.done != nil {
		select {
		case <-m.done:
			m.err = &whileError{doing: fmt.Sprintf("message stopped before stage %q", m.slip.Stage()), err: doneError(m.ctx)}
			return true
		default:
		}
	}
	if p.aborted.Load() {
		m.err = fmt.Errorf("%w before stage %q", ErrAborted, m.slip.Stage())
		return true
	}
	return false
}

// policedStep is a step with the stage's policies: attempts, backoff, timeouts, timing, events.
func (p *Pipeline[T]) policedStep(st *stage[T], m *message[T]) {
	ctx := m.ctx
	if st.cfg.stepTimeout > 0 {
		ctx, m.stepCancel = context.WithTimeoutCause(ctx, st.cfg.stepTimeout, errStepTimeout)
	}
	if p.timing {
		m.stepStart = time.Now()
		st.stats.running.Add(1)
	}
	err := p.attempts(ctx, st, m)
	if m.stepCancel != nil {
		m.stepCancel()
		m.stepCancel = nil
	}
	p.endStep(st, m, err)
}

// endStep records the end of the slip's current step at st, after m.slip.attempt attempts
// that ended with err: the log, the counters, the events, and the cursor.
func (p *Pipeline[T]) endStep(st *stage[T], m *message[T], err error) {
	s := &m.slip
	h := s.route[s.pos]
	e := entry{stage: h.stage, attempts: int32(s.attempt), outcome: Succeeded, err: err}
	switch {
	case err == nil:
		// counted in Processed below when timed, else when the message finishes: see countSteps
		if s.attempt != 1 {
			s.plain = false // the shared plain log says one attempt
		}
	case h.optional || st.cfg.optional:
		st.stats.failed.Add(1)
		e.outcome = Tolerated
		s.plain = false
	default:
		st.stats.failed.Add(1)
		e.outcome = Failed
		m.err = &StepError{Stage: st.name, Attempts: s.attempt, Err: err}
	}
	s.log = append(s.log, e)
	s.errs = s.errs || err != nil
	var now time.Time // one clock read serves the log, the histogram and the events
	if p.timing {
		now = time.Now()
		d := now.Sub(m.stepStart)
		s.times = append(s.times, span{m.stepStart, d})
		st.latency.Record(d)
		st.stats.running.Add(-1)
		p.countStep(st, e.outcome, now) // stats.go: timed, Processed and its rates move per step
	}
	revised := s.revised
	s.revised = false
	if p.obs != nil { // implies timing
		if !m.attemptEnded { // else this attempt's StepEnded went out before a retry's wait that was cut short
			p.emit(m, Event{Kind: StepEnded, Stage: st.name, Attempt: s.attempt, Outcome: e.outcome, Err: err, Time: now, Duration: now.Sub(m.attemptStart)})
		}
		if revised {
			p.emit(m, Event{Kind: SlipRevised, Stage: st.name, Remaining: s.Remaining(), Time: now})
		}
	}
	if e.outcome != Failed {
		s.pos++
	}
}

// stagePanicked ends the step whose stage panicked with pe: a panic is never retried, so the
// step ends there, failed (or tolerated when optional). The strategies call it when contain
// reports the panic of their loops, so that no per-step defer is needed; the step's own
// deferred clean-up (an attempt's context) has run during the unwinding.
//
// With pe nil the stage called runtime.Goexit: the step fails with ErrGoexit, and the caller
// must carry the message on in another goroutine — or, when an observer called it, the message
// ends (see observerExited).
func (p *Pipeline[T]) stagePanicked(m *message[T], pe *PanicError) {
	goexit := pe == nil
	if m != nil && goexit && m.inObserver {
		p.observerExited(m)
		return
	}
	if m == nil || !m.inStage {
		if goexit {
			panic("baton: runtime.Goexit outside a stage's code") // a bug in Baton, not to be hidden
		}
		panic(pe.Value) // not a stage's panic: a bug in Baton, not to be hidden
	}
	m.inStage = false
	var err error = ErrGoexit
	if !goexit {
		err = pe
	}
	if m.compensating { // a Goexit in Compensate: its panics are recovered where it is called
		p.endCompensation(&p.stages[m.slip.log[m.comp].stage], m, err)
		return
	}
	if m.stepCancel != nil {
		m.stepCancel()
		m.stepCancel = nil
	}
	s := &m.slip
	s.rollback()
	p.endStep(&p.stages[s.route[s.pos].stage], m, err)
}

// attempts runs the step's attempts until one succeeds or the retry policy gives up, and returns
// the last error; m.slip.attempt is the number made.
func (p *Pipeline[T]) attempts(ctx context.Context, st *stage[T], m *message[T]) error {
	pol := &st.cfg.retry
	for n := 1; ; n++ {
		m.slip.attempt = n
		m.attemptEnded = false
		if p.obs != nil { // implies timing: the first attempt starts with the step
			if n == 1 {
				m.attemptStart = m.stepStart
			} else {
				m.attemptStart = time.Now()
			}
			p.emit(m, Event{Kind: StepStarted, Stage: st.name, Attempt: n, Time: m.attemptStart})
		}
		actx := ctx
		if p.obs != nil && p.obs.ctx != nil {
			actx = p.stepContext(ctx, m, Event{Kind: StepStarted, Stage: st.name, Attempt: n, Time: m.attemptStart})
		}
		v, err := p.attempt(actx, st, m)
		if err == nil && m.deadline {
			err = p.missedDeadline(m)
		}
		if err == nil {
			m.value = v
			return nil
		}
		m.slip.rollback()
		if ctx.Err() != nil {
			return withDone(ctx, err)
		}
		m.inStage = true // Retryable is the user's code too
		retry, err := pol.retries(n, err)
		m.inStage = false
		if !retry {
			return err
		}
		st.stats.retried.Add(1)
		d := pol.Backoff(n, rand.Float64())
		if p.obs != nil {
			now := time.Now()
			p.emit(m, Event{Kind: StepEnded, Stage: st.name, Attempt: n, Err: err, Time: now, Duration: now.Sub(m.attemptStart)})
			m.attemptEnded = true
			p.emit(m, Event{Kind: RetryScheduled, Stage: st.name, Attempt: n, Err: err, Backoff: d, Time: now})
		}
		if werr := sleep(ctx, d); werr != nil {
			return fmt.Errorf("%w (waiting to retry after: %w)", withDone(ctx, werr), err)
		}
	}
}

// attempt makes one attempt, in its own deadline when the stage sets one.
func (p *Pipeline[T]) attempt(ctx context.Context, st *stage[T], m *message[T]) (T, error) {
	if st.cfg.attemptTimeout <= 0 {
		m.inStage = true
		v, err := st.stage.Process(ctx, m.value, &m.slip)
		m.inStage = false
		return v, err
	}
	actx, cancel := context.WithTimeoutCause(ctx, st.cfg.attemptTimeout, errAttemptTimeout)
	defer cancel()
	m.inStage = true
	v, err := st.stage.Process(actx, m.value, &m.slip)
	m.inStage = false
	if actx.Err() != nil && (ctx.Err() == nil || context.Cause(actx) == errAttemptTimeout) {
		// The attempt's own deadline passed: a late success counts as a timeout too.
		if err == nil {
			err = context.DeadlineExceeded
		}
		return v, &timeoutError{what: "attempt of stage " + st.name, cause: err}
	}
	return v, err
}

// compensate runs the compensation of the completed step m.comp at st and records it.
func (p *Pipeline[T]) compensate(st *stage[T], m *message[T]) {
	ctx := context.WithoutCancel(m.ctx)
	pol := &st.cfg.compRetry
	if p.timing {
		m.stepStart = time.Now()
	}
	if p.obs != nil {
		p.emit(m, Event{Kind: CompensationStarted, Stage: st.name, Time: m.stepStart})
		if p.obs.ctx != nil {
			ctx = p.stepContext(ctx, m, Event{Kind: CompensationStarted, Stage: st.name, Time: m.stepStart})
		}
	}
	var err error
	for n := 1; ; n++ {
		m.slip.attempt = n
		if err = p.compensateOnce(ctx, st, m); err == nil {
			break
		}
		m.inStage = true // Retryable is the user's code too
		retry, werr := pol.retries(n, err)
		m.inStage = false
		if err = werr; !retry {
			break
		}
		st.stats.retried.Add(1)
		d := pol.Backoff(n, rand.Float64())
		if p.obs != nil {
			p.emit(m, Event{Kind: RetryScheduled, Stage: st.name, Attempt: n, Err: err, Backoff: d, Compensation: true})
		}
		_ = sleep(ctx, d) // ctx is never cancelled
	}
	p.endCompensation(st, m, err)
}

// endCompensation records the end of the compensation of step m.comp at st, after
// m.slip.attempt attempts that ended with err.
func (p *Pipeline[T]) endCompensation(st *stage[T], m *message[T], err error) {
	e := entry{stage: m.slip.log[m.comp].stage, attempts: int32(m.slip.attempt), outcome: Compensated}
	if err != nil {
		e.outcome, e.err = CompensationFailed, err
		st.stats.compensationFailed.Add(1)
	} else {
		st.stats.compensated.Add(1)
	}
	m.slip.log = append(m.slip.log, e)
	m.slip.errs = m.slip.errs || err != nil
	var d time.Duration
	if p.timing {
		d = time.Since(m.stepStart)
		m.slip.times = append(m.slip.times, span{m.stepStart, d})
	}
	if p.obs != nil {
		p.emit(m, Event{Kind: CompensationEnded, Stage: st.name, Attempt: m.slip.attempt, Outcome: e.outcome, Err: err, Duration: d})
	}
}

// compensateOnce makes one attempt of st's Compensate for m, in its own deadline when the stage
// sets one; a panic is its error.
func (p *Pipeline[T]) compensateOnce(ctx context.Context, st *stage[T], m *message[T]) (err error) {
	if st.cfg.compTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, st.cfg.compTimeout, errCompensationTimeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			m.inStage = false
			err = newPanicError(r)
		}
	}()
	// A runtime.Goexit in Compensate unwinds past the recover with inStage still set, to the
	// strategy's loop: see stagePanicked.
	m.inStage = true
	err = st.comp.Compensate(ctx, m.value)
	m.inStage = false
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
	if m.err == nil && m.slip.plain && p.router == nil && !p.timing && !p.cfg.privateLogs {
		return p.plainLog
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
	if m.err == nil && m.slip.plain && p.router == nil {
		p.plainDone.Add(1)
		return
	}
	for i := range m.slip.log {
		if e := &m.slip.log[i]; e.outcome == Succeeded {
			p.stages[e.stage].stats.processed.Add(1)
		}
	}
}

// withDone explains err, the error of work done under ctx, by why ctx ended: as the timeout
// Baton set when the deadline was one of Baton's, else as a *stoppedError that matches the
// context's cause and still carries err. Otherwise (ctx not done) it returns err unchanged.
// Matching calls the Is methods of user errors, so it is contained (see safeIs).
func withDone(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	c := context.Cause(ctx)
	if te, ok := c.(*timeoutError); ok {
		if !safeIs(err, ErrTimeout) {
			return &timeoutError{what: te.what, cause: err}
		}
		return err
	}
	if safeIs(err, c) {
		return err // it says why already
	}
	return &stoppedError{err: err, cause: doneError(ctx)}
}

// doneError is the error of a message whose context ended: its cause, made to match the
// context's error too.
func doneError(ctx context.Context) error {
	c := context.Cause(ctx)
	if c == nil {
		return ctx.Err()
	}
	if c != ctx.Err() && !safeIs(c, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), c)
	}
	return c
}

// safeIs is errors.Is(err, target), contained: when a user error's Is or Unwrap method panics,
// it reports false instead of crashing the goroutine that asked.
func safeIs(err, target error) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return errors.Is(err, target)
}

// stepContext asks the ContextObserver for the context of the attempt or compensation e starts.
func (p *Pipeline[T]) stepContext(ctx context.Context, m *message[T], e Event) context.Context {
	e.Message, e.Key, e.Strategy, e.Pipeline, e.Context = m.id, m.key, p.cfg.strategy, p.cfg.name, ctx
	return p.obs.stepContext(ctx, e)
}

// emit tells the observer of e, an event of message m. While it runs, m.inObserver tells a
// Goexit of the observer's from a stage's (see stagePanicked).
func (p *Pipeline[T]) emit(m *message[T], e Event) {
	e.Message, e.Key, e.Strategy, e.Pipeline, e.Context = m.id, m.key, p.cfg.strategy, p.cfg.name, m.ctx
	m.inObserver = true
	p.obs.emit(e)
	m.inObserver = false
}

// observerExited ends m, whose observer called runtime.Goexit during one of its steps or
// compensations: it is unsupported (see Observer), and the message's state may be half-way
// through a step, so the message ends at once with ErrGoexit, its remaining steps and
// compensations skipped, and the strategy carries it to its result in another goroutine.
func (p *Pipeline[T]) observerExited(m *message[T]) {
	m.inObserver, m.inStage = false, false
	if m.stepCancel != nil {
		m.stepCancel()
		m.stepCancel = nil
	}
	m.err = fmt.Errorf("%w: called by an observer; the message's remaining steps and compensations were skipped", ErrGoexit)
	m.compensating, m.comp, m.compStart = true, 0, len(m.slip.log)
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
