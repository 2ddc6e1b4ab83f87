package handoff

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Ring is a lock-free FIFO of items handed from producers to consumers, for an owner that
// knows how many items it can ever hold at once (Baton's choreography: its in-flight bound).
// Put claims a cell with one compare-and-swap and publishes the item with one store on that
// cell; a lone consumer takes it with a load and a store on the same cell, several consumers
// with a compare-and-swap more. Producers and consumers share no word but the item's cell, so a
// hand-off moves that cell's cache line and nothing else: no lock, no counter both sides write.
//
// A consumer parks only when nothing waits, counting itself in one word and receiving from a
// channel (a semaphore with room for a token per consumer); a producer reads that word to learn
// whether any consumer is parked, and only then pays for a wake-up: one token for one consumer.
//
// Put never blocks and never drops: should the ring be full — which its owner's bound rules
// out — the item waits in an overflow list under a lock, which Next drains after the ring. So
// no hand-off through a Ring can deadlock, whatever its capacity. Items come out in the order
// they were put (but for overflowed ones, which come after the ring's).
//
// Cost (2 cores, choreography's 10-stage benchmark): the three or four atomic operations of a
// hand-off are about a quarter of its CPU profile, each paying for the cache lines the step
// before it wrote; parking and waking a few per cent. A Ring is safe for concurrent use by any
// number of producers, and by as many consumers as NewRing was told (one consumer: see
// NewRing), which all take from the ring itself: no item waits in one consumer's batch while
// another is idle. The zero value is not usable: see NewRing.
type Ring[E any] struct {
	_    [64]byte
	tail atomic.Uint64 // the next cell Put claims
	_    [56]byte
	head atomic.Uint64 // the next cell Next takes, with several consumers
	next uint64        // the next cell the one consumer takes (single): its own, no atomic
	_    [48]byte
	// sleepers is the number of consumers parked or about to park: read by every Put, written
	// only when a consumer parks or wakes.
	sleepers atomic.Int32
	closed   atomic.Bool
	over     atomic.Int32 // items in overflow
	_        [52]byte
	single   bool
	cells    []cell[E]
	mask     uint64
	// wake holds a token per wake-up; room for one per consumer. Each consumer counted in
	// sleepers (from its Add until it takes a token or its count back) is one of: its count
	// in sleepers, a token on wake, or a waker between taking a count and sending its token;
	// so a waker never waits for room, and a counted consumer always gets out. A token is an
	// obligation: its taker looks again, and if it takes an item passes the wake-up on
	// (passOn) while items wait, or wakes every sleeper once the ring is closed.
	wake     chan struct{}
	mu       sync.Mutex // guards overflow
	overflow []E
}

// cell is one slot of a Ring. seq says whose turn it is: pos when free for the Put that claims
// position pos, pos+1 once that item is published, pos+len(cells) once taken (free for the
// Put of the next lap).
type cell[E any] struct {
	seq atomic.Uint64
	e   E
}

// NewRing returns a ring with room for at least capacity items waiting, taken by consumers
// goroutines (at least 1) that may park in Next at once. With one consumer, Next and TryNext
// must never be called by two goroutines at once (a consumer that ends hands over to the next,
// as by a go statement): that consumer takes an item with no read-modify-write at all. Its
// memory is allocated once, here.
func NewRing[E any](capacity, consumers int) *Ring[E] {
	n := 2 // one cell could not tell a published item from a taken one (see cell)
	for n < capacity {
		n <<= 1
	}
	consumers = max(consumers, 1)
	r := &Ring[E]{cells: make([]cell[E], n), mask: uint64(n - 1), wake: make(chan struct{}, consumers), single: consumers == 1}
	for i := range r.cells {
		r.cells[i].seq.Store(uint64(i))
	}
	return r
}

// Put adds e, waking a parked consumer if there is one. It never blocks (but on the overflow
// list's lock, when the ring is full).
func (r *Ring[E]) Put(e E) {
	if !r.push(e) {
		r.mu.Lock()
		r.overflow = append(r.overflow, e)
		r.over.Add(1)
		r.mu.Unlock()
	}
	// The item is published (a sequentially consistent store) before sleepers is read, and a
	// parking consumer counts itself before it looks again: one of the two sees the other.
	if r.sleepers.Load() != 0 {
		r.wakeOne()
	}
}

