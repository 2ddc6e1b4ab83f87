package handoff

import (
	"runtime"
	"testing"
)

// A Put that has claimed its cell but not yet published the item (a producer preempted between
// its compare-and-swap and its store) is "being put": Len counts it, and a consumer that sees
// the ring closed waits for it rather than reporting the ring closed and empty — with one
// consumer as with several. The claim is made here by hand, as push makes it.
func TestReviewRingClaimedItemSurvivesClose(t *testing.T) {
	for _, k := range []int{1, 2} {
		r := NewRing[int](4, k)
		r.Put(1)
		if e, ok := r.Next(); !ok || e != 1 {
			t.Fatalf("%d consumer(s): Next = %d, %v", k, e, ok)
		}
		pos := r.tail.Add(1) - 1 // push's claim of cell pos; the item is not published yet
		if n := r.Len(); n != 1 {
			t.Errorf("%d consumer(s): Len = %d with an item being put, want 1", k, n)
		}
		r.Close()
		got := make(chan int, 1)
		go func() {
			e, ok := r.Next()
			if !ok {
				e = -1
			}
			got <- e
		}()
		for range 200 {
			runtime.Gosched() // let the consumer look while the item is still being put
		}
		c := &r.cells[pos&r.mask]
		c.e = 2
		c.seq.Store(pos + 1) // push's publication
		if e := <-got; e != 2 {
			t.Errorf("%d consumer(s): Next after Close returned %d, want the item being put (2)", k, e)
		}
	}
}
