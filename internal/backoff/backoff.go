// Package backoff computes retry delays. It is pure arithmetic, shared by every retry in Baton so
// that both strategies wait exactly the same.
//
// Both functions saturate: for any arguments the result is in [0, max] when max > 0, else in
// [0, math.MaxInt64]; it never overflows to a negative or wrapped value.
package backoff

import (
	"math"
	"time"
)

// Delay returns the wait before attempt n+1 after n failed attempts (n >= 1): initial ×
// multiplier^(n-1) (a multiplier <= 0 or NaN means 1), capped at max when max > 0, then spread
// by jitter: with jitter j in [0, 1] and r uniform in [0, 1), the result is d × (1 - j + 2·j·r),
// so it stays within d·(1±j) — and is capped at max again, so that a wait at the cap is spread
// below it only. Without max the cap is math.MaxInt64. With j = 0 and multiplier >= 1 the
// result is non-decreasing in n.
func Delay(n int, initial time.Duration, multiplier float64, max time.Duration, jitter, r float64) time.Duration {
	if initial <= 0 || n < 1 {
		return 0
	}
	if !(multiplier > 0) { // NaN too
		multiplier = 1
	}
	limit := time.Duration(math.MaxInt64)
	if max > 0 {
		limit = max
	}
	flimit := float64(limit) // for math.MaxInt64, 2^63: one past it
	d := float64(initial) * math.Pow(multiplier, float64(n-1))
	if d > flimit { // +Inf too
		d = flimit
	}
	if jitter > 0 {
		d *= 1 - jitter + 2*jitter*r
	}
	switch {
	case !(d > 0): // NaN too: a jitter or r outside its range
		return 0
	case d >= flimit:
		return limit
	}
	return min(time.Duration(d), limit) // d < 2^63: converts exactly enough
}

// Linear returns initial × n, capped at max when max > 0, else at math.MaxInt64: Conductor's
// LINEAR_BACKOFF.
func Linear(n int, initial time.Duration, max time.Duration) time.Duration {
	if initial <= 0 || n < 1 {
		return 0
	}
	limit := time.Duration(math.MaxInt64)
	if max > 0 {
		limit = max
	}
	if time.Duration(n) > limit/initial { // initial × n > limit, without computing it
		return limit
	}
	return initial * time.Duration(n)
}
