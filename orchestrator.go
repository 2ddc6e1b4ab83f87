package baton

import (
	"runtime"
	"sync"

	"github.com/baton-go/baton/internal/handoff"
)

// orchestrator is the orchestrated strategy: a central executor reads each message's slip and
// runs its steps one after another in a single goroutine — the caller's for Process, one of a
// set of drivers for streams. A stage's Workers cap is a semaphore taken around its steps.
//
// Concurrency is the same as choreography's for the same stage options: there are as many
// drivers as choreography has stage goroutines (one per stage, or its Workers; one more when a
// stage has a Workers cap, so that a message waiting for its slot is parked with it and counted
// in its Inbox even when every other driver is inside a capped step; at least GOMAXPROCS, at
// most the in-flight bound), and a driver never waits for a busy stage's worker
// slot: it parks the message with that stage and drives another, so a message never waits
// behind messages queued for a stage it does not need. A caller of Process waits for the slot
// itself, honouring its context.
//
// Cost: see the package doc, "Cost".
type orchestrator[T any] struct {
	p       *Pipeline[T]
	drivers int
	work    *handoff.Ring[*message[T]] // streamed messages waiting for a driver, taken one at a time
	parked  []chan *message[T]         // per stage with a Workers cap: messages waiting for a slot
	wg      sync.WaitGroup
}

func newOrchestrator[T any](p *Pipeline[T]) *orchestrator[T] {
	o := &orchestrator[T]{p: p, parked: make([]chan *message[T], len(p.stages))}
	workers, spare := 0, 0
	for i := range p.stages {
		workers += max(1, p.stages[i].cfg.workers)
		if p.stages[i].sem != nil {
			o.parked[i] = make(chan *message[T], p.inflight.Cap())
			spare = 1 // a driver beyond the capped stages' slots parks what waits for them
		}
	}
	o.drivers = min(max(workers+spare, runtime.GOMAXPROCS(0), p.cfg.minDrivers), p.inflight.Cap())
	o.work = handoff.NewRing[*message[T]](p.inflight.Cap(), o.drivers)
	return o
}

func (o *orchestrator[T]) start() {
	for range o.drivers {
		o.wg.Go(o.driver)
	}
}

// driver is a driver goroutine: it runs streamed messages, one at a time, to their end or until
// they park. Every driver takes from the work ring itself, one message at a time (a
// compare-and-swap and a store on the message's cell: internal/handoff's Ring), and parks only
// when the ring is empty, so no message waits behind another while a driver could start it —
// there is no batch for it to wait in. An observer that calls runtime.Goexit as a message
// finishes (unsupported: see Observer) ends the driver after the message is delivered, and a
// new driver takes its place.
func (o *orchestrator[T]) driver() {
	returned := false
	defer func() {
		if !returned {
			o.wg.Go(o.driver) // stop waits for it: this driver is running, so stop has not ended
		}
	}()
	for {
		m, ok := o.work.Next()
		if !ok {
			break
		}
		o.process(m)
	}
	returned = true
}

func (o *orchestrator[T]) dispatch(m *message[T]) { o.work.Put(m) }

// process drives m from its current step to its end, then finishes it — unless m parked, to
// be driven on by whoever gives it its stage's slot. A stage's panic is recorded as its step's
// failure and m driven on; a stage's runtime.Goexit ends this goroutine, and m is carried on in
// a new one (see rescue).
func (o *orchestrator[T]) process(m *message[T]) {
	for {
		outcome, held := finished, -1 // held: the stage whose slot m holds
		drove := contain(func() { outcome = o.drive(m, &held) }, func(pe *PanicError) {
			o.free(held)
			held = -1 // freed once, also if an observer told of the failure calls Goexit
			o.p.stagePanicked(m, pe)
		}, func() {
			o.free(held)
			o.p.stagePanicked(m, nil)
			o.rescue(m)
		})
		if !drove {
			continue // the stage's step is recorded as failed: drive m on
		}
		if outcome == finished {
			o.p.finish(m)
		}
		return
	}
}

