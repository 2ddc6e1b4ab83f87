package handoff

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTakeBatches(t *testing.T) {
	cases := []struct {
		name             string
		consumers, limit int
		put              int
		want             []int // sizes of successive TryTakes
	}{
		{"lone item goes alone", 1, 16, 1, []int{1, 0}},
		{"whatever waits up to the limit", 1, 16, 40, []int{16, 16, 8, 0}},
		{"limit below one is one", 1, 0, 2, []int{1, 1, 0}},
		{"a share between consumers", 4, 16, 40, []int{10, 8, 6, 4, 3, 3, 2, 1, 1, 1, 1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := New[int](4, c.consumers) // small: Put must grow it
			for i := range c.put {
				q.Put(i)
			}
			next := 0
			for k, want := range c.want {
				got := q.TryTake(nil, c.limit)
				if len(got) != want {
					t.Fatalf("take %d: got %d items, want %d", k, len(got), want)
				}
				for _, v := range got {
					if v != next {
						t.Fatalf("take %d: got item %d, want %d (FIFO)", k, v, next)
					}
					next++
				}
			}
		})
	}
}

func TestPutAllKeepsOrderAcrossGrowth(t *testing.T) {
	q := New[int](3, 1)
	q.Put(0)
	q.TryTake(nil, 1) // head moves: the ring wraps when it grows
	batch := []int{1, 2, 3, 4, 5, 6, 7}
	q.PutAll(batch)
	q.Put(8)
	got := q.TryTake(nil, 100)
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("item %d is %d, want %d", i, v, i+1)
		}
	}
	if len(got) != 8 || q.Len() != 0 {
		t.Fatalf("took %d, %d left; want 8, 0", len(got), q.Len())
	}
}

// Take parks only when nothing waits, and a Put wakes it: a lone item is never held back.
func TestTakeWakesOnPut(t *testing.T) {
	q := New[int](1, 2)
	got := make(chan []int, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			items, ok := q.Take(nil, 16)
			if !ok {
				items = nil
			}
			got <- items
		})
	}
	for !(q.Parked() && q.parked.Load() == 2) {
		time.Sleep(time.Millisecond)
	}
	q.Put(7)
	if items := <-got; len(items) != 1 || items[0] != 7 {
		t.Fatalf("got %v, want [7]", items)
	}
	q.Close() // wakes the other, which finds the queue closed and empty
	if items := <-got; items != nil {
		t.Fatalf("after Close got %v, want nothing", items)
	}
	wg.Wait()
	if _, ok := q.Take(nil, 1); ok {
		t.Fatal("Take on a closed, empty queue reported an item")
	}
}

func TestCloseDrainsFirst(t *testing.T) {
	q := New[int](2, 1)
	q.PutAll([]int{1, 2})
	q.Close()
	items, ok := q.Take(nil, 16)
	if !ok || len(items) != 2 {
		t.Fatalf("got %v, %v; want the two items waiting", items, ok)
	}
	if _, ok := q.Take(nil, 16); ok {
		t.Fatal("closed and empty, yet Take reported an item")
	}
}

func TestWatch(t *testing.T) {
	q := New[int](2, 1)
	items, ready := q.Watch(nil, 16)
	if len(items) != 0 || ready == nil {
		t.Fatalf("empty queue: got %v, %v; want nothing and a channel", items, ready)
	}
	if !q.Parked() {
		t.Fatal("a watching consumer is not reported parked")
	}
	go q.PutAll([]int{1, 2, 3})
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch's channel not ready after a Put")
	}
	var all []int
	for len(all) < 3 {
		all, ready = q.Watch(all, 2)
		if ready != nil {
			<-ready
		}
	}
	if all[0] != 1 || all[1] != 2 || all[2] != 3 {
		t.Fatalf("got %v, want [1 2 3]", all)
	}
	q.Close()
	if items, ready := q.Watch(nil, 1); len(items) != 0 || ready != nil {
		t.Fatalf("closed, empty: got %v, %v; want nothing and no channel", items, ready)
	}
}

// Many producers and consumers: every item is taken exactly once.
func TestConcurrentExactlyOnce(t *testing.T) {
	const producers, consumers, each = 4, 3, 5000
	q := New[int](8, consumers)
	seen := make([]int32, producers*each)
	var mu sync.Mutex
	var cw sync.WaitGroup
	for range consumers {
		cw.Go(func() {
			var buf []int
			for {
				var ok bool
				buf, ok = q.Take(buf[:0], 16)
				if !ok {
					return
				}
				mu.Lock()
				for _, v := range buf {
					seen[v]++
				}
				mu.Unlock()
			}
		})
	}
	var pw sync.WaitGroup
	for p := range producers {
		pw.Go(func() {
			for i := 0; i < each; i += 2 {
				if i%4 == 0 {
					q.PutAll([]int{p*each + i, p*each + i + 1})
				} else {
					q.Put(p*each + i)
					q.Put(p*each + i + 1)
				}
			}
		})
	}
	pw.Wait()
	q.Close()
	cw.Wait()
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("item %d taken %d times", v, n)
		}
	}
}
