package baton

// This file is the step: what running one stage on one message means. Both strategies call
// exactly the same functions — newMessage when a message is accepted (message.go), then
// alternately next (itinerary.go: which stage acts now?) and act (here: run the step, or the
// compensation, compensate.go), then finish (message.go) — and differ only in which goroutine
// makes each call. Everything observable (values, errors, the log, compensation order, stats,
// events) is decided in these files, so the strategies cannot drift apart: attempt.go holds a
// step's attempts and timeouts, stop.go how a message stops.
//
// They live in the root package rather than internal/ because they work on the public Stage,
// Slip and StepRecord types; the pure parts (backoff arithmetic, reordering, rates) are in
// internal/.

import (
	"time"
)

// act performs the message's pending action at stage i: a compensation, or the slip's current
// step, which it records. A step with its stage's default policy (one attempt, no timeout, no
// policy of its own: see StepPolicy) in an untimed pipeline takes the short path: one call, no
// context, no defer. A panic in the stage unwinds to the strategy's loop, which hands it to
// stagePanicked.
func (p *Pipeline[T]) act(i int, m *message[T]) {
	h := &p.hot[i]
	if m.compensating {
		p.compensate(&p.stages[i], m)
		return
	}
	if (m.done != nil || p.aborted.Load()) && p.stopped(m) {
		return // the strategy's next call to next starts the compensation
	}
	s := &m.slip
	s.hops++
	if !h.short || s.route[s.pos].policy != 0 {
		p.policedStep(&p.stages[i], m)
		return
	}
	s.attempt = 1
	m.inStage = true
	v, err := h.stage.Process(m.ctx, m.value, s)
	m.inStage = false
	p.endShort(i, m, v, err)
}

// endShort ends a short step (see act) at stage i that returned v and err.
func (p *Pipeline[T]) endShort(i int, m *message[T], v T, err error) {
	if err == nil && m.deadline {
		err = p.missedDeadline(m)
	}
	if err == nil {
		m.value = v
	} else {
		m.slip.rollback()
		err = withDone(m.ctx, err)
	}
	p.endStep(&p.stages[i], m, err)
}

// steps is next and act in a loop, for a strategy that runs a message's steps one after
// another (orchestration): it performs m's plain steps — short ones (see act) at stages
// without a Workers cap (hotStage.plain) — and returns what next would return for the first
// action that is not one: that stage, or -1 when m is finished. It keeps every rule of next and
// act (the stop check, the hop limit, the log, the cursor) and decides nothing of its own:
// a plain step that succeeds unrevised, in a context without a deadline, is what act and
// endStep do in that case, inline — its log entry is implied (see Slip.log) — and any other
// outcome goes through endShort. The choreographed strategy, which moves a message between
// steps, calls act; the equivalence of both strategies covers this loop.
func (p *Pipeline[T]) steps(m *message[T]) int {
	if m.compensating || m.err != nil {
		return p.next(m)
	}
	// What a step cannot change is read once: the stage table, the hop limit, the message's
	// context. Only endShort and stopped set m.err, and neither turns m to compensating.
	s := &m.slip
	hot, limit := p.hot, p.cfg.hopLimit
	ctx, watch, deadline := m.ctx, m.done != nil, m.deadline
	s.attempt = 1 // every plain step's, and nothing in the loop changes it
	for s.pos < len(s.route) && s.hops < limit {
		hp := s.route[s.pos]
		h := &hot[hp.stage]
		if !h.plain || hp.policy != 0 {
			return int(hp.stage) // next's answer: the strategy acts there
		}
		if s.shared && !deadline {
			if !p.run(m) {
				break // next starts the compensation
			}
			continue
		}
		if (watch || p.aborted.Load()) && p.stopped(m) {
			break // next starts the compensation
		}
		s.hops++
		m.inStage = true
		v, err := h.stage.Process(ctx, m.value, s)
		m.inStage = false
		if err != nil || deadline || s.revised {
			p.endShort(int(hp.stage), m, v, err)
			if m.err != nil {
				break
			}
			continue
		}
		m.value = v
		s.pos++
	}
	return p.next(m)
}

