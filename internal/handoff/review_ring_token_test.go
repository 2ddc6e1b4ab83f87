package handoff

import (
	"bytes"
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
	mu               sync.Mutex
	afterCount, wait map[int]stop
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
	s.afterCount, s.wait = map[int]stop{}, map[int]stop{}
	afterCount = func() { s.at(s.afterCount) }
	beforeWait = func() { s.at(s.wait) }
	t.Cleanup(func() { afterCount, beforeWait = nil, nil })
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
