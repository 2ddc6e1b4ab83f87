package hist

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketsCoverValuesWithBoundedError(t *testing.T) {
	for _, v := range []uint64{0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 12345, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		i := bucket(v)
		require.Less(t, i, nbuckets)
		up := upper(i)
		assert.GreaterOrEqual(t, up, v, "value %d in bucket %d", v, i)
		if i > 0 {
			assert.Less(t, upper(i-1), v, "value %d belongs to an earlier bucket", v)
		}
		assert.LessOrEqual(t, float64(up-v), float64(v)/8+1, "relative error of %d", v)
	}
}

func TestQuantiles(t *testing.T) {
	var h Histogram
	assert.Equal(t, []time.Duration{0}, h.Quantiles(0.5))
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	q := h.Quantiles(0.5, 0.9, 0.99)
	assert.InEpsilon(t, float64(500*time.Microsecond), float64(q[0]), 0.13)
	assert.InEpsilon(t, float64(900*time.Microsecond), float64(q[1]), 0.13)
	assert.InEpsilon(t, float64(990*time.Microsecond), float64(q[2]), 0.13)
	assert.Equal(t, uint64(1000), h.Count())
}
