package baton

import (
	"context"
	"errors"
	"fmt"
)

// This file is how a message stops: why its context ended, said as its error, and the checks
// before and after each step.

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

// waitDone is what a goroutine waiting for m watches: m's done channel, or, for a message under
// the pipeline's own context (m.done nil: only Shutdown's abort can end it), the abort's.
func (p *Pipeline[T]) waitDone(m *message[T]) <-chan struct{} {
	if m.done != nil {
		return m.done
	}
	return p.abortCtx.Done()
}

// stopped reports whether m must stop before its current step — its context ended, or
// Shutdown's deadline passed — and if so sets its error. It is asked as the step starts, after
// any wait in an inbox or for a worker, so that a queued message stops exactly where it would
// under either strategy.
func (p *Pipeline[T]) stopped(m *message[T]) bool {
	// Err rather than a receive from m.done: the same answer (Err is non-nil once Done is
	// closed), and for the contexts Baton makes an atomic load, where a receive reads the
	// channel's header — which a submitter waiting on that context writes, so that a stream's
	// every step missed the cache on it.
	if m.done != nil && m.ctx.Err() != nil {
		m.err = &whileError{doing: fmt.Sprintf("message stopped before stage %q", m.slip.Stage()), err: doneError(m.ctx)}
		return true
	}
	if p.aborted.Load() {
		m.err = fmt.Errorf("%w before stage %q", ErrAborted, m.slip.Stage())
		return true
	}
	return false
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
