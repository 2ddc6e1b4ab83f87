// Package rate counts events in one-second buckets, for live rates over the last second and the
// last minute that are cheap to keep up and cheap to read while counting goes on.
package rate

import (
	"sync/atomic"
	"time"
)

// Size is the number of one-second buckets of a Ring: room for a window of up to Size-1 seconds
// (a minute and a little more) beside the current second.
const Size = 64

// MaxWindow is the longest window Rate accepts, in seconds.
const MaxWindow = Size - 1

// Ring counts events per second. Seconds are counted from an origin the caller chooses (a
// pipeline's first message); bucket s%Size holds the count of second s tagged with s, so that a
// bucket left from an older second reads as empty and is taken over by the first Add of its new
// second. The zero Ring is empty and ready; all methods are safe for concurrent use.
//
// Add costs an atomic load and an atomic add (a compare-and-swap instead at the first event of
// a second in that bucket) and no allocation; Rate reads window+1 buckets.
type Ring struct {
	b [Size]atomic.Uint64 // uint32(second)<<32 | count
}

const countMask = 1<<32 - 1

// Add counts n events in second sec, which must not be negative. A second holds at most 2^32-1
// events. An Add whose clock reading lags so far that its bucket has already moved on to a
// later second counts its events in that later second.
func (r *Ring) Add(sec int64, n uint32) {
	tag := uint32(sec)
	b := &r.b[sec&(Size-1)]
	for {
		old := b.Load()
		if t := uint32(old >> 32); t == tag || int32(t-tag) > 0 {
			b.Add(uint64(n))
			return
		}
		if b.CompareAndSwap(old, uint64(tag)<<32|uint64(n)) {
			return
		}
	}
}

// Count returns the events counted in second sec: 0 when its bucket holds another second (it
// is more than Size-1 seconds old, or has not come yet), or sec is negative.
func (r *Ring) Count(sec int64) uint64 {
	if sec < 0 {
		return 0
	}
	return r.count(sec)
}

// count is Count for sec >= 0.
func (r *Ring) count(sec int64) uint64 {
	v := r.b[sec&(Size-1)].Load()
	if uint32(v>>32) != uint32(sec) {
		return 0
	}
	return v & countMask
}

// Rate returns the events per second over the window (in seconds, at most MaxWindow) that ends
// at now, measured from the ring's origin: the counts of the window's whole seconds, and the
// share of its oldest, partly covered second that falls in the window, supposing that second's
// events spread evenly over it. When the window reaches back past the origin (now is less than
// window seconds), it is every event counted divided by now. It is 0 when now or window is not
// positive. Seconds later than now's are ignored.
func (r *Ring) Rate(now time.Duration, window int) float64 {
	if now <= 0 || window <= 0 {
		return 0
	}
	window = min(window, MaxWindow)
	k := int64(now / time.Second)
	w := int64(window)
	if k < w {
		var sum uint64
		for s := int64(0); s <= k; s++ {
			sum += r.count(s)
		}
		return float64(sum) / now.Seconds()
	}
	var sum uint64
	for s := k - w + 1; s <= k; s++ {
		sum += r.count(s)
	}
	part := 1 - float64(now%time.Second)/float64(time.Second) // of second k-w, in the window
	return (float64(sum) + part*float64(r.count(k-w))) / float64(w)
}
