package handoff

import (
	"sync"
	"testing"
	"time"
)

// A queue of one consumer (NewSingle): many producers, a consumer that takes batches through
// Watch — every item exactly once (in no promised order: an item that overflowed the ring comes
// after the ring's), and never a lost wake-up (the test would hang); then Close ends the watch
// once everything is taken.
func TestSingleExactlyOnceThroughWatch(t *testing.T) {
	for _, capacity := range []int{1, 2, 64} { // 1 and 2: the ring overflows into its list
		const producers, each = 4, 5000
		q := NewSingle[int](capacity)
		var pw sync.WaitGroup
		for p := range producers {
			pw.Go(func() {
				for i := range each {
					if i%8 == 7 {
						time.Sleep(time.Microsecond) // let the consumer watch now and then
					}
					q.Put(p*each + i)
				}
			})
		}
		seen := make([]bool, producers*each)
		got := 0
		var batch []int
		for got < producers*each {
			var ready <-chan struct{}
			if batch, ready = q.Watch(batch[:0], 16); len(batch) == 0 {
				select {
				case <-ready:
				case <-time.After(10 * time.Second):
					t.Fatalf("capacity %d: watch not woken with %d of %d taken", capacity, got, producers*each)
				}
				continue
			}
			for _, v := range batch {
				if seen[v] {
					t.Fatalf("capacity %d: item %d taken twice", capacity, v)
				}
				seen[v] = true
				got++
			}
		}
		pw.Wait()
		if items := q.TryTake(nil, 16); len(items) != 0 {
			t.Fatalf("capacity %d: %d items left over", capacity, len(items))
		}
		_, ready := q.Watch(nil, 16)
		if ready == nil || !q.Parked() {
			t.Fatal("empty and open: Watch gave no channel, or the consumer is not reported parked")
		}
		q.Close()
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not wake the watch")
		}
		if items, ready := q.Watch(nil, 16); len(items) != 0 || ready != nil {
			t.Fatalf("closed and empty: got %v, %v; want nothing and no channel", items, ready)
		}
		if _, ok := q.Take(nil, 1); ok {
			t.Fatal("closed and empty, yet Take reported an item")
		}
	}
}

// Take on a queue of one consumer parks until a Put, and returns what waits.
func TestSingleTakeWakesOnPut(t *testing.T) {
	q := NewSingle[int](4)
	done := make(chan []int)
	go func() {
		items, _ := q.Take(nil, 16)
		done <- items
	}()
	time.Sleep(time.Millisecond)
	q.Put(7)
	select {
	case items := <-done:
		if len(items) != 1 || items[0] != 7 {
			t.Fatalf("got %v, want [7]", items)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Take not woken by a Put")
	}
	q.Close()
}
