// Package handoff is how Baton's goroutines hand messages to one another in batches: a queue
// whose consumer takes whatever is waiting, up to a batch, in one operation, and never waits for
// a batch to fill.
package handoff

import (
	"sync"
	"sync/atomic"
)

// Queue is a FIFO of items handed from producers to consumers. Put adds one item, PutAll many,
// under one lock; Take takes whatever is waiting, up to a batch, under one lock, and parks only
// when nothing waits, so a lone item goes at once and under load one lock serves a batch. Put
// never blocks and never drops: the queue grows as needed, and its owner bounds what it may hold
// (Baton's in-flight bound), so no hand-off through a Queue can deadlock.
//
// Cost: an uncontended lock per Put, PutAll or Take, plus a wake-up when a consumer is parked
// (the one cost a channel hand-off pays per item). A queue of one consumer (NewSingle: a stream's
// results) takes no lock: its items go through a Ring, which a Put enters with one
// compare-and-swap and a store and the consumer leaves with a load and a store, and a Put reads
// one more word to learn whether the consumer watches (see one). A Queue is safe for
// concurrent use by any number of producers and consumers (one, for a queue made for one);
// the zero value is not usable: see New.
type Queue[E any] struct {
	mu        sync.Mutex
	ring      []E // items ring[head], ring[head+1], … (modulo len), n of them
	head, n   int
	sleepers  int       // consumers parked in Take
	cond      sync.Cond // Take's consumers park here
	watcher   bool      // a consumer parked through Watch
	watch     chan struct{}
	closed    bool
	consumers int         // the consumers expected to share the queue: see Take
	stashes   []*Stash[E] // the consumers' batches: see Stash
	one       *single[E]  // the lock-free path of a queue of one consumer, or nil

	// parked is sleepers+watcher, readable without the lock: a producer holding items back
	// asks it whether a consumer is idle (see Parked). On a cache line of its own: it is
	// written only when a consumer parks or wakes, and read at every hand-off.
	_      [64]byte
	parked atomic.Int32
	_      [60]byte
}

// New returns a queue with room for capacity items before it grows, shared by about consumers
// consumers (at least 1), which Take uses to split what waits between them.
func New[E any](capacity, consumers int) *Queue[E] {
	q := &Queue[E]{ring: make([]E, max(capacity, 1)), consumers: max(consumers, 1), watch: make(chan struct{}, 1)}
	q.cond.L = &q.mu
	return q
}

// NewSingle returns a queue of one consumer that takes no lock (see single), with room for
// capacity items before it overflows into a list: only one goroutine at a time may take from
// it, and it has no stashes.
func NewSingle[E any](capacity int) *Queue[E] {
	return &Queue[E]{consumers: 1, one: newSingle[E](capacity)}
}

// Put adds e, waking a parked consumer. It never blocks (but on the lock).
func (q *Queue[E]) Put(e E) {
	if q.one != nil {
		q.one.put(e)
		return
	}
	q.mu.Lock()
	q.push(e)
	if q.sleepers == 0 || q.watcher {
		q.wake(1)
		q.mu.Unlock()
		return
	}
	// The common wake-up: signalled once the lock is released, so that the consumer woken
	// does not wait for it. It was counted off sleepers under the lock, and its Wait was
	// registered before it released the lock, so the signal cannot miss it.
	q.sleepers--
	q.parked.Add(-1)
	q.mu.Unlock()
	q.cond.Signal()
}

// PutAll adds es in order, waking as many parked consumers as it adds items. It never blocks
// (but on the lock). es may be reused once it returns.
func (q *Queue[E]) PutAll(es []E) {
	if len(es) == 0 {
		return
	}
	if q.one != nil {
		for _, e := range es {
			q.one.put(e)
		}
		return
	}
	q.mu.Lock()
	for _, e := range es {
		q.push(e)
	}
	q.wake(len(es))
	q.mu.Unlock()
}

