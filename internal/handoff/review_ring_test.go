package handoff

import (
	"runtime"
	"sync"
	"testing"
)

// Stress of the ring at its smallest (two cells, so most items overflow and every lap wraps),
// with several producers and one to three consumers that park and wake all the time: every item
// comes out exactly once, and every consumer ends after Close.
func TestReviewRingSmallExactlyOnce(t *testing.T) {
	const producers, each = 3, 300
	for _, k := range []int{1, 2, 3} {
		for round := range 40 {
			r := NewRing[int](1, k)
			seen := make([]int, producers*each)
			var mu sync.Mutex
			var consumers sync.WaitGroup
			for range k {
				consumers.Go(func() {
					for {
						e, ok := r.Next()
						if !ok {
							return
						}
						mu.Lock()
						seen[e]++
						mu.Unlock()
						if e%7 == 0 {
							runtime.Gosched()
						}
					}
				})
			}
			var ps sync.WaitGroup
			for p := range producers {
				ps.Go(func() {
					for i := range each {
						r.Put(p*each + i)
						if i%5 == 0 {
							runtime.Gosched()
						}
					}
				})
			}
			ps.Wait()
			r.Close()
			consumers.Wait()
			for e, n := range seen {
				if n != 1 {
					t.Fatalf("k=%d round %d: item %d taken %d times", k, round, e, n)
				}
			}
		}
	}
}
