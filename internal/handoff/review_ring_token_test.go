package handoff

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// goid is the calling goroutine's id, read from its stack's header ("goroutine 12 [...").
func goid() int {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	n, _ := strconv.Atoi(string(b[:bytes.IndexByte(b, ' ')]))
	return n
}

// waitChanReceive waits until goroutine id is blocked receiving from a channel.
func waitChanReceive(t *testing.T, id int) {
	t.Helper()
	want := []byte("goroutine " + strconv.Itoa(id) + " [chan receive")
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if bytes.Contains(buf[:runtime.Stack(buf, true)], want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutine %d never blocked on a channel", id)
		}
		time.Sleep(time.Millisecond)
	}
}

// stops holds, per goroutine, where the parking hooks stop it: a stop is a channel the hook
// signals on arrival (by closing arrived) and then waits on (go).
type stop struct{ arrived, release chan struct{} }

type stops struct {
	mu                     sync.Mutex
	park, afterCount, wait map[int]stop
}

// stopAt registers a stop for goroutine id in m.
func (s *stops) stopAt(m map[int]stop, id int) stop {
	st := newStop()
	s.mu.Lock()
	m[id] = st
	s.mu.Unlock()
	return st
}

func newStop() stop { return stop{make(chan struct{}), make(chan struct{})} }

func (s *stops) at(m map[int]stop) {
	s.mu.Lock()
	st, ok := m[goid()]
	delete(m, goid())
	s.mu.Unlock()
	if ok {
		close(st.arrived)
		<-st.release
	}
}

func (s *stops) install(t *testing.T) {
	s.park, s.afterCount, s.wait = map[int]stop{}, map[int]stop{}, map[int]stop{}
	beforePark = func() { s.at(s.park) }
	afterCount = func() { s.at(s.afterCount) }
	beforeWait = func() { s.at(s.wait) }
	t.Cleanup(func() { beforePark, afterCount, beforeWait = nil, nil, nil })
}

// consumer starts a goroutine that takes one item with Next and sends it to got (-1 for
// closed), then ends, not coming back for more: an item left in the ring with a consumer
// parked is then never taken. register runs on that goroutine before Next, with its id.
func consumer(r *Ring[int], got chan<- int, register func(id int)) <-chan int {
	ids := make(chan int, 1)
	go func() {
		id := goid()
		if register != nil {
			register(id)
		}
		ids <- id
		e, ok := r.Next()
		if !ok {
			e = -1
		}
		got <- e
	}()
	return ids
}