// What drive did with a message.
const (
	finished = iota // m is at its end: finish it
	parked          // m waits for a stage's worker slot in that stage's parked queue
)

// drive runs m's actions until it is finished or parks, keeping in *held the stage whose slot
// it holds while it acts there. Panics unwind to process: no defer on the step.
func (o *orchestrator[T]) drive(m *message[T], held *int) int {
	p := o.p
	i := m.resume // a message given its slot by handOff resumes where it parked
	if !m.hasSem {
		i = p.steps(m) // next is not idempotent (compensation moves its cursor): ask it once per step
	}
	for ; i >= 0; i = p.steps(m) { // steps runs the plain steps itself (step.go)
		if p.hot[i].sem == nil {
			p.act(i, m)
			continue
		}
		switch o.take(i, m) {
		case slotTaken:
			*held = i
			p.act(i, m)
			*held = -1
			o.free(i)
		case slotParked:
			return parked
		case slotStopped:
			// m's context ended while it waited: next starts its compensation
		}
	}
	return finished
}

// What take did.
const (
	slotTaken   = iota // m holds stage i's slot
	slotParked         // m waits in stage i's parked queue
	slotStopped        // m's context ended while it waited (Process only); its error is set
)

// take gives m a worker slot of stage i. A streamed message that finds none free parks: its
// driver goes on with other messages. A Process caller waits, honouring m's context (and
// Shutdown's abort), as a message waiting in a choreographed inbox does.
func (o *orchestrator[T]) take(i int, m *message[T]) int {
	if m.hasSem {
		m.hasSem = false // given by free or park along with the message
		return slotTaken
	}
	sem := o.p.stages[i].sem
	select {
	case sem <- struct{}{}:
		return slotTaken
	default:
	}
	if m.sink == nil { // inline Process: this is the caller's goroutine; let it wait
		if m.compensating {
			sem <- struct{}{} // compensation runs whatever the context says
			return slotTaken
		}
		done := o.p.waitDone(m)
		select {
		case sem <- struct{}{}:
			return slotTaken
		case <-done:
			o.p.stopped(m)
			return slotStopped
		}
	}
	m.resume = i
	o.parked[i] <- m // never blocks: room for every message in flight
	o.handOff(i)
	return slotParked
}

// free gives back a slot of stage i, to a parked message if one waits. free(-1) does nothing.
func (o *orchestrator[T]) free(i int) {
	if i < 0 {
		return
	}
	<-o.p.stages[i].sem
	o.handOff(i)
}

// handOff gives free slots of stage i to parked messages, each sent to a driver with its slot.
// Both free and take call it after their own change, so a slot freed as a message parks is
// never missed: whichever change comes last sees the other.
func (o *orchestrator[T]) handOff(i int) {
	sem, q := o.p.stages[i].sem, o.parked[i]
	for len(q) > 0 {
		select {
		case sem <- struct{}{}:
		default:
			return // no slot free: the next free hands off
		}
		select {
		case m := <-q:
			m.hasSem = true
			o.work.Put(m) // never blocks (internal/handoff)
		default:
			<-sem // another hand-off took it first
		}
	}
}

// rescue carries on m, whose goroutine a stage ended with runtime.Goexit, in a new goroutine, to
// its end — then, when the dead goroutine was a caller of Process, which will never return,
// releasing m for it. A dead driver is replaced by driver's own deferred call, not here: the
// rescuing goroutine ends with m, so that the number of drivers stays what it was.
func (o *orchestrator[T]) rescue(m *message[T]) {
	inline := m.sink == nil
	o.wg.Go(func() { // stop waits for it: m is in flight, so stop has not begun
		o.process(m)
		if inline {
			o.p.release(m)
		}
	})
}

func (o *orchestrator[T]) stop() {
	o.work.Close()
	o.wg.Wait()
}

func (o *orchestrator[T]) inbox(i int) int {
	if o.parked[i] == nil {
		return 0
	}
	return len(o.parked[i])
}
