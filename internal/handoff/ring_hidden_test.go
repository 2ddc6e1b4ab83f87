package handoff

import (
	"testing"
	"time"
)

// TestWakeBehindAnUnpublishedCell: items published behind a cell claimed but not yet published
// (its producer descheduled between the claim and the store) are not seen by consumers, who
// park; the late producer's Put wakes one of them, for one item. That consumer, woken, must
// wake another for the items still waiting: else, while it runs its item, they waited with a
// consumer parked — in the orchestrator, a message held back a whole round of 10 ms steps
// (TestConformance/orchestrated/WorkersGiveTheSameConcurrency took 110-130 ms, a few runs in a
// hundred on a loaded machine).
func TestWakeBehindAnUnpublishedCell(t *testing.T) {
	r := NewRing[int](8, 3)
	// A producer claims cell 0 and stalls before publishing it.
	if !r.tail.CompareAndSwap(0, 1) {
		t.Fatal("claiming cell 0")
	}
	// Two items are published behind it; no consumer is parked yet, so no wake-up.
	r.Put(1)
	r.Put(2)
	got := make(chan int, 3)
	for range 3 {
		go func() {
			e, ok := r.Next()
			if ok {
				got <- e // the consumer now runs its item, and does not come back
			}
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); r.sleepers.Load() != 3; {
		if time.Now().After(deadline) {
			t.Fatalf("%d consumers parked, want 3", r.sleepers.Load())
		}
		time.Sleep(time.Millisecond)
	}
	// The stalled producer publishes, and wakes one consumer as Put does.
	c := &r.cells[0]
	c.e = 0
	c.seq.Store(1)
	if r.sleepers.Load() != 0 {
		r.wakeOne()
	}
	seen := map[int]bool{}
	for range 3 {
		select {
		case e := <-got:
			seen[e] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("items %v taken; the others wait in the ring with a consumer parked", seen)
		}
	}
	r.Close()
}
