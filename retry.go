package baton

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/baton-go/baton/internal/backoff"
)

// RetryPolicy says how often and how patiently a step is retried. The zero value makes one
// attempt and no retry. A policy is a value; it is copied into the stage at New and never
// changed after.
//
// The wait after failed attempt n is InitialBackoff × Multiplier^(n-1), capped at MaxBackoff,
// then spread uniformly within ±Jitter of itself and capped at MaxBackoff again (a wait at the
// cap is spread below it only). With Linear set, it is InitialBackoff × n instead (Conductor's
// LINEAR_BACKOFF), capped at MaxBackoff. The arithmetic saturates: however large the values, a
// wait is never negative, never above MaxBackoff when set, and at most math.MaxInt64
// nanoseconds. Waits honour cancellation of the message's context.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included. 0 and 1 mean no retry.
	MaxAttempts int
	// InitialBackoff is the wait after the first failed attempt. 0 retries at once.
	InitialBackoff time.Duration
	// Multiplier scales the wait after each further failure; values <= 0 mean 1 (fixed waits).
	Multiplier float64
	// MaxBackoff caps the wait when > 0, jitter included.
	MaxBackoff time.Duration
	// Jitter in [0, 1] spreads each wait uniformly within ±Jitter of itself.
	Jitter float64
	// Linear makes the wait grow linearly (InitialBackoff × n) instead of geometrically.
	Linear bool
	// Retryable, when set, decides which errors are retried; errors marked Permanent, panics
	// and the message's own cancellation are never retried, whatever it says.
	Retryable func(error) bool
}

// FixedBackoff retries up to attempts times in all, waiting delay between attempts: Conductor's
// FIXED retry logic.
func FixedBackoff(attempts int, delay time.Duration) RetryPolicy {
	return RetryPolicy{MaxAttempts: attempts, InitialBackoff: delay, Multiplier: 1}
}

// LinearBackoff retries up to attempts times in all, waiting delay × n after the n-th failure:
// Conductor's LINEAR_BACKOFF (with backoffScaleFactor folded into delay).
func LinearBackoff(attempts int, delay time.Duration) RetryPolicy {
	return RetryPolicy{MaxAttempts: attempts, InitialBackoff: delay, Linear: true}
}

// ExponentialBackoff retries up to attempts times in all, waiting initial, 2×initial, 4×initial …
// capped at max (when > 0): Conductor's EXPONENTIAL_BACKOFF.
func ExponentialBackoff(attempts int, initial, max time.Duration) RetryPolicy {
	return RetryPolicy{MaxAttempts: attempts, InitialBackoff: initial, Multiplier: 2, MaxBackoff: max}
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 0:
		return errors.New("retry: MaxAttempts < 0")
	case p.InitialBackoff < 0 || p.MaxBackoff < 0:
		return errors.New("retry: negative backoff")
	case !(p.Jitter >= 0 && p.Jitter <= 1): // NaN too
		return errors.New("retry: Jitter outside [0, 1]")
	case math.IsNaN(p.Multiplier) || math.IsInf(p.Multiplier, 0):
		return errors.New("retry: Multiplier is not a finite number")
	}
	return nil
}

// Backoff returns the wait after failed attempt n (n >= 1) with the jitter drawn as r in [0, 1).
// It is exported for tests and tools that want to show a policy's schedule. It saturates (see
// RetryPolicy): the result is in [0, MaxBackoff] when MaxBackoff is set, else in
// [0, math.MaxInt64], for any n, r and policy.
func (p RetryPolicy) Backoff(n int, r float64) time.Duration {
	if p.Linear {
		return backoff.Linear(n, p.InitialBackoff, p.MaxBackoff)
	}
	return backoff.Delay(n, p.InitialBackoff, p.Multiplier, p.MaxBackoff, p.Jitter, r)
}

// retries reports whether err, the error of attempt n, earns another attempt, and returns err,
// explained when deciding panicked. Deciding calls user code — the Is, As and Unwrap methods of
// err's chain and the policy's Retryable — so it is contained: a panic there ends the step
// without a retry, its error saying what panicked.
func (p RetryPolicy) retries(n int, err error) (retry bool, out error) {
	if n >= p.MaxAttempts {
		return false, err
	}
	what := "inspecting the error"
	defer func() {
		if r := recover(); r != nil {
			retry, out = false, fmt.Errorf("%w (and %s panicked: %w)", err, what, newPanicError(r))
		}
	}()
	if IsPermanent(err) || errors.Is(err, ErrPanic) || errors.Is(err, ErrGoexit) {
		return false, err
	}
	if p.Retryable == nil {
		return true, err
	}
	what = "its retry policy's Retryable"
	return p.Retryable(err), err
}
