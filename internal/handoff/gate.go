package handoff

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Gate is a counting semaphore of a fixed number of tokens — Baton's in-flight slots and a
// stream's room for unread results — whose fast path is one atomic operation instead of a
// channel's lock. Acquire takes a token when one is free; otherwise the taker waits in FIFO
// order: a released token goes straight to the longest waiter, never to a newcomer, as a
// channel's blocked senders are served. A waiter selects on its Waiter's Ready channel beside
// its own (a context, a close signal), so a wait can be given up.
//
// Cost: TryAcquire and Release are an atomic read-modify-write (a compare-and-swap, an add)
// while nobody waits; with a waiter, Release takes the gate's lock and wakes it. A Gate is
// safe for concurrent use; the zero value is not usable: see NewGate.
type Gate struct {
	taken atomic.Int64 // tokens held, waiters' granted ones included
	limit int64
	nwait atomic.Int32 // len(queue), readable without the lock

	mu    sync.Mutex
	queue []*Waiter // FIFO; queue[0] is served first
	pool  sync.Pool // of *Waiter
}

// Waiter is one wait for a Gate's token: see Gate.Wait.
type Waiter struct {
	ready   chan struct{} // holds one value once granted
	granted bool          // under the gate's lock
}

// Ready is ready once the waiter holds a token: then the caller must call Gate.Done.
func (w *Waiter) Ready() <-chan struct{} { return w.ready }

// NewGate returns a gate of n tokens (at least 1), all free.
func NewGate(n int) *Gate {
	g := &Gate{limit: int64(max(n, 1))}
	g.pool.New = func() any { return &Waiter{ready: make(chan struct{}, 1)} }
	return g
}

// Cap returns the number of tokens.
func (g *Gate) Cap() int { return int(g.limit) }

// Held returns the number of tokens held (a snapshot, for statistics).
func (g *Gate) Held() int { return int(g.taken.Load()) }

// TryAcquire takes a token if one is free and nobody waits for one, and reports whether it did.
func (g *Gate) TryAcquire() bool {
	for {
		t := g.taken.Load()
		if t >= g.limit || g.nwait.Load() != 0 {
			return false
		}
		if g.taken.CompareAndSwap(t, t+1) {
			return true
		}
	}
}

// Wait queues a wait for a token. When w.Ready() is ready, the caller holds a token and
// must call Done(w, true); a caller that stops waiting first calls Done(w, false), which gives
// back a token granted meanwhile. Either way w must not be used afterwards.
func (g *Gate) Wait() *Waiter {
	w := g.pool.Get().(*Waiter)
	g.mu.Lock()
	g.queue = append(g.queue, w)
	g.nwait.Add(1)
	g.grant() // a token released before w was queued
	g.mu.Unlock()
	return w
}

// Done ends the wait w. got says the caller received from w.Ready(): it keeps its token.
// Otherwise the wait is withdrawn and the caller holds no token: one granted meanwhile is
// given back (to the next waiter).
func (g *Gate) Done(w *Waiter, got bool) {
	if !got {
		g.mu.Lock()
		granted := w.granted
		if !granted {
			for i, v := range g.queue {
				if v == w {
					g.queue = slices.Delete(g.queue, i, i+1)
					g.nwait.Add(-1)
					break
				}
			}
		}
		g.mu.Unlock()
		if granted {
			<-w.ready
			g.Release()
		}
	}
	w.granted = false
	g.pool.Put(w)
}

// Release gives back a token: to the longest waiter if one waits, else to the gate.
func (g *Gate) Release() {
	if g.nwait.Load() == 0 {
		g.taken.Add(-1)
		if g.nwait.Load() == 0 {
			return // a waiter queued after the load sees the token in Wait's grant
		}
		g.mu.Lock()
		g.grant()
		g.mu.Unlock()
		return
	}
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.taken.Add(-1)
		g.mu.Unlock()
		return
	}
	g.serve() // the token goes straight to the longest waiter: taken is unchanged
	g.mu.Unlock()
}

// grant gives free tokens to waiters, longest first. g.mu is held.
func (g *Gate) grant() {
	for len(g.queue) > 0 {
		t := g.taken.Load()
		if t >= g.limit {
			return
		}
		if g.taken.CompareAndSwap(t, t+1) {
			g.serve()
		}
	}
}

// serve hands a token held for it to the longest waiter. g.mu is held; a waiter waits.
func (g *Gate) serve() {
	w := g.queue[0]
	g.queue = slices.Delete(g.queue, 0, 1) // short: its waiters are the blocked submitters
	g.nwait.Add(-1)
	w.granted = true
	w.ready <- struct{}{} // never blocks: room for one, sent once per wait
}
