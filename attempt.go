package baton

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// This file is one step with its policies: its attempts, their deadlines and backoff waits.

// Causes recorded on the contexts Baton makes, so a deadline can be reported as the timeout that
// set it. Each matches ErrTimeout and context.DeadlineExceeded.
var (
	errAttemptTimeout = &timeoutError{what: "attempt", cause: context.DeadlineExceeded}
	errStepTimeout    = &timeoutError{what: "step", cause: context.DeadlineExceeded}
	errMessageTimeout = &timeoutError{what: "message", cause: context.DeadlineExceeded}

	errCompensationTimeout = &timeoutError{what: "compensation attempt", cause: context.DeadlineExceeded}
)

// policedStep is a step with its policy (the stage's, or the step's own: see policyOf):
// attempts, backoff, timeouts, timing, events.
func (p *Pipeline[T]) policedStep(st *stage[T], m *message[T]) {
	pol := p.policyOf(st, &m.slip)
	ctx := m.ctx
	if pol.StepTimeout > 0 {
		ctx, m.stepCancel = context.WithTimeoutCause(ctx, pol.StepTimeout, errStepTimeout)
	}
	if p.timing {
		m.stepStart = time.Now()
		st.stats.running.Add(1)
		m.running = true
	}
	err := p.attempts(ctx, st, pol, m)
	if m.stepCancel != nil {
		m.stepCancel()
		m.stepCancel = nil
	}
	p.endStep(st, m, err)
}

// attempts runs the step's attempts until one succeeds or its retry policy gives up, and returns
// the last error; m.slip.attempt is the number made.
func (p *Pipeline[T]) attempts(ctx context.Context, st *stage[T], sp *StepPolicy, m *message[T]) error {
	pol := &sp.Retry
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
		v, err := p.attempt(actx, st, sp.AttemptTimeout, m)
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

// attempt makes one attempt, in its own deadline d when the step's policy sets one.
func (p *Pipeline[T]) attempt(ctx context.Context, st *stage[T], d time.Duration, m *message[T]) (T, error) {
	if d <= 0 {
		m.inStage = true
		v, err := st.stage.Process(ctx, m.value, &m.slip)
		m.inStage = false
		return v, err
	}
	actx, cancel := context.WithTimeoutCause(ctx, d, errAttemptTimeout)
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
