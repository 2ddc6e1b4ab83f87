package handoff

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Takers that give up while a token may be granted to them at that very moment (a select on
// Ready beside a channel another goroutine closes) never leak or double a token: no more than
// the bound are ever held, every take gets through, and at the end every token is free.
func TestReviewGateGiveUpRacingGrant(t *testing.T) {
	const n, takers, rounds = 2, 6, 600
	g := NewGate(n)
	var held, most atomic.Int64
	var wg sync.WaitGroup
	for range takers {
		wg.Go(func() {
			for r := range rounds {
				got := g.TryAcquire()
				for !got {
					w := g.Wait()
					stop := make(chan struct{})
					if r%2 == 0 {
						go close(stop) // races the grant
					}
					select {
					case <-w.Ready():
						g.Done(w, true)
						got = true
					case <-stop:
						g.Done(w, false)
					}
				}
				h := held.Add(1)
				for m := most.Load(); h > m && !most.CompareAndSwap(m, h); m = most.Load() {
				}
				held.Add(-1)
				g.Release()
			}
		})
	}
	wg.Wait()
	if most.Load() > n {
		t.Fatalf("%d tokens held at once from a gate of %d", most.Load(), n)
	}
	if g.Held() != 0 {
		t.Fatalf("Held %d at the end, want 0", g.Held())
	}
	for range n {
		if !g.TryAcquire() {
			t.Fatal("a token was lost")
		}
	}
	if g.TryAcquire() {
		t.Fatal("a token too many")
	}
}
