package handoff

import (
	"sync"
	"sync/atomic"
)

// Stash is one consumer's batch of a Queue: the items it took in one operation and has not
// started. While its owner runs one item, the others wait in the stash — where every other
// consumer of the queue takes them (half of what waits there) rather than park: a consumer
// parks only when the queue and every stash are empty. So an item never waits behind another
// while a consumer is idle, however long its owner's current item takes — even forever: the
// batch costs no concurrency, by construction. (The proof is in take: filling a stash and
// parking both happen under the queue's lock, and a consumer scans every stash, under that
// lock, before it parks.)
//
// Cost: Next takes the stash's own lock, which only a consumer about to park contends for:
// about 10 ns per item, against the queue's lock once per batch. A Stash belongs to one
// goroutine (its owner), but for the stealing, which it synchronizes.
type Stash[E any] struct {
	q     *Queue[E]
	max   int
	mu    sync.Mutex
	items []E // items[head:] wait
	head  int
	// left is len(items)-head, readable without the lock: a consumer about to park looks
	// for a victim by it, and locks only a stash that holds something.
	left atomic.Int32
}

// NewStash registers a stash for a consumer of q that takes up to max items at once.
func (q *Queue[E]) NewStash(limit int) *Stash[E] {
	if q.one != nil {
		panic("handoff: NewStash on a queue of one consumer (NewSingle)")
	}
	limit = max(limit, 1)
	s := &Stash[E]{q: q, max: limit, items: make([]E, 0, limit)}
	q.mu.Lock()
	q.stashes = append(q.stashes, s)
	q.mu.Unlock()
	return s
}

// Next returns the stash's next item; when it is empty, it takes whatever waits in the queue,
// up to its max — or, when the queue is empty, half of another stash's items — and waits when
// there is nothing anywhere. It returns false once the queue is closed and nothing is left.
func (s *Stash[E]) Next() (E, bool) {
	s.mu.Lock()
	if s.head < len(s.items) {
		e := s.pop()
		s.mu.Unlock()
		return e, true
	}
	s.mu.Unlock()
	return s.q.take(s)
}

// pop removes the next item. s.mu is held and an item waits.
func (s *Stash[E]) pop() E {
	var zero E
	e := s.items[s.head]
	s.items[s.head] = zero // keep no reference to what left
	s.head++
	if s.head == len(s.items) {
		s.items, s.head = s.items[:0], 0
	}
	s.left.Store(int32(len(s.items) - s.head))
	return e
}

// Release gives what the stash holds back to its queue and unregisters it: for an owner that
// stops, so that its items go to the other consumers.
func (s *Stash[E]) Release() {
	q := s.q
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, t := range q.stashes {
		if t == s {
			q.stashes = append(q.stashes[:i], q.stashes[i+1:]...)
			break
		}
	}
	s.mu.Lock()
	rest := s.items[s.head:]
	for _, e := range rest {
		q.push(e)
	}
	q.wake(len(rest))
	clear(s.items)
	s.items, s.head = s.items[:0], 0
	s.left.Store(0)
	s.mu.Unlock()
}

// take fills s from the queue, or from another stash, and returns its first item, waiting while
// there is nothing anywhere. s is empty.
func (q *Queue[E]) take(s *Stash[E]) (E, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.n > 0 {
			s.mu.Lock()
			s.items = q.pop(s.items, s.max)
			e := s.pop()
			s.mu.Unlock()
			return e, true
		}
		if e, ok := q.steal(s); ok {
			return e, true
		}
		if q.closed {
			var zero E
			return zero, false
		}
		q.sleepers++
		q.parked.Add(1)
		q.cond.Wait() // wake or Close took it off sleepers
	}
}

// steal moves half of the items of the fullest other stash (rounded up) to s, and returns the
// first. q.mu is held; s is empty.
func (q *Queue[E]) steal(s *Stash[E]) (E, bool) {
	for {
		var victim *Stash[E]
		most := 0
		for _, v := range q.stashes {
			if v == s {
				continue
			}
			if n := int(v.left.Load()); n > most {
				victim, most = v, n
			}
		}
		if victim == nil {
			var zero E
			return zero, false
		}
		victim.mu.Lock()
		n := len(victim.items) - victim.head
		if n == 0 { // its owner started them meanwhile: look again
			victim.mu.Unlock()
			continue
		}
		k := (n + 1) / 2
		from := len(victim.items) - k // the latest: its owner keeps the earliest
		s.mu.Lock()
		s.items = append(s.items, victim.items[from:]...)
		e := s.pop()
		s.mu.Unlock()
		clear(victim.items[from:])
		victim.items = victim.items[:from]
		if victim.head == len(victim.items) {
			victim.items, victim.head = victim.items[:0], 0
		}
		victim.left.Store(int32(len(victim.items) - victim.head))
		victim.mu.Unlock()
		return e, true
	}
}
