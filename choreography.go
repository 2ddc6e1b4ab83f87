package baton

import (
	"runtime"
	"sync"
)

// choreography is the choreographed strategy: each stage owns an inbox and Workers goroutines
// (default one). A worker runs the message's pending action, reads the slip itself and sends the
// message straight to the next stage's inbox — or to its result sink when the slip is done. No
// central goroutine touches a message between steps.
//
// Deadlock freedom, by construction: every inbox (and every result sink) has room for as many
// messages as may be in flight (WithMaxInFlight), and no more are ever accepted. A message held
// by a worker is not in any inbox, so an inbox never holds more than the others leave free, and
// no send can block — whatever the slips, revisits and cycles included.
//
// Cost, measured by BenchmarkOverhead on 2 cores (README, "Performance"): one buffered channel
// hand-off per step and nothing else shared between stages: about 67 and 34 ns/step at 10 and
// 100 stages with no work, against 24 and 18 for a hand-written goroutine-per-stage pipeline;
// no allocation per step, nor per message on the default itinerary. See convoyBreak for how it
// keeps the stages running side by side.
type choreography[T any] struct {
	p       *Pipeline[T]
	inboxes []chan *message[T]
	wg      sync.WaitGroup
}

func newChoreography[T any](p *Pipeline[T]) *choreography[T] {
	c := &choreography[T]{p: p, inboxes: make([]chan *message[T], len(p.stages))}
	for i := range c.inboxes {
		c.inboxes[i] = make(chan *message[T], cap(p.slots))
	}
	return c
}

func (c *choreography[T]) start() {
	for i := range c.p.stages {
		for range max(1, c.p.stages[i].cfg.workers) {
			c.wg.Go(func() { c.work(i) })
		}
	}
}

// work is a goroutine of stage i: act on each message of its inbox, then pass it on.
func (c *choreography[T]) work(i int) {
	for c.guard(i) {
	}
}

// guard runs serve and deals with what serve's recover cannot tell apart: a runtime.Goexit in a
// stage (serve never returns: a new worker takes this one's place and the message goes on) and,
// under the legacy GODEBUG=panicnil=1, a panic(nil) (serve returns, the step not yet recorded).
// It reports whether the worker should go on serving.
func (c *choreography[T]) guard(i int) (again bool) {
	var m *message[T] // the message being served
	returned := false
	defer func() {
		if !returned {
			c.p.stagePanicked(m, nil, true)
			c.wg.Go(func() { c.work(i) }) // stop waits for it: m is in flight, so stop has not begun
			c.dispatch(m)
		}
	}()
	again, nilPanic := c.serve(i, &m)
	returned = true
	if nilPanic {
		c.p.stagePanicked(m, nil, false)
		c.dispatch(m)
	}
	return again
}

// serve works until the inbox is closed (false) or a stage panicked (true, after the step was
// recorded as failed and the message passed on; or, when the panic's value was nil, left to
// guard). Recovering here rather than around each step keeps defer off the step.
func (c *choreography[T]) serve(i int, mp **message[T]) (panicked, nilPanic bool) {
	done := false
	defer func() {
		if done {
			return
		}
		if r := recover(); r != nil {
			c.p.stagePanicked(*mp, r, false)
			c.dispatch(*mp)
		} else {
			nilPanic = true // or a Goexit, which never reaches guard's return
		}
		panicked = true
	}()
	n := 0
	for m := range c.inboxes[i] {
		if m.claimable && !m.hold.CompareAndSwap(queued, held) {
			c.drop(m) // its waiter claimed it
			continue
		}
		*mp = m
		c.p.act(i, m)
		to := c.forward(m)
		if n++; n%convoyBreak == 0 && len(c.inboxes[i]) > convoyBreak && to >= 0 {
			runtime.Gosched()
		}
	}
	done = true
	return false, false
}

// dispatch passes m to the inbox of the stage that acts next, or finishes it.
func (c *choreography[T]) dispatch(m *message[T]) { c.forward(m) }

// forward is dispatch, returning the index of the inbox m went to, or -1 when it left the
// stage graph (finished, or handed to its waiter).
func (c *choreography[T]) forward(m *message[T]) int {
	i := c.p.next(m)
	if i < 0 {
		c.p.finish(m)
		return -1
	}
	if m.claimable {
		m.resume = i // next has decided: whoever takes m on starts there
		if !m.hold.CompareAndSwap(held, queued) {
			m.handoff <- struct{}{} // its waiter wants it back: see claim
			return -1
		}
	}
	c.inboxes[i] <- m // never blocks: see the type's comment
	return i
}

