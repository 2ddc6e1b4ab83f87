package baton

// This file is how a Process caller under choreography takes its message back when the
// message's context ends (or Shutdown aborts) while the message waits in an inbox behind a busy
// worker — one that is waiting for this very caller, say: the message then stops where it
// waits, as under orchestration, where the caller itself waits for the stage's worker slot.
//
// Where a claimable message is, is its hold: one atomic word holding its generation and one of
// these, so that a worker's single compare-and-swap checks both that its ticket is the live one
// and that the message still waits for it.
const (
	held    = iota // a worker has it, or is passing it on
	queued         // its ticket waits in an inbox
	claimed        // its waiter took it out of the inbox; that ticket is stale
	wanted         // its waiter waits for the worker holding it to hand it over
)

// where packs a generation and a place into a hold; generation unpacks the generation.
func where(gen uint32, place uint64) uint64 { return uint64(gen)<<2 | place }
func generation(hold uint64) uint32         { return uint32(hold >> 2) }

// A claimed message's stale ticket stays in its inbox until a worker takes it and drops it: the
// message's generation, raised by the claim, tells stale tickets from the live one, and the message holds
// its in-flight slot until both its waiter has released it and its stale ticket is dropped (see
// Pipeline.release), so that what the inboxes hold stays bounded by the in-flight bound.

// process sends m into the stage graph and waits for its result — or, once m's context ends,
// claims it.
func (c *choreography[T]) process(m *message[T]) {
	m.replies = true
	m.claimable = true
	done := c.p.waitDone(m)
	c.dispatch(m)
	select {
	case <-m.reply:
		return
	case <-done:
	}
	c.claim(m)
}

// claim gets m back: at once when it waits in an inbox; else it asks the worker holding it to
// hand it over at its next hand-off, and waits for that or for m's result.
func (c *choreography[T]) claim(m *message[T]) {
	for {
		// Its waiter and the stale ticket each release a claimed message (see release):
		// counted before it is claimed, for the stale ticket may be taken at once.
		m.stale.Store(2)
		gen := generation(m.hold.Load())
		if m.hold.CompareAndSwap(where(gen, queued), where(gen+1, claimed)) { // its ticket is stale now
			m.claimed = true
			c.resume(m)
			return
		}
		m.stale.Store(0)
		if m.hold.CompareAndSwap(where(gen, held), where(gen, wanted)) {
			select {
			case <-m.reply:
			case <-m.handoff:
				c.resume(m)
			}
			return
		}
	}
}

// resume takes m on where it was going (m.resume) in its waiter's goroutine. A step it was
// waiting for does not start: its context has ended, so act only records the stop, running no
// stage code. What comes next are compensations, which run on their stages, within their
// Workers, whatever the context says: m goes back into the graph for them, no more claimable in
// effect (its waiter waits for its result), and the waiter waits.
func (c *choreography[T]) resume(m *message[T]) {
	i := m.resume
	if !m.compensating {
		c.p.act(i, m)
		i = c.p.next(m)
	}
	if i < 0 {
		m.replies = false // its waiter reads it here
		returned := false
		defer func() {
			if !returned { // an observer's Goexit as m finished: the waiter will never release m
				c.p.release(m)
			}
		}()
		c.p.finish(m)
		returned = true
		return
	}
	m.resume = i
	gen := generation(m.hold.Load())
	m.hold.Store(where(gen, queued))
	c.inboxes[i].Put(ticket[T]{m, gen}) // never blocks: see the choreography type's comment
	<-m.reply
}

// drop takes a claimed message's stale ticket out of an inbox.
func (c *choreography[T]) drop(m *message[T]) { c.p.release(m) }