// run is steps' loop on the shared default itinerary (see Slip.share), for a message whose
// context has no deadline: there step k is at stage k, so the plain steps from the cursor on
// are hot[pos].run stages in a row, known to be plain without looking at each, and the hop
// limit bounds their number once. Its loop does per step only what every step must: the stop
// check, the hop count, the call, its outcome, the cursor. It returns false when m must stop
// (its error set: a stop, a failed step), else true, with m at a step it does not take: the
// first that is not plain, the end, the hop limit, or a step after a revision (m.slip no
// longer shared) — steps decides there. The first step is plain: steps checked it.
func (p *Pipeline[T]) run(m *message[T]) bool {
	s := &m.slip
	n := min(int(p.hot[s.pos].run), p.cfg.hopLimit-s.hops)
	todo := p.hot[s.pos : s.pos+n]
	ctx, watch, stop := m.ctx, m.done != nil, &p.aborted
	// inStage is set for the whole run, not around each call: between two calls this loop runs
	// nothing that can panic (no index to check, no call) but stopped, before which it is
	// cleared, so a panic while it is set is still the stage's.
	// The value goes from one call to the next in a register: m.value is written for a panic's
	// sake, never read back, so the next call does not wait for the store to be forwarded.
	v := m.value
	m.inStage = true
	for i := range todo {
		if stop.Load() {
			m.inStage = false
			p.stopped(m) // true: Shutdown's deadline passed
			return false
		}
		if watch {
			m.inStage = false
			if p.stopped(m) {
				return false
			}
			m.inStage = true
		}
		m.slip.hops++
		out, err := todo[i].stage.Process(ctx, v, &m.slip)
		if err != nil || m.slip.revised {
			m.inStage = false
			p.endShort(int(s.route[s.pos].stage), m, out, err)
			return m.err == nil
		}
		v = out
		m.value = v
		m.slip.pos++
	}
	m.inStage = false
	return true
}

// endStep records the end of the slip's current step at st, after m.slip.attempt attempts
// that ended with err: the log, the counters, the events, and the cursor.
func (p *Pipeline[T]) endStep(st *stage[T], m *message[T], err error) {
	s := &m.slip
	h := s.route[s.pos]
	e := entry{stage: h.stage, attempts: int32(s.attempt), outcome: Succeeded, err: err}
	if err == nil {
		// counted in Processed below when timed, else when the message finishes: see countSteps
		if s.attempt != 1 {
			s.untouched = false // the shared default log says one attempt
		}
	} else {
		e.outcome = Failed
		if h.optional || p.policyOf(st, s).Optional {
			e.outcome = Tolerated
			s.untouched = false
			if st.tol != nil {
				e.err, e.outcome = p.tolerate(st, m, err) // tolerate.go: the value it goes on with
				err = e.err
			}
		}
		st.stats.failed.Add(1) // after Tolerate, which may end this goroutine (see stagePanicked)
		if e.outcome == Failed {
			m.err = &StepError{Stage: st.name, Attempts: s.attempt, Err: err}
		}
	}
	// Observed, the entry is written: an observer's Goexit in this step's events (observerExited)
	// ends the message before s.pos moves past the step, which would leave it unimplied.
	if e.outcome != Succeeded || e.attempts != 1 || e.err != nil || p.obs != nil {
		s.flush()
		s.log = append(s.log, e)
		s.errs = s.errs || err != nil
	} // else the entry is implied: see Slip.log
	var now time.Time // one clock read serves the log, the histogram and the events
	if p.timing {
		now = time.Now()
		d := now.Sub(m.stepStart)
		s.times = append(s.times, span{m.stepStart, d})
		st.latency.Record(d)
		st.stats.running.Add(-1)
		m.running = false
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
	if m.slip.tolerating { // Tolerate called runtime.Goexit: its panics are recovered where it is called
		p.tolerateExited(m)
		return
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
