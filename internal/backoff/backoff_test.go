package backoff

import (
	"math"
	"math/rand/v2"
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/assert"
)

const maxDuration = time.Duration(math.MaxInt64)

func TestDelay(t *testing.T) {
	ms := time.Millisecond
	huge := time.Duration(1 << 62)
	cases := []struct {
		n       int
		initial time.Duration
		mult    float64
		max     time.Duration
		jitter  float64
		r       float64
		want    time.Duration
	}{
		{1, 100 * ms, 2, 0, 0, 0, 100 * ms},
		{3, 100 * ms, 2, 0, 0, 0, 400 * ms},
		{5, 100 * ms, 2, 300 * ms, 0, 0, 300 * ms},
		{3, 100 * ms, 0, 0, 0, 0, 100 * ms},          // multiplier <= 0 means fixed
		{3, 100 * ms, math.NaN(), 0, 0, 0, 100 * ms}, // so does NaN
		{0, 100 * ms, 2, 0, 0, 0, 0},
		{-5, 100 * ms, 2, 0, 0, 0, 0},
		{1, 0, 2, 0, 0, 0, 0},
		{1, -ms, 2, 0, 0, 0, 0},
		{1, 100 * ms, 1, 0, 0.5, 0, 50 * ms},
		{1, 100 * ms, 1, 0, 0.5, 0.5, 100 * ms},
		{1, 100 * ms, 1, 0, 0.5, 0.999, 149_900 * time.Microsecond},
		// Saturation: the result never overflows, whatever the values.
		{1000, time.Second, 10, 0, 0, 0, maxDuration},
		{2, huge, 2, 0, 0, 0, maxDuration},
		{3, huge, 2, 0, 0, 0, maxDuration},
		{math.MaxInt, huge, 2, 0, 0, 0, maxDuration},
		{2, maxDuration, math.MaxFloat64, 0, 0, 0, maxDuration},
		{2, maxDuration, math.Inf(1), 0, 0, 0, maxDuration},
		{1, maxDuration, 1, 0, 1, 0.999999, maxDuration}, // jitter above the cap is cut
		{1, maxDuration, 1, 0, 1, 0.25, time.Duration(float64(maxDuration) / 2)},
		{2, huge, 2, time.Hour, 0, 0, time.Hour},
		{60, ms, 2, time.Hour, 0.5, 0.999, time.Hour},    // at the cap, jitter does not exceed it
		{60, ms, 2, time.Hour, 0.5, 0, 30 * time.Minute}, // and still spreads below it
		{2, huge, 2, maxDuration, 0, 0, maxDuration},     // a cap of math.MaxInt64 itself
		{1, 100 * ms, 1, 0, 3, 0, 0},                     // a jitter above 1 cannot go negative
		{1, 100 * ms, 1, 0, 0.5, math.NaN(), 0},          // nor a NaN draw
		{1, 100 * ms, 1, 0, math.NaN(), 0.5, 100 * ms},   // a NaN jitter is none
		{1, 100 * ms, 0.5, 0, 0, 0, 100 * ms},            // a multiplier below 1 shrinks the waits
		{3, 100 * ms, 0.5, 0, 0, 0, 25 * ms},             //
		{1 << 40, 100 * ms, 0.5, 0, 0, 0, 0},             // down to nothing
		{math.MaxInt, 1, 1, 0, 0, 0, 1},                  // fixed waits stay fixed
		{math.MaxInt, 1, 1.0000001, 5 * time.Second, 0, 0, 5 * time.Second},
	}
	for _, c := range cases {
		got := Delay(c.n, c.initial, c.mult, c.max, c.jitter, c.r)
		assert.Equal(t, c.want, got, "%+v", c)
	}
}

func TestLinear(t *testing.T) {
	huge := time.Duration(1 << 62)
	cases := []struct {
		n       int
		initial time.Duration
		max     time.Duration
		want    time.Duration
	}{
		{3, 100 * time.Millisecond, 0, 300 * time.Millisecond},
		{3, 100 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond},
		{0, time.Second, 0, 0},
		{-1, time.Second, 0, 0},
		{3, 0, 0, 0},
		{3, -time.Second, 0, 0},
		// Saturation: initial × n overflowed to a negative wait (no wait at all).
		{1, huge, 0, huge},
		{2, huge, 0, maxDuration},
		{3, huge, 0, maxDuration},
		{4, huge, 0, maxDuration}, // wrapped to exactly 0
		{5, huge, 0, maxDuration},
		{2, huge, time.Hour, time.Hour},
		{math.MaxInt, time.Nanosecond, 0, time.Duration(math.MaxInt)},
		{math.MaxInt, 2, 0, maxDuration},
		{math.MaxInt, time.Second, time.Minute, time.Minute},
		{2, maxDuration, 0, maxDuration},
		{1, maxDuration, 0, maxDuration},
		{1, maxDuration, time.Second, time.Second},
		{2, maxDuration / 2, 0, maxDuration - 1},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Linear(c.n, c.initial, c.max), "%+v", c)
	}
}