// wakeOne wakes a parked consumer, if one is still counted: it takes one off sleepers and
// sends that consumer's token, so that each wake-up is one token and no token is stray.
func (r *Ring[E]) wakeOne() {
	for {
		n := r.sleepers.Load()
		if n == 0 {
			return
		}
		if r.sleepers.CompareAndSwap(n, n-1) {
			r.wake <- struct{}{} // waits only if more consumers park than NewRing was told
			return
		}
	}
}

// push puts e in the ring; it reports false when the ring is full.
func (r *Ring[E]) push(e E) bool {
	pos := r.tail.Load()
	for {
		c := &r.cells[pos&r.mask]
		switch seq := c.seq.Load(); {
		case seq == pos:
			if r.tail.CompareAndSwap(pos, pos+1) {
				c.e = e
				c.seq.Store(pos + 1)
				return true
			}
			pos = r.tail.Load()
		case seq < pos: // the cell still holds the item of the previous lap: full
			return false
		default: // another producer claimed pos
			pos = r.tail.Load()
		}
	}
}

// TryNext takes the oldest item without waiting; it reports false when nothing waits (or an
// item is being published at this very moment).
func (r *Ring[E]) TryNext() (E, bool) {
	if r.single {
		return r.tryNextSingle()
	}
	pos := r.head.Load()
	for {
		c := &r.cells[pos&r.mask]
		switch seq := c.seq.Load(); {
		case seq == pos+1:
			if r.head.CompareAndSwap(pos, pos+1) {
				e := c.e
				var zero E
				c.e = zero // the ring keeps no reference to what it handed over
				c.seq.Store(pos + r.mask + 1)
				return e, true
			}
			pos = r.head.Load()
		case seq < pos+1: // not published yet: empty
			if r.over.Load() != 0 {
				return r.takeOverflow()
			}
			var zero E
			return zero, false
		default: // another consumer took pos
			pos = r.head.Load()
		}
	}
}

// tryNextSingle is TryNext for the one consumer: a load and a store on the item's own cell, no
// read-modify-write and no word shared with other cells.
func (r *Ring[E]) tryNextSingle() (E, bool) {
	pos := r.next
	c := &r.cells[pos&r.mask]
	var zero E
	if c.seq.Load() != pos+1 { // not published yet: empty
		if r.over.Load() != 0 {
			return r.takeOverflow()
		}
		return zero, false
	}
	e := c.e
	c.e = zero // the ring keeps no reference to what it handed over
	r.next = pos + 1
	c.seq.Store(pos + r.mask + 1) // free for the next lap's Put
	return e, true
}

func (r *Ring[E]) takeOverflow() (E, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var zero E
	if len(r.overflow) == 0 {
		return zero, false
	}
	e := r.overflow[0]
	r.overflow[0] = zero
	r.overflow = r.overflow[1:]
	r.over.Add(-1)
	return e, true
}

// beforePark, when set (by tests only, before any Ring is used), runs as a consumer is about to
// count itself a sleeper: a test makes the races of parking likelier with it.
var beforePark func()

// afterCount and beforeWait, when set (by tests only, before any Ring is used), run as a
// consumer has just counted itself a sleeper, and as it is about to wait on the channel: a test
// stops a consumer there to build an interleaving of parking by hand.
var afterCount, beforeWait func()

