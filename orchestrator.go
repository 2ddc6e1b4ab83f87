package baton

import "sync"

// orchestrator is the orchestrated strategy: a central executor reads each message's slip and
// runs its steps one after another in a single goroutine — the caller's for Process, one of a
// fixed set of drivers for streams. A stage's Workers cap is a semaphore taken around its steps.
//
// Cost: Process adds to each step a slice read, a log append and the stage's counters, and per
// message one in-flight token; streams add one channel hand-off per message to a driver and one
// to the stream. See the README's performance section for measured numbers.
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
		o.wg.Go(func() {
			for m := range o.work {
				o.process(m)
			}
		})
	}
}

func (o *orchestrator[T]) dispatch(m *message[T]) { o.work <- m }

// process drives m from its current step to its end, then finishes it.
func (o *orchestrator[T]) process(m *message[T]) {
	p := o.p
	for i := p.next(m); i >= 0; i = p.next(m) {
		if sem := p.stages[i].sem; sem != nil {
			sem <- struct{}{}
			p.act(i, m)
			<-sem
		} else {
			p.act(i, m)
		}
	}
	p.finish(m)
}

func (o *orchestrator[T]) stop() {
	close(o.work)
	o.wg.Wait()
}

func (o *orchestrator[T]) inbox(int) int { return 0 }
