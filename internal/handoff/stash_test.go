package handoff

import (
	"runtime"
	"sync"
	"testing"
)

// An item in a busy consumer's stash is taken by an idle consumer rather than wait: here the
// owner of the first batch never comes back.
func TestIdleConsumerStealsFromStash(t *testing.T) {
	q := New[int](8, 2)
	a, b := q.NewStash(16), q.NewStash(16)
	q.PutAll([]int{0, 1, 2, 3})
	if e, _ := a.Next(); e != 0 {
		t.Fatalf("a got %d first, want 0", e)
	}
	if n := q.Len(); n != 3 {
		t.Fatalf("Len %d, want 3 (one in a's stash, two in the queue)", n)
	}
	var got []int
	for range 3 {
		e, ok := b.Next()
		if !ok {
			t.Fatal("b found nothing")
		}
		got = append(got, e)
	}
	if got[0] != 2 || got[1] != 3 || got[2] != 1 {
		t.Fatalf("b got %v, want [2 3 1]: the queue's, then a's stash", got)
	}
	done := make(chan bool)
	go func() { _, ok := b.Next(); done <- ok }()
	q.Close()
	if <-done {
		t.Fatal("Next reported an item after Close with nothing left")
	}
}

// A stopping consumer's stash goes back to the queue.
func TestReleaseGivesBack(t *testing.T) {
	q := New[int](8, 1)
	a := q.NewStash(16)
	q.PutAll([]int{0, 1, 2})
	a.Next()
	a.Release()
	if got := q.TryTake(nil, 16); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("after Release the queue holds %v, want [1 2]", got)
	}
	if n := q.Len(); n != 0 {
		t.Fatalf("Len %d after taking everything, want 0", n)
	}
}

// Many producers, consumers that take batches and steal: every item exactly once, and no
// consumer left parked while items wait (the test would hang).
func TestStashesExactlyOnce(t *testing.T) {
	const producers, consumers, each = 3, 4, 4000
	q := New[int](4, consumers)
	seen := make([]int32, producers*each)
	var mu sync.Mutex
	var cw sync.WaitGroup
	for c := range consumers {
		s := q.NewStash(16)
		cw.Go(func() {
			defer s.Release()
			for k := 0; ; k++ {
				e, ok := s.Next()
				if !ok {
					return
				}
				mu.Lock()
				seen[e]++
				mu.Unlock()
				if c == 0 && k == 100 {
					return // a consumer that stops with its batch: Release gives it back
				}
			}
		})
	}
	var pw sync.WaitGroup
	for p := range producers {
		pw.Go(func() {
			for i := range each {
				q.Put(p*each + i)
			}
		})
	}
	pw.Wait()
	for q.Len() > 0 {
		runtime.Gosched() // let the consumers drain it
	}
	q.Close()
	cw.Wait()
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("item %d taken %d times", v, n)
		}
	}
}
