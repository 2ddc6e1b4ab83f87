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

// forward is dispatch, returning the index of the inbox m went to, or -1 when it finished.
func (c *choreography[T]) forward(m *message[T]) int {
	if i := c.p.next(m); i >= 0 {
		c.inboxes[i] <- m // never blocks: see the type's comment
		return i
	}
	c.p.finish(m)
	return -1
}

func (c *choreography[T]) process(m *message[T]) {
	m.sink = m.reply
	c.dispatch(m)
	<-m.reply
}

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
