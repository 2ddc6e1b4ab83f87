// Package hist is a lock-free latency histogram: log-linear buckets of atomic counters, cheap
// enough to record every step and to read while recording goes on.
package hist

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// sub is the number of linear sub-buckets per power of two (as bits): 8 sub-buckets bound the
// relative error of a quantile to 12.5%.
const sub = 3

const nbuckets = (64 - sub + 1) << sub

// Histogram counts durations. The zero value is ready; all methods are safe for concurrent use.
// Record costs two atomic adds and no allocation.
type Histogram struct {
	counts [nbuckets]atomic.Uint64
	total  atomic.Uint64
}

func bucket(v uint64) int {
	if v < 1<<sub {
		return int(v)
	}
	e := bits.Len64(v) - sub - 1 // exponent above the sub-bucket bits
	return (e+1)<<sub | int(v>>uint(e))&(1<<sub-1)
}

// upper returns the largest value that falls in bucket i.
func upper(i int) uint64 {
	if i < 1<<sub {
		return uint64(i)
	}
	e := i>>sub - 1
	m := uint64(i&(1<<sub-1)) | 1<<sub
	return (m+1)<<uint(e) - 1
}

// Record adds one observation; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	h.counts[bucket(uint64(max(d, 0)))].Add(1)
	h.total.Add(1)
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Quantiles returns, for each q in qs (0 < q <= 1), the upper bound of the bucket holding the
// q-quantile, or 0 when nothing was recorded. Reading during recording gives a close, not
// exact, answer.
func (h *Histogram) Quantiles(qs ...float64) []time.Duration {
	out := make([]time.Duration, len(qs))
	var snap [nbuckets]uint64
	var n uint64
	for i := range snap {
		snap[i] = h.counts[i].Load()
		n += snap[i]
	}
	if n == 0 {
		return out
	}
	for j, q := range qs {
		rank := uint64(q*float64(n) + 0.5)
		rank = min(max(rank, 1), n)
		var seen uint64
		for i, c := range snap {
			seen += c
			if seen >= rank {
				out[j] = time.Duration(upper(i))
				break
			}
		}
	}
	return out
}