// TestReviewTokenTakerPassesOn: a consumer that found an item after counting itself, and took
// in unpark a token a woken consumer passed on (passOn), must pass it on too. Items 1 and 2 wait
// behind a claimed cell 0; A is parked, F has counted itself, looked and is about to wait, E has
// counted itself and not yet looked. Cell 0's publication wakes A (the one on the channel); A
// takes 0 and passes a token on, which no one is on the channel for; E finds item 1 and takes
// that token in unpark; F then waits, with item 2 in the ring and no one to wake it.
func TestReviewTokenTakerPassesOn(t *testing.T) {
	var s stops
	s.install(t)
	r := NewRing[int](8, 3)
	if !r.tail.CompareAndSwap(0, 1) { // a producer claims cell 0 and stalls
		t.Fatal("claiming cell 0")
	}
	r.Put(1)
	r.Put(2)
	got := make(chan int, 3)

	a := <-consumer(r, got, nil)
	waitChanReceive(t, a) // A is parked: sleepers 1

	fWait := newStop()
	consumer(r, got, func(id int) { s.mu.Lock(); s.wait[id] = fWait; s.mu.Unlock() })
	<-fWait.arrived // F counted itself, found nothing (cell 0), is about to wait: sleepers 2

	eCount := newStop()
	consumer(r, got, func(id int) { s.mu.Lock(); s.afterCount[id] = eCount; s.mu.Unlock() })
	<-eCount.arrived // E counted itself: sleepers 3

	c := &r.cells[0] // the stalled producer publishes, and wakes one as Put does: A
	c.e = 0
	c.seq.Store(1)
	if r.sleepers.Load() != 0 {
		r.wakeOne()
	}
	if e := <-got; e != 0 {
		t.Fatalf("A took %d, want 0", e)
	}
	close(eCount.release) // E finds item 1
	if e := <-got; e != 1 {
		t.Fatalf("E took %d, want 1", e)
	}
	close(fWait.release) // F waits
	select {
	case e := <-got:
		if e != 2 {
			t.Fatalf("F took %d, want 2", e)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("item 2 waits in the ring (backlog %d) with F parked (sleepers %d, tokens %d)", r.Backlog(), r.sleepers.Load(), len(r.wake))
	}
	r.Close()
}

// TestReviewCloseTokenTakerWakesTheRest: Close's token for a consumer not yet on the channel,
// taken in unpark by a consumer that counted itself after Close's last look and found an item,
// leaves that consumer parked on a closed, empty ring until the taker comes back for more (the
// last to leave wakes whoever is left). The taker must wake the rest itself: it holds Close's
// wake-up. B has counted itself and is about to wait; A is about to count itself; Close wakes
// B's count; the item of a cell claimed before (invisible to both) is published, its Put seeing
// no sleeper; A counts itself, finds it, and takes B's token.
func TestReviewCloseTokenTakerWakesTheRest(t *testing.T) {
	var s stops
	s.install(t)
	r := NewRing[int](8, 2)
	if !r.tail.CompareAndSwap(0, 1) { // a producer claims cell 0 and stalls
		t.Fatal("claiming cell 0")
	}
	got := make(chan int, 2)
	var bWait, aPark stop
	<-consumer(r, got, func(id int) { bWait = s.stopAt(s.wait, id) })
	<-bWait.arrived // B counted itself, found nothing, is about to wait: sleepers 1
	<-consumer(r, got, func(id int) { aPark = s.stopAt(s.park, id) })
	<-aPark.arrived // A found nothing, saw the ring open, is about to count itself
	r.Close()       // takes B's count, sends its token: sleepers 0, a token on the channel
	c := &r.cells[0]
	c.e = 7
	c.seq.Store(1)
	if r.sleepers.Load() != 0 { // as Put: no one is counted
		r.wakeOne()
	}
	close(aPark.release)
	if e := <-got; e != 7 {
		t.Fatalf("A took %d, want 7", e)
	}
	close(bWait.release)
	select {
	case e := <-got:
		if e != -1 {
			t.Fatalf("B took %d from a closed, empty ring", e)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("B parked on a closed, empty ring (sleepers %d, tokens %d)", r.sleepers.Load(), len(r.wake))
	}
}

// jitter yields at random at every parking hook, to make the races of parking likelier.
func jitter(t *testing.T) {
	yield := func() {
		if rand.IntN(16) == 0 {
			time.Sleep(20 * time.Microsecond) // long enough for the others to run on
			return
		}
		for range rand.IntN(3) {
			runtime.Gosched()
		}
	}
	beforePark, afterCount, beforeWait = yield, yield, yield
	t.Cleanup(func() { beforePark, afterCount, beforeWait = nil, nil, nil })
}

// TestReviewRingHoldStress: k consumers (as many as NewRing is told, or one fewer) each take one item and keep it (they never come back),
// so any item left in the ring with a consumer parked is never taken: the test waits for every
// consumer to get one. k items are put by k producers, some of them first claiming their cell
// and publishing it late, by hand, as a descheduled push would; then, with as many consumers
// again, k-1 items and a Close: every consumer must leave, with an item or false.
func TestReviewRingHoldStress(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("the races need two processors")
	}
	jitter(t)
	for round := range 300 {
		k := 1 + round%5
		capacity := []int{1, 2, 8}[round%3]
		told := k + round/5%2 // as many consumers as NewRing is told, or one fewer
		r := NewRing[int](capacity, told)
		got := make(chan int, k)
		for range k {
			consumer(r, got, nil)
		}
		put := func(e int) {
			if rand.IntN(3) == 0 && capacity >= 8 {
				// claim a cell and publish it late, as push does
				pos := r.tail.Load()
				for c := &r.cells[pos&r.mask]; c.seq.Load() != pos || !r.tail.CompareAndSwap(pos, pos+1); c = &r.cells[pos&r.mask] {
					pos = r.tail.Load()
				}
				for range rand.IntN(4) {
					runtime.Gosched()
				}
				c := &r.cells[pos&r.mask]
				c.e = e
				c.seq.Store(pos + 1)
				if r.sleepers.Load() != 0 {
					r.wakeOne()
				}
				return
			}
			r.Put(e)
		}
		var ps sync.WaitGroup
		for i := range k {
			ps.Go(func() {
				for range rand.IntN(3) {
					runtime.Gosched()
				}
				put(i)
			})
		}
		ps.Wait()
		seen := map[int]bool{}
		for range k {
			select {
			case e := <-got:
				if seen[e] || e < 0 {
					t.Fatalf("round %d (k=%d, capacity %d): item %d twice, or false", round, k, capacity, e)
				}
				seen[e] = true
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d (k=%d, capacity %d): items %v taken; backlog %d, sleepers %d, tokens %d", round, k, capacity, seen, r.Len(), r.sleepers.Load(), len(r.wake))
			}
		}
		// Close with consumers parking and items still coming.
		r2 := NewRing[int](capacity, told)
		got2 := make(chan int, k)
		for range k {
			consumer(r2, got2, nil)
		}
		for i := range k - 1 {
			ps.Go(func() { r2.Put(i) })
		}
		ps.Go(func() {
			for range rand.IntN(4) {
				runtime.Gosched()
			}
			r2.Close()
		})
		ps.Wait()
		n := 0
		for range k {
			select {
			case e := <-got2:
				if e >= 0 {
					n++
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d (k=%d, capacity %d): a consumer parked after Close; backlog %d, sleepers %d, tokens %d", round, k, capacity, r2.Len(), r2.sleepers.Load(), len(r2.wake))
			}
		}
		if n+r2.Len() != k-1 {
			t.Fatalf("round %d: %d items taken and %d left, of %d put", round, n, r2.Len(), k-1)
		}
	}
}
