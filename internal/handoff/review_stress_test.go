package handoff

import (
	"sync"
	"testing"
	"time"
)

// Stress: k consumers, k items put one by one (or a few at once), each item's run waits until
// all k have started. If a consumer could park (or stay parked) while an item waits in the queue
// or in another's stash, the round would hang. Each item must run exactly once.
func TestReviewNoConsumerIdlesWhileItemsWait(t *testing.T) {
	for _, k := range []int{2, 3, 5} {
		for round := range 300 {
			q := New[int](1, k)
			var started sync.WaitGroup
			started.Add(k)
			seen := make([]int, k)
			var mu sync.Mutex
			var done sync.WaitGroup
			for range k {
				done.Add(1)
				go func() {
					defer done.Done()
					s := q.NewStash(16)
					defer s.Release()
					for {
						e, ok := s.Next()
						if !ok {
							return
						}
						mu.Lock()
						seen[e]++
						mu.Unlock()
						started.Done()
						started.Wait()
					}
				}()
			}
			if round%2 == 0 {
				for i := range k {
					q.Put(i)
				}
			} else {
				es := make([]int, k)
				for i := range es {
					es[i] = i
				}
				q.PutAll(es)
			}
			ch := make(chan struct{})
			go func() { started.Wait(); close(ch) }()
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
				t.Fatalf("k=%d round %d: items wait while consumers idle (len %d)", k, round, q.Len())
			}
			q.Close()
			done.Wait()
			for i, n := range seen {
				if n != 1 {
					t.Fatalf("k=%d round %d: item %d ran %d times", k, round, i, n)
				}
			}
		}
	}
}
