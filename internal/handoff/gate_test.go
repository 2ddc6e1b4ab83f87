package handoff

import (
	"sync"
	"testing"
)

func TestGateBound(t *testing.T) {
	g := NewGate(2)
	if !g.TryAcquire() || !g.TryAcquire() {
		t.Fatal("two free tokens not taken")
	}
	if g.TryAcquire() {
		t.Fatal("a third token taken from a gate of two")
	}
	g.Release()
	if !g.TryAcquire() {
		t.Fatal("a released token not taken")
	}
	if g.Held() != 2 || g.Cap() != 2 {
		t.Fatalf("Held %d Cap %d, want 2 2", g.Held(), g.Cap())
	}
}

func TestGateFIFO(t *testing.T) {
	g := NewGate(1)
	g.TryAcquire()
	w1, w2 := g.Wait(), g.Wait()
	if g.TryAcquire() {
		t.Fatal("a newcomer took a token past the waiters")
	}
	g.Release()
	select {
	case <-w1.Ready():
	default:
		t.Fatal("the longest waiter was not served first")
	}
	select {
	case <-w2.Ready():
		t.Fatal("the second waiter served with no token free")
	default:
	}
	g.Done(w1, true)
	g.Release()
	<-w2.Ready()
	g.Done(w2, true)
	if g.Held() != 1 {
		t.Fatalf("Held %d, want 1", g.Held())
	}
}

func TestGateWithdraw(t *testing.T) {
	g := NewGate(1)
	g.TryAcquire()
	w1, w2 := g.Wait(), g.Wait()
	g.Release() // granted to w1, which withdraws: the token passes to w2
	g.Done(w1, false)
	select {
	case <-w2.Ready():
	default:
		t.Fatal("a withdrawn waiter's token was not passed on")
	}
	g.Done(w2, true)
	w3 := g.Wait()
	g.Done(w3, false) // not granted: withdrawn from the queue
	g.Release()
	if g.Held() != 0 || !g.TryAcquire() {
		t.Fatalf("Held %d after every token came back", g.Held())
	}
}

// TestGateStress: many takers, each holding a token briefly, never exceed the bound, and
// every one gets through (a lost wake-up would hang the test).
func TestGateStress(t *testing.T) {
	const n, takers, rounds = 3, 8, 2000
	g := NewGate(n)
	var mu sync.Mutex
	held, most := 0, 0
	var wg sync.WaitGroup
	for k := range takers {
		wg.Go(func() {
			for r := range rounds {
				if !g.TryAcquire() {
					w := g.Wait()
					if (k+r)%5 == 0 {
						g.Done(w, false) // give up, then wait again
						w = g.Wait()
					}
					<-w.Ready()
					g.Done(w, true)
				}
				mu.Lock()
				held++
				most = max(most, held)
				mu.Unlock()
				mu.Lock()
				held--
				mu.Unlock()
				g.Release()
			}
		})
	}
	wg.Wait()
	if most > n {
		t.Fatalf("%d tokens held at once from a gate of %d", most, n)
	}
	if g.Held() != 0 {
		t.Fatalf("Held %d at the end, want 0", g.Held())
	}
}
