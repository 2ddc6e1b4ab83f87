// Package backoff computes retry delays. It is pure arithmetic, shared by every retry in Baton so
// that both strategies wait exactly the same.
package backoff

import (
	"math"
	"time"
)

// Delay returns the wait before attempt n+1 after n failed attempts (n >= 1): initial ×
// multiplier^(n-1), capped at max when max > 0, then spread by jitter: with jitter j in [0, 1]
// and r uniform in [0, 1), the result is d × (1 - j + 2·j·r), so it stays within d·(1±j).
func Delay(n int, initial time.Duration, multiplier float64, max time.Duration, jitter, r float64) time.Duration {
	if initial <= 0 || n < 1 {
		return 0
	}
	if multiplier <= 0 {
		multiplier = 1
	}
	d := float64(initial) * math.Pow(multiplier, float64(n-1))
	if max > 0 && d > float64(max) {
		d = float64(max)
	}
	if d > math.MaxInt64/2 {
		d = math.MaxInt64 / 2
	}
	if jitter > 0 {
		d *= 1 - jitter + 2*jitter*r
	}
	return time.Duration(d)
}

// Linear returns initial × n, capped at max when max > 0: Conductor's LINEAR_BACKOFF.
func Linear(n int, initial time.Duration, max time.Duration) time.Duration {
	if initial <= 0 || n < 1 {
		return 0
	}
	d := initial * time.Duration(n)
	if max > 0 && d > max {
		d = max
	}
	return d
}
