package baton

import (
	"context"
	"math/rand/v2"
	"time"
)

// This file is compensation: undoing a failed message's completed steps, in reverse order.

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
