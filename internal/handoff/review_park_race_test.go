package handoff

import (
	"runtime"
	"testing"
	"time"
)

// TestLightLoadParkRace passes one item at a time through a ring of ten consumers (the
// orchestrator's drivers under light load), with every consumer yielding just before it counts
// itself a sleeper. A consumer that finds an item after counting itself, when a waker has taken
// its count, must not wait for the waker's token on the channel: a consumer parking meanwhile
// may take that token, and the item's holder then slept while every other consumer did too.
// Before unpark stopped waiting on the channel this lost the item within seconds.
func TestLightLoadParkRace(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("the race needs two processors")
	}
	beforePark = runtime.Gosched
	defer func() { beforePark = nil }()
	r := NewRing[int](64, 10)
	back := make(chan int)
	done := make(chan struct{})
	for range 10 {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				e, ok := r.Next()
				if !ok {
					return
				}
				back <- e
			}
		}()
	}
	end := time.Now().Add(4 * time.Second)
	n := 0
	for time.Now().Before(end) {
		r.Put(n)
		select {
		case got := <-back:
			if got != n {
				t.Fatalf("got item %d, want %d", got, n)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("item %d lost: every consumer asleep (sleepers %d, head %d, tail %d)", n, r.sleepers.Load(), r.head.Load(), r.tail.Load())
		}
		n++
	}
	r.Close()
	for range 10 {
		<-done
	}
	t.Logf("%d items", n)
}
