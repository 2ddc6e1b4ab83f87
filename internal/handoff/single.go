package handoff

import (
	"runtime"
	"sync/atomic"
)

// Single is a queue of many producers and one consumer that takes no lock: a stream's
// results, put by every driver and taken by the stream's consumer in batches. Its items go
// through a Ring of one consumer (a Put is one compare-and-swap and a store on the item's cell;
// a take a load and a store), and a consumer that finds nothing watches: it sets watching and
// selects on the watch channel beside its other channels (see Watch). A Put reads watching
// after publishing its item, and only when it is set pays for a wake-up: it clears it and
// sends a token. The consumer sets watching before it looks again, so one of the two sees the
// other. A token may be left over (the consumer found an item after all): it is one spurious
// wake-up, after which the consumer looks again, never a lost one.
//
// Put never blocks (should the ring be full, which its owner's bound rules out, the item
// waits in the Ring's overflow list). Any number of goroutines may Put; only one at a time may
// take (Take, TryTake, Watch). The zero value is not usable: see NewSingle.
type Single[E any] struct {
	r *Ring[E]
	_ [64]byte
	// watching is 1 while the consumer watches: read by every Put, written when the consumer
	// starts or stops watching.
	watching atomic.Int32
	_        [60]byte
	watch    chan struct{} // a token per wake-up; room for one
}

// NewSingle returns a queue of one consumer with room for capacity items before it overflows
// into a list. Its memory is allocated once, here.
func NewSingle[E any](capacity int) *Single[E] {
	return &Single[E]{r: NewRing[E](capacity, 1), watch: make(chan struct{}, 1)}
}

// Put adds e, waking the consumer if it watches.
func (s *Single[E]) Put(e E) {
	s.r.Put(e) // publishes e (a sequentially consistent store) before watching is read
	if s.watching.Load() != 0 {
		s.wake()
	}
}

// wake wakes the consumer if it still watches. A token already waiting serves.
func (s *Single[E]) wake() {
	if s.watching.CompareAndSwap(1, 0) {
		select {
		case s.watch <- struct{}{}:
		default: // a token from an earlier wake is still there
		}
	}
}

// drain appends to dst whatever waits, up to limit items (at least 1).
func (s *Single[E]) drain(dst []E, limit int) []E {
	for range max(limit, 1) {
		e, ok := s.r.TryNext()
		if !ok {
			break
		}
		dst = append(dst, e)
	}
	return dst
}

// Watch appends to dst whatever waits, up to limit, or, when nothing waits, returns a channel
// that is ready once an item is put (or the queue closes): the consumer selects on it with its
// other channels and then calls Watch again. The channel is nil once the queue is closed and
// empty.
func (s *Single[E]) Watch(dst []E, limit int) ([]E, <-chan struct{}) {
	n := len(dst)
	for {
		if dst = s.drain(dst, limit); len(dst) > n {
			s.unwatch()
			return dst, nil
		}
		if s.r.closed.Load() {
			// Close is seen; a Put before it is published by now, or being published: Backlog
			// counts a claimed cell.
			if dst = s.drain(dst, limit); len(dst) > n || s.r.Backlog() == 0 {
				s.unwatch()
				return dst, nil
			}
			runtime.Gosched() // an item is being published: let its producer finish
			continue
		}
		if s.watching.Load() != 0 {
			return dst, s.watch // watching since an earlier call, looked again just now
		}
		s.watching.Store(1)
		if dst = s.drain(dst, limit); len(dst) > n { // a Put that missed our flag
			s.unwatch()
			return dst, nil
		}
		if s.r.closed.Load() {
			continue
		}
		return dst, s.watch
	}
}

// unwatch ends a watch, if one is on: a Put's wake-up is no longer needed. A consumer that
// was not watching writes nothing: the word is read by every Put, and an atomic store is a
// full barrier.
func (s *Single[E]) unwatch() {
	if s.watching.Load() != 0 {
		s.watching.Store(0)
	}
}

// Take appends to dst whatever waits, up to limit, waiting while nothing does. It returns false,
// appending nothing, once the queue is closed and empty.
func (s *Single[E]) Take(dst []E, limit int) ([]E, bool) {
	n := len(dst)
	for {
		var ready <-chan struct{}
		if dst, ready = s.Watch(dst, limit); ready == nil {
			return dst, len(dst) > n
		}
		<-ready
	}
}

// TryTake is Take without the wait: it appends nothing when nothing waits.
func (s *Single[E]) TryTake(dst []E, limit int) []E { return s.drain(dst, limit) }

// Parked reports whether the consumer watches, waiting for an item. It reads one atomic word.
func (s *Single[E]) Parked() bool { return s.watching.Load() != 0 }

// Len returns the number of items waiting. It reads every cell of the ring: it is for
// statistics, not for the hand-off path.
func (s *Single[E]) Len() int { return s.r.Len() }

// Close wakes the consumer; Take then returns false, and Watch a nil channel, once the queue is
// empty. Items may still be put after Close (and are taken as before).
func (s *Single[E]) Close() {
	s.r.Close()
	s.watching.Store(1) // so that wake sends a token whatever the consumer is doing
	s.wake()
}