// args are random arguments of Delay and Linear, drawn across the whole range: small and huge
// durations, attempt numbers and multipliers, with and without a cap and jitter.
type args struct {
	n          int
	initial    time.Duration
	multiplier float64
	max        time.Duration
	jitter, r  float64
}

func randomArgs(r *rand.Rand) args {
	dur := func() time.Duration {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return time.Duration(r.Int64N(int64(time.Minute)))
		case 2:
			return time.Duration(1) << r.IntN(63) // up to 2^62
		}
		return time.Duration(r.Int64()) // anywhere up to math.MaxInt64
	}
	a := args{initial: dur(), max: dur(), r: r.Float64()}
	switch r.IntN(3) {
	case 0:
		a.n = 1 + r.IntN(10)
	case 1:
		a.n = 1 + r.IntN(100_000)
	default:
		a.n = 1 + r.IntN(math.MaxInt)
	}
	switch r.IntN(4) {
	case 0:
		a.multiplier = 1
	case 1:
		a.multiplier = 1 + 3*r.Float64()
	case 2:
		a.multiplier = math.Exp(50 * r.Float64()) // up to about 5e21
	default:
		a.multiplier = r.Float64() // below 1
	}
	if r.IntN(2) == 0 {
		a.jitter = r.Float64()
	}
	return a
}

// TestSaturationProperties checks, over random arguments, that Delay and Linear are never
// negative, never above max when max > 0, and (without jitter, with a multiplier >= 1)
// non-decreasing in n.
func TestSaturationProperties(t *testing.T) {
	limitOf := func(max time.Duration) time.Duration {
		if max > 0 {
			return max
		}
		return maxDuration
	}
	prop := func(seed uint64) bool {
		r := rand.New(rand.NewPCG(seed, 0x6261636b))
		a := randomArgs(r)
		limit := limitOf(a.max)
		d := Delay(a.n, a.initial, a.multiplier, a.max, a.jitter, a.r)
		l := Linear(a.n, a.initial, a.max)
		if d < 0 || d > limit || l < 0 || l > limit {
			t.Logf("%+v: Delay %v, Linear %v, limit %v", a, d, l, limit)
			return false
		}
		if a.n < math.MaxInt {
			if l2 := Linear(a.n+1, a.initial, a.max); l2 < l {
				t.Logf("%+v: Linear decreases: %v then %v", a, l, l2)
				return false
			}
			if a.multiplier >= 1 {
				d1 := Delay(a.n, a.initial, a.multiplier, a.max, 0, 0)
				if d2 := Delay(a.n+1, a.initial, a.multiplier, a.max, 0, 0); d2 < d1 {
					t.Logf("%+v: Delay decreases: %v then %v", a, d1, d2)
					return false
				}
			}
		}
		return true
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 20_000}); err != nil {
		t.Fatal(err)
	}
}

// FuzzSaturation checks the same for arbitrary arguments, jitter and draw out of range included.
func FuzzSaturation(f *testing.F) {
	f.Add(2, int64(1<<62), 2.0, int64(0), 0.0, 0.0)
	f.Add(5, int64(1<<62), 1.0, int64(time.Hour), 0.5, 0.9)
	f.Fuzz(func(t *testing.T, n int, initial int64, multiplier float64, max int64, jitter, r float64) {
		limit := maxDuration
		if max > 0 {
			limit = time.Duration(max)
		}
		if d := Delay(n, time.Duration(initial), multiplier, time.Duration(max), jitter, r); d < 0 || d > limit {
			t.Fatalf("Delay = %v, want in [0, %v]", d, limit)
		}
		if d := Linear(n, time.Duration(initial), time.Duration(max)); d < 0 || d > limit {
			t.Fatalf("Linear = %v, want in [0, %v]", d, limit)
		}
	})
}