// Where a claimable message is (message.hold). A Process caller's message may wait in an inbox
// behind a busy worker — one that is waiting for this very caller, say — long after its context
// ended; its waiter then takes it out of the graph and finishes it itself, so the message
// honours its context where it waits, as under orchestration. A worker that takes a claimed
// message's stale copy from its inbox drops it (see drop).
const (
	held    = iota // a worker has it, or is passing it on
	queued         // it waits in an inbox
	claimed        // its waiter took it out of the graph; a stale copy waits in an inbox
	wanted         // its waiter waits for the worker holding it to hand it over
)

func (c *choreography[T]) process(m *message[T]) {
	m.sink = m.reply
	m.claimable = m.done != nil
	c.dispatch(m)
	if !m.claimable {
		<-m.reply
		return
	}
	select {
	case <-m.reply:
		return
	case <-m.done:
	}
	c.claim(m)
}

// claim gets back m, whose context ended while it travelled, and finishes it here: at once
// when it waits in an inbox; else it asks the worker holding it to hand it over at its next
// hand-off, and waits for that or for its result.
func (c *choreography[T]) claim(m *message[T]) {
	for {
		// Its waiter and the stale copy each release a claimed message (see release): counted
		// before it is claimed, for the stale copy may be taken at once.
		m.stale.Store(2)
		if m.hold.CompareAndSwap(queued, claimed) {
			m.claimed = true
			c.finishHere(m, m.resume)
			return
		}
		m.stale.Store(0)
		switch {
		case m.hold.CompareAndSwap(held, wanted):
			select {
			case <-m.reply:
			case <-m.handoff:
				c.finishHere(m, m.resume)
			}
			return
		}
	}
}

// finishHere runs m's remaining actions — its stop and compensations, since its context has
// ended — in its waiter's goroutine, starting at stage i (or at m's next action when i < 0),
// then finishes it. A panic in a stage is recorded as the strategies record it; a Goexit (the
// waiter's goroutine ends, so Process never returns) leaves the rest to a new goroutine, which
// releases m for the caller that will never do so.
func (c *choreography[T]) finishHere(m *message[T], i int) {
	returned := false
	defer func() {
		if !returned {
			c.p.stagePanicked(m, nil, true)
			c.wg.Go(func() { // stop waits for it: m is in flight
				c.finishHere(m, -1)
				c.p.release(m)
			})
		}
	}()
	for {
		if i < 0 {
			i = c.p.next(m)
		}
		if i < 0 {
			break
		}
		if c.actHere(i, m) {
			c.p.stagePanicked(m, nil, false)
		}
		i = -1
	}
	returned = true
	m.sink = nil // its waiter reads it here
	c.p.finish(m)
}

// actHere is act for finishHere, recording a stage's panic as a failed step. It reports a
// legacy panic(nil), which it cannot record itself; a Goexit unwinds past it to finishHere.
func (c *choreography[T]) actHere(i int, m *message[T]) (nilPanic bool) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if r := recover(); r != nil {
			c.p.stagePanicked(m, r, false)
		} else {
			nilPanic = true
		}
	}()
	c.p.act(i, m)
	returned = true
	return false
}

// drop takes a claimed message's stale copy out of an inbox. The copy keeps m in flight, and
// holds its slot, until both it is dropped and m's waiter has released m (see release): so that
// an inbox never holds more than it has room for, and Close waits for the copy to land.
func (c *choreography[T]) drop(m *message[T]) { c.p.release(m) }

func (c *choreography[T]) stop() {
	for _, in := range c.inboxes {
		close(in)
	}
	c.wg.Wait()
}

func (c *choreography[T]) inbox(i int) int { return len(c.inboxes[i]) }

// convoyBreak breaks convoys. A worker that sends to an idle stage readies that stage's
// goroutine on its own processor, where the other processors are slow to take it; so a stage
// with a full inbox keeps its processor while the next stage waits, all the messages in flight
// end up in one inbox at a time, and the stages run one after another on one core. So every
// convoyBreak-th message a worker handles, if more than convoyBreak still wait in its inbox
// and it has just passed the message to a stage (rather than to the result sink), it yields,
// letting that stage run beside it. (Yielding after feeding the sink only cost time.) Measured
// on 2 cores (BenchmarkOverhead, ns/step, see README): with 200 ns of work per step, 10 stages
// 244 -> 159..170 and 100 stages 222 -> 124..130; with no work, 100 stages 49 -> 34, and 1 and
// 10 stages unchanged.
const convoyBreak = 64
