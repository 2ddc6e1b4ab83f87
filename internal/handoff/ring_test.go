package handoff

import (
	"sync"
	"testing"
)

// Items come out in the order they were put, by one consumer or several, whatever the
// capacity: past it they overflow and come out after the ring's.
func TestRingFIFOAndOverflow(t *testing.T) {
	cases := []struct {
		name                string
		capacity, consumers int
		put                 int
	}{
		{"one consumer, room to spare", 64, 1, 40},
		{"several consumers, room to spare", 64, 3, 40},
		{"one consumer, overflowing", 4, 1, 40},
		{"several consumers, overflowing", 4, 3, 40},
		{"capacity below one", 0, 1, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewRing[int](c.capacity, c.consumers)
			if _, ok := r.TryNext(); ok {
				t.Fatal("TryNext took an item from an empty ring")
			}
			for i := range c.put {
				r.Put(i)
			}
			if n := r.Len(); n != c.put {
				t.Fatalf("Len %d, want %d", n, c.put)
			}
			for want := range c.put {
				got, ok := r.TryNext()
				if !ok || got != want {
					t.Fatalf("TryNext = %d, %v; want %d, true (FIFO)", got, ok, want)
				}
			}
			if e, ok := r.TryNext(); ok {
				t.Fatalf("TryNext took %d after every item was taken", e)
			}
			if n := r.Len(); n != 0 {
				t.Fatalf("Len %d after taking everything, want 0", n)
			}
		})
	}
}

// A lone consumer gives each cell back as it takes it: the ring keeps taking and putting lap
// after lap, never overflowing, and Len counts only what waits.
func TestRingLapsWithOneConsumer(t *testing.T) {
	r := NewRing[int](8, 1)
	next := 0
	for i := range 1000 {
		r.Put(i)
		if i%3 == 2 {
			for range 3 {
				if got, _ := r.TryNext(); got != next {
					t.Fatalf("got %d, want %d", got, next)
				}
				next++
			}
		}
	}
	if n := r.Len(); n != 1 {
		t.Fatalf("Len %d with one item waiting", n)
	}
	if n := r.over.Load(); n != 0 {
		t.Fatalf("%d items overflowed with at most 3 waiting in 8 cells", n)
	}
}

// Close wakes every consumer parked in Next, which then returns false; an item put before or
// after Close is still taken.
func TestRingCloseWakesParkedConsumers(t *testing.T) {
	for _, consumers := range []int{1, 3} {
		r := NewRing[int](4, consumers)
		parked := make(chan bool, consumers)
		for range consumers {
			go func() { _, ok := r.Next(); parked <- ok }()
		}
		r.Close()
		for range consumers {
			if <-parked {
				t.Fatal("Next reported an item after Close of an empty ring")
			}
		}
		r.Put(7)
		if e, ok := r.Next(); !ok || e != 7 {
			t.Fatalf("after Close Next = %d, %v; want 7, true", e, ok)
		}
		if _, ok := r.Next(); ok {
			t.Fatal("Next reported an item after Close with nothing left")
		}
	}
}

// Many producers, consumers parking and waking: every item exactly once, none left waiting
// while a consumer is parked (the test would hang), with and without overflow.
func TestRingExactlyOnce(t *testing.T) {
	for _, c := range []struct{ capacity, consumers int }{{1024, 1}, {1024, 4}, {2, 1}, {2, 3}} {
		const producers, each = 3, 5000
		r := NewRing[int](c.capacity, c.consumers)
		seen := make([]int32, producers*each)
		var mu sync.Mutex
		var consumers sync.WaitGroup
		for range c.consumers {
			consumers.Go(func() {
				for {
					e, ok := r.Next()
					if !ok {
						return
					}
					mu.Lock()
					seen[e]++
					mu.Unlock()
				}
			})
		}
		var producing sync.WaitGroup
		for p := range producers {
			producing.Go(func() {
				for i := range each {
					r.Put(p*each + i)
				}
			})
		}
		producing.Wait()
		r.Close()
		consumers.Wait()
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("capacity %d, %d consumers: item %d taken %d times", c.capacity, c.consumers, i, n)
			}
		}
	}
}

// A lone consumer may hand over to another goroutine (as a worker that ends starts its
// successor): the successor goes on where it stopped, taking nothing twice.
func TestRingOneConsumerHandsOver(t *testing.T) {
	r := NewRing[int](64, 1)
	for i := range 40 {
		r.Put(i)
	}
	var got []int
	var take func(k int)
	done := make(chan struct{})
	take = func(k int) {
		for range 7 {
			e, ok := r.TryNext()
			if !ok {
				close(done)
				return
			}
			got = append(got, e)
		}
		go take(k + 1)
	}
	go take(0)
	<-done
	if len(got) != 40 {
		t.Fatalf("took %d items, want 40", len(got))
	}
	for i, e := range got {
		if e != i {
			t.Fatalf("item %d is %d", i, e)
		}
	}
}
