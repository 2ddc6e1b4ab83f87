package handoff

import (
	"runtime"
	"sync/atomic"
)

// single is the lock-free path of a Queue of one consumer (NewSingle): a stream's results, put
// by every driver and taken by the stream's consumer in batches. Its items go through a Ring of
// one consumer (a Put is one compare-and-swap and a store on the item's cell; a take a load and
// a store), and a consumer that finds nothing watches: it sets watching and selects on the
// watch channel beside its other channels (see Queue.Watch). A Put reads watching after
// publishing its item, and only when it is set pays for a wake-up: it clears it and sends a
// token. The consumer sets watching before it looks again, so one of the two sees the other.
// A token may be left over (the consumer found an item after all): it is one spurious wake-up,
// after which the consumer looks again, never a lost one.
type single[E any] struct {
	r *Ring[E]
	_ [64]byte
	// watching is 1 while the consumer watches: read by every Put, written when the consumer
	// starts or stops watching.
	watching atomic.Int32
	_        [60]byte
	watch    chan struct{} // a token per wake-up; room for one
}

func newSingle[E any](capacity int) *single[E] {
	return &single[E]{r: NewRing[E](capacity, 1), watch: make(chan struct{}, 1)}
}

func (s *single[E]) put(e E) {
	s.r.Put(e) // publishes e (a sequentially consistent store) before watching is read
	if s.watching.Load() != 0 {
		s.wake()
	}
}

// wake wakes the consumer if it still watches. A token already waiting serves.
func (s *single[E]) wake() {
	if s.watching.CompareAndSwap(1, 0) {
		select {
		case s.watch <- struct{}{}:
		default: // a token from an earlier wake is still there
		}
	}
}

// drain appends to dst whatever waits, up to limit items (at least 1).
func (s *single[E]) drain(dst []E, limit int) []E {
	for range max(limit, 1) {
		e, ok := s.r.TryNext()
		if !ok {
			break
		}
		dst = append(dst, e)
	}
	return dst
}

// watchFor is Queue.Watch: whatever waits, up to limit, or nothing and the channel to wait on
// (nil once the queue is closed and empty).
func (s *single[E]) watchFor(dst []E, limit int) ([]E, <-chan struct{}) {
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
func (s *single[E]) unwatch() {
	if s.watching.Load() != 0 {
		s.watching.Store(0)
	}
}

// take is Queue.Take: it waits until an item waits or the queue is closed and empty.
func (s *single[E]) take(dst []E, limit int) ([]E, bool) {
	n := len(dst)
	for {
		var ready <-chan struct{}
		if dst, ready = s.watchFor(dst, limit); ready == nil {
			return dst, len(dst) > n
		}
		<-ready
	}
}

func (s *single[E]) close() {
	s.r.Close()
	s.watching.Store(1) // so that wake sends a token whatever the consumer is doing
	s.wake()
}
