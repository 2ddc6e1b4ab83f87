package baton

import "sync"

// orchestrator is the orchestrated strategy: a central executor reads each message's slip and
// runs its steps one after another in a single goroutine — the caller's for Process, one of a
// fixed set of drivers for streams. A stage's Workers cap is a semaphore taken around its steps.
//
// Cost, measured by BenchmarkOverhead on 2 cores (README, "Performance"): Process adds about
// 9 ns to each step of a stage with the default policy beyond the stage's own work (a direct
// call through the Stage interface costs about 1.7 ns), about 80 ns per message, and allocates
// nothing. Streams add about 300 ns per message (in-flight token, hand-off to a driver and back)
// and nothing per step: 42 ns/step at 10 stages, 13 ns/step at 100, against 14 and 3.4 for a
// hand-written worker pool; a message on the default itinerary allocates nothing.
type orchestrator[T any] struct {
	p    *Pipeline[T]
	work chan *message[T] // streamed messages waiting for a driver; room for all in flight
	wg   sync.WaitGroup
}

func newOrchestrator[T any](p *Pipeline[T]) *orchestrator[T] {
	return &orchestrator[T]{p: p, work: make(chan *message[T], cap(p.slots))}
}

func (o *orchestrator[T]) start() {
	for range o.p.cfg.drivers {
		o.wg.Go(o.driver)
	}
}

// driver is a driver goroutine: it runs streamed messages to their end, one at a time.
func (o *orchestrator[T]) driver() {
	for m := range o.work {
		o.process(m)
	}
}

func (o *orchestrator[T]) dispatch(m *message[T]) { o.work <- m }

// process drives m from its current step to its end, then finishes it.
func (o *orchestrator[T]) process(m *message[T]) {
	for !o.guard(m) {
	}
	o.p.finish(m)
}

// guard runs drive and deals with what drive's recover cannot tell apart: a runtime.Goexit in a
// stage (drive never returns: the message is carried on in another goroutine) and, under the
// legacy GODEBUG=panicnil=1, a panic(nil) (drive returns, the step not yet recorded).
func (o *orchestrator[T]) guard(m *message[T]) (done bool) {
	returned := false
	defer func() {
		if !returned {
			o.p.stagePanicked(m, nil, true)
			o.rescue(m)
		}
	}()
	done, nilPanic := o.drive(m)
	returned = true
	if nilPanic {
		o.p.stagePanicked(m, nil, false)
	}
	return done
}

// drive runs m's actions until it is finished (true) or a stage panicked (false, the step
// recorded as failed; or, when the panic's value was nil, left to guard). Recovering here
// rather than around each step keeps defer off the step.
func (o *orchestrator[T]) drive(m *message[T]) (done, nilPanic bool) {
	p := o.p
	var held chan struct{}
	defer func() {
		if done {
			return
		}
		if held != nil {
			<-held
		}
		if r := recover(); r != nil {
			p.stagePanicked(m, r, false)
		} else {
			nilPanic = true // or a Goexit, which never reaches guard's return
		}
	}()
	for i := p.next(m); i >= 0; i = p.next(m) {
		if held = p.stages[i].sem; held != nil {
			held <- struct{}{}
			p.act(i, m)
			<-held
			held = nil
		} else {
			p.act(i, m)
		}
	}
	return true, false
}

// rescue carries on m, whose goroutine a stage ended with runtime.Goexit, in a new goroutine:
// to its end, then — when the dead goroutine was a driver — as the driver that replaces it, or
// — when it was a caller of Process, which will never return — releasing m for it.
func (o *orchestrator[T]) rescue(m *message[T]) {
	inline := m.sink == nil
	o.wg.Go(func() { // stop waits for it: m is in flight, so stop has not begun
		o.process(m)
		if inline {
			o.p.release(m)
			return
		}
		o.driver()
	})
}

func (o *orchestrator[T]) stop() {
	close(o.work)
	o.wg.Wait()
}

func (o *orchestrator[T]) inbox(int) int { return 0 }
