package backoff

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDelay(t *testing.T) {
	ms := time.Millisecond
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
		{3, 100 * ms, 0, 0, 0, 0, 100 * ms}, // multiplier <= 0 means fixed
		{0, 100 * ms, 2, 0, 0, 0, 0},
		{1, 0, 2, 0, 0, 0, 0},
		{1, 100 * ms, 1, 0, 0.5, 0, 50 * ms},
		{1, 100 * ms, 1, 0, 0.5, 0.5, 100 * ms},
		{1000, time.Second, 10, 0, 0, 0, time.Duration(1<<62 - 1)}, // overflow is capped
	}
	for _, c := range cases {
		got := Delay(c.n, c.initial, c.mult, c.max, c.jitter, c.r)
		if c.n == 1000 {
			assert.Positive(t, got)
			continue
		}
		assert.Equal(t, c.want, got, "%+v", c)
	}
}

func TestLinear(t *testing.T) {
	assert.Equal(t, 300*time.Millisecond, Linear(3, 100*time.Millisecond, 0))
	assert.Equal(t, 250*time.Millisecond, Linear(3, 100*time.Millisecond, 250*time.Millisecond))
	assert.Zero(t, Linear(0, time.Second, 0))
}