// push appends e, growing the ring when full. q.mu is held.
func (q *Queue[E]) push(e E) {
	if q.n == len(q.ring) {
		grown := make([]E, 2*len(q.ring))
		k := copy(grown, q.ring[q.head:])
		copy(grown[k:], q.ring[:q.head])
		q.ring, q.head = grown, 0
	}
	q.ring[(q.head+q.n)%len(q.ring)] = e
	q.n++
}

// wake wakes up to k parked consumers. q.mu is held.
func (q *Queue[E]) wake(k int) {
	if q.watcher {
		q.watcher = false
		q.parked.Add(-1)
		select {
		case q.watch <- struct{}{}:
		default: // a token from an earlier wake is still there
		}
		k--
	}
	for ; k > 0 && q.sleepers > 0; k-- {
		q.sleepers--
		q.parked.Add(-1)
		q.cond.Signal()
	}
}

// Take waits until an item waits or the queue is closed, then appends to dst whatever waits, up
// to max items (at least 1) — when several consumers share the queue, up to its share of what
// waits, so that one does not take what the others could start at once. It returns false,
// appending nothing, once the queue is closed and empty.
func (q *Queue[E]) Take(dst []E, max int) ([]E, bool) {
	if q.one != nil {
		return q.one.take(dst, max)
	}
	q.mu.Lock()
	for q.n == 0 {
		if q.closed {
			q.mu.Unlock()
			return dst, false
		}
		q.sleepers++
		q.parked.Add(1)
		q.cond.Wait() // wake or Close took it off sleepers
	}
	dst = q.pop(dst, max)
	q.mu.Unlock()
	return dst, true
}

// TryTake is Take without the wait: it appends nothing when nothing waits.
func (q *Queue[E]) TryTake(dst []E, max int) []E {
	if q.one != nil {
		return q.one.drain(dst, max)
	}
	q.mu.Lock()
	dst = q.pop(dst, max)
	q.mu.Unlock()
	return dst
}

// pop moves up to max items (at least 1, and a share of what waits) to dst. q.mu is held.
func (q *Queue[E]) pop(dst []E, limit int) []E {
	k := min(q.n, max(limit, 1))
	if q.consumers > 1 {
		k = min(k, max(1, (q.n+q.consumers-1)/q.consumers))
	}
	var zero E
	for range k {
		dst = append(dst, q.ring[q.head])
		q.ring[q.head] = zero // the queue keeps no reference to what it handed over
		q.head = (q.head + 1) % len(q.ring)
	}
	q.n -= k
	return dst
}

// Watch is Take for a consumer that also waits for other things: it appends whatever waits, up
// to max, and returns it with nil; when nothing waits it returns dst unchanged and a channel
// that is ready once an item is put (or the queue closes). The caller selects on it with its
// other channels and then calls Watch again. Only one consumer may use Watch.
func (q *Queue[E]) Watch(dst []E, max int) ([]E, <-chan struct{}) {
	if q.one != nil {
		return q.one.watchFor(dst, max)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n > 0 || q.closed {
		return q.pop(dst, max), nil
	}
	if !q.watcher {
		q.watcher = true
		q.parked.Add(1)
	}
	return dst, q.watch
}

// Parked reports whether a consumer is parked, waiting for an item: a producer holding items
// back for a batch hands them over at once when one is. It reads one atomic word.
func (q *Queue[E]) Parked() bool {
	if q.one != nil {
		return q.one.watching.Load() != 0
	}
	return q.parked.Load() != 0
}

// Len returns the number of items waiting: in the queue, and taken into a Stash but not
// started. It locks every stash: it is for statistics, not for the hand-off path.
func (q *Queue[E]) Len() int {
	if q.one != nil {
		return q.one.r.Len()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.n
	for _, s := range q.stashes {
		s.mu.Lock()
		n += len(s.items) - s.head
		s.mu.Unlock()
	}
	return n
}

// Close wakes every parked consumer; Take then returns false once the queue is empty. Items
// may still be put after Close (and are taken as before), but Take no longer waits for them.
func (q *Queue[E]) Close() {
	if q.one != nil {
		q.one.close()
		return
	}
	q.mu.Lock()
	q.closed = true
	q.wake(q.sleepers + 1)
	q.cond.Broadcast()
	q.mu.Unlock()
}
