package baton

import (
	"runtime"
	"sync"

	"github.com/baton-go/baton/internal/handoff"
)

// choreography is the choreographed strategy: each stage owns an inbox and Workers goroutines
// (default one). A worker runs the message's pending action, reads the slip itself and passes the
// message straight to the next stage's inbox — or to its result sink when the slip is done. No
// central goroutine touches a message between steps.
//
// An inbox is a lock-free ring (internal/handoff's Ring) that every worker of the stage takes
// from directly, one message at a time: a hand-off is a compare-and-swap and a store on the
// sender's side and a load and a store on the worker's (several workers add a compare-and-swap),
// with no lock and no word both sides write. So no message waits in one worker's batch while
// another worker of its stage is idle, and a lone message goes at once. A worker
// never holds back a message it has passed on: each goes to the next inbox as its step ends,
// before the worker runs any other user code. A worker parks only when its inbox is empty; a
// sender pays for a wake-up (one channel send) only when a worker is parked.
//
// Deadlock freedom, by construction: no hand-off ever blocks. An inbox has room for every
// ticket there can be, and would overflow into a list rather than block: no more messages are
// ever accepted than WithMaxInFlight allows, a message holds its in-flight slot until it has
// left every inbox, and a message is in at most two inboxes at once (its ticket, and a stale
// one once its Process caller claimed it: see claim.go) — whatever the slips, revisits and
// cycles included.
//
// The figures are in the package doc, "Cost"; see convoyBreak for how it keeps the stages
// running side by side.
type choreography[T any] struct {
	p       *Pipeline[T]
	inboxes []*handoff.Ring[ticket[T]]
	wg      sync.WaitGroup
}

// ticket is a message in an inbox. gen is the message's generation when it was sent: a
// claimed message's older tickets are stale (see claim.go); other messages keep generation 0.
type ticket[T any] struct {
	m   *message[T]
	gen uint32
}

func newChoreography[T any](p *Pipeline[T]) *choreography[T] {
	c := &choreography[T]{p: p, inboxes: make([]*handoff.Ring[ticket[T]], len(p.stages))}
	for i := range c.inboxes {
		// Room for every ticket there can be (see the type's comment): the ring never overflows.
		c.inboxes[i] = handoff.NewRing[ticket[T]](2*p.inflight.Cap(), max(1, p.stages[i].cfg.workers))
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

// work is a goroutine of stage i: act on each message of its inbox, then pass it on, until the
// inbox is closed. A stage's panic is recorded as its step's failure and the message passed on;
// a stage's runtime.Goexit ends this goroutine: the rest of its batch goes back to the inbox, a
// new worker takes its place, and the message goes on. An observer's Goexit once the message
// has left this worker ends only the worker.
func (c *choreography[T]) work(i int) {
	in := c.inboxes[i]
	for {
		var m *message[T] // the message being served; nil once it has left this worker
		if contain(func() { c.serve(i, in, &m) }, func(pe *PanicError) {
			c.p.stagePanicked(m, pe)
			held := m
			m = nil // dispatch may finish it: a Goexit in an observer there is no step's
			c.dispatch(held)
		}, func() {
			c.wg.Go(func() { c.work(i) }) // stop waits for it: this worker runs, so stop has not ended
			if m != nil {
				c.p.stagePanicked(m, nil)
				c.dispatch(m)
			}
		}) {
			return // the inbox is closed
		}
	}
}

// serve acts on the messages of stage i's inbox in, taken one at a time, until it is closed,
// keeping in *mp the message it holds. Panics unwind to work: no defer on the step.
func (c *choreography[T]) serve(i int, in *handoff.Ring[ticket[T]], mp **message[T]) {
	n := 0
	for {
		t, ok := in.Next()
		if !ok {
			return
		}
		m := t.m
		if m.claimable && !m.hold.CompareAndSwap(where(t.gen, queued), where(t.gen, held)) {
			c.drop(m) // a stale ticket: its waiter claimed it
			continue
		}
		*mp = m
		c.p.act(i, m)
		*mp = nil // forward may finish m: a Goexit in an observer there is no step's
		to := c.forward(m)
		if n++; n%convoyBreak == 0 && to >= 0 && in.Backlog() > convoyBreak {
			runtime.Gosched()
		}
	}
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
	var gen uint32
	if m.claimable {
		m.resume = i // next has decided: whoever takes m on starts there
		gen = generation(m.hold.Load())
		if !m.hold.CompareAndSwap(where(gen, held), where(gen, queued)) {
			m.handoff <- struct{}{} // its waiter wants it back: see claim
			return -1
		}
	}
	c.inboxes[i].Put(ticket[T]{m, gen}) // never blocks: see the type's comment
	return i
}

func (c *choreography[T]) stop() {
	for _, in := range c.inboxes {
		in.Close()
	}
	c.wg.Wait()
}

func (c *choreography[T]) inbox(i int) int { return c.inboxes[i].Len() }

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
