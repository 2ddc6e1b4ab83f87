package jetstream

import (
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// This file is how a publish's outcome reaches the code waiting for it: one goroutine per
// engine, not one per publish. Every hand-off goes to the pipeline's one stream, whose server
// acknowledges the publishes in the order it stores them, so a single goroutine waiting on
// their futures in publication order is seldom held up by one that is slow; a failed publish
// is retried on a goroutine of its own, off that path.

// ackQueue is the size of the queue of publishes waiting for their acknowledgement: the
// client library's own bound on asynchronous publishes (4,000 by default) is of the same
// order, so a worker seldom waits here.
const ackQueue = 4096

// pendingPub is a publish waiting for the server's acknowledgement.
type pendingPub struct {
	f    jetstream.PubAckFuture // nil: the publish failed at once (err)
	err  error
	m    *nats.Msg
	opts []jetstream.PublishOpt
	then func(error)
}

// acker waits for the publishes' acknowledgements, in order, and calls their continuations.
type acker struct {
	e     *Engine
	queue chan pendingPub
	done  chan struct{} // closed by stop: drain the queue and return
	wg    sync.WaitGroup
	once  sync.Once
}

func newAcker(e *Engine) *acker {
	a := &acker{e: e, queue: make(chan pendingPub, ackQueue), done: make(chan struct{})}
	a.wg.Go(a.run)
	return a
}

// add queues a publish; its continuation runs once the server has stored it, or failed to.
func (a *acker) add(p pendingPub) { a.queue <- p }

func (a *acker) run() {
	for {
		select {
		case p := <-a.queue:
			a.settle(p)
		case <-a.done:
			for {
				select {
				case p := <-a.queue:
					a.settle(p)
				default:
					return
				}
			}
		}
	}
}

// settle waits for p's outcome and calls its continuation; a failed publish is retried (with
// deduplication) on a goroutine of its own, so that the publishes behind it are not held up.
func (a *acker) settle(p pendingPub) {
	err := p.err
	if p.f != nil {
		select {
		case <-p.f.Ok():
			p.then(nil)
			return
		case err = <-p.f.Err():
		}
	}
	e := a.e
	if e.cfg.NoDedup {
		p.then(err) // without deduplication a retry could store it twice
		return
	}
	e.wg.Go(func() { p.then(e.retry(p.m, p.opts)) })
}

// stop settles the publishes queued and returns; nothing may be queued after it.
func (a *acker) stop() {
	a.once.Do(func() { close(a.done) })
	a.wg.Wait()
}