// Next takes the oldest item, waiting while nothing waits: when the ring is empty it yields
// the processor once and looks again before it parks, since under light load the producer of
// the next item often runs meanwhile, and a park and a wake-up cost more than the yield. It
// returns false once the ring is closed and empty.
func (r *Ring[E]) Next() (E, bool) {
	woken := false
	for {
		if e, ok := r.TryNext(); ok {
			if woken {
				r.passOn()
			}
			return e, true
		}
		if r.closed.Load() {
			// Close is seen; a Put before it is published by now, or being published: Backlog
			// counts a claimed cell (Len's scan, with one consumer, counts it too, but costs more).
			if e, ok := r.TryNext(); ok || r.Backlog() == 0 {
				// On a closed ring passOn wakes every sleeper left. The last to leave does so
				// too, woken or not: Close's wake-ups may not have reached every sleeper (a
				// consumer that counted itself after Close's last look and found an item took,
				// in unpark, the token of one not yet on the channel).
				if !ok || woken {
					r.passOn()
				}
				return e, ok
			}
			runtime.Gosched() // an item is being published: let its producer finish
			continue
		}
		// One yield before parking: under light load the producer of the next item often
		// runs within it, and a consumer that finds the item saves a park and a wake-up.
		runtime.Gosched()
		if e, ok := r.TryNext(); ok {
			if woken {
				r.passOn()
			}
			return e, true
		}
		if beforePark != nil {
			beforePark()
		}
		r.sleepers.Add(1)
		if afterCount != nil {
			afterCount()
		}
		if e, ok := r.TryNext(); ok { // a Put that missed our count
			// A token taken in unpark is a wake-up, maybe one a woken consumer passed on for
			// the items still waiting: pass it on as a woken consumer does, or they wait with
			// a consumer parked (TestReviewTokenTakerPassesOn).
			if r.unpark() || woken {
				r.passOn()
			}
			return e, true
		}
		if r.closed.Load() {
			if r.unpark() {
				woken = true
			}
			continue
		}
		if beforeWait != nil {
			beforeWait()
		}
		<-r.wake // the waker took us off sleepers
		woken = true
	}
}

// passOn wakes another parked consumer when items still wait after a woken consumer took one.
// A Put wakes one consumer for its item, but items put behind a cell claimed and not yet
// published are invisible to consumers, who park; the late Put of that cell then wakes one, for
// all of them. Each woken consumer passes the wake-up on while items wait, so none waits with a
// consumer parked (TestWakeBehindAnUnpublishedCell). A lone consumer takes everything itself.
//
// On a closed ring it wakes every sleeper left, as Close does: the wake-up it stands for may be
// Close's for a consumer not yet on the channel, whose count its own then stands for; that one
// would wait until the last consumer left (TestReviewCloseTokenTakerWakesTheRest).
func (r *Ring[E]) passOn() {
	if r.single || r.sleepers.Load() == 0 {
		return
	}
	if r.closed.Load() {
		r.wakeSleepers()
	} else if r.Backlog() > 0 {
		r.wakeOne()
	}
}

// unpark takes back a consumer's count in sleepers: or, when a waker took it already, a
// token. It never waits on the channel: the token its waker sends may be taken first by a
// consumer parking meanwhile, whose own count then stays in sleepers; waiting for a token
// there would hang a consumer that holds an item while the others sleep (a lost wake-up,
// found by TestLightLoadParkRace). So it takes whichever comes first: a token, or a count.
//
// It reports whether it took a token: a wake-up, which its consumer then stands for.
func (r *Ring[E]) unpark() (token bool) {
	for {
		select {
		case <-r.wake:
			return true
		default:
		}
		n := r.sleepers.Load()
		if n == 0 {
			runtime.Gosched() // a waker took our count: its token, or another's count, is coming
			continue
		}
		if r.sleepers.CompareAndSwap(n, n-1) {
			return false
		}
	}
}

// Len returns the number of items waiting (or being put). With several consumers it reads three
// words; with one, whose place in the ring is its own, it reads every cell: it is for
// statistics, not for the hand-off path (see Backlog).
func (r *Ring[E]) Len() int {
	over := int(r.over.Load())
	if !r.single {
		head := r.head.Load()
		return max(int(r.tail.Load()-head), 0) + over
	}
	n, tail := 0, r.tail.Load()
	for i := range r.cells {
		seq := r.cells[i].seq.Load()
		published := (seq-1)&r.mask == uint64(i)         // published, not taken
		claimed := seq&r.mask == uint64(i) && seq < tail // claimed by a Put, not yet published
		if published || claimed {
			n++
		}
	}
	return n + over
}

// Backlog is Len for a consumer of the ring, between its calls of Next: it reads two words.
// Only a consumer may call it.
func (r *Ring[E]) Backlog() int {
	if !r.single {
		return r.Len()
	}
	return max(int(r.tail.Load()-r.next), 0) + int(r.over.Load())
}

// Close wakes every parked consumer; Next then returns false once the ring is empty. Items may
// still be put after Close (and are taken as before), but Next no longer waits for them.
func (r *Ring[E]) Close() {
	r.closed.Store(true)
	r.wakeSleepers()
}

// wakeSleepers wakes every consumer counted in sleepers.
func (r *Ring[E]) wakeSleepers() {
	for r.sleepers.Load() != 0 {
		r.wakeOne()
	}
}
