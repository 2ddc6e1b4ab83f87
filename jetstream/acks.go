package jetstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// This file is how a publish's outcome reaches the code waiting for it. A hand-off is
// published as a plain NATS message whose reply subject is one of this engine's: the stream
// answers there once it has stored the hand-off (or refused it), and the continuation of
// that publish runs on the one goroutine of that subscription. It does the work of the
// client library's asynchronous publish (jetstream.PublishMsgAsync) without what a hop does
// not need: a future with two channels, a timer and a JSON decoding per publish. One ticker
// per engine times out the publishes that get no answer; a failed publish is retried (with
// deduplication) on a goroutine of its own, off that path.

// publishTimeout is how long a publish may wait for the stream's answer before it counts as
// failed (and is retried, when deduplicated): the client library's timeout was set to the
// same.
const publishTimeout = 10 * time.Second

// pendingPub is a publish waiting for the stream's answer.
type pendingPub struct {
	m    *nats.Msg
	then func(error)
	tick int64 // the acker's tick when it was published
}

// acker publishes hand-offs and calls their continuations with the stream's answers.
type acker struct {
	e      *Engine
	prefix string // reply subjects: prefix and a sequence number
	sub    *nats.Subscription

	mu   sync.Mutex
	seq  uint64
	wait map[uint64]pendingPub

	ticks   atomic.Int64   // seconds since start, by the ticker
	waiting sync.WaitGroup // publishes not settled
	done    chan struct{}  // closed by stop: the ticker returns
	loop    sync.WaitGroup
	once    sync.Once
}

func newAcker(e *Engine) (*acker, error) {
	a := &acker{e: e, wait: map[uint64]pendingPub{}, done: make(chan struct{})}
	a.prefix = e.nc.NewInbox() + "."
	sub, err := e.nc.Subscribe(a.prefix+"*", a.reply)
	if err != nil {
		return nil, fmt.Errorf("jetstream: subscribing to the publishes' answers: %w", err)
	}
	_ = sub.SetPendingLimits(-1, -1) // bounded by the messages in flight
	a.sub = sub
	a.loop.Go(a.run)
	return a, nil
}

// publish publishes m (deduplicated by its Nats-Msg-Id header, when it has one) and calls
// then with the outcome once the stream has stored it, or failed to.
func (a *acker) publish(m *nats.Msg, then func(error)) {
	a.waiting.Add(1)
	a.mu.Lock()
	a.seq++
	seq := a.seq
	a.wait[seq] = pendingPub{m: m, then: then, tick: a.ticks.Load()}
	a.mu.Unlock()
	m.Reply = a.prefix + strconv.FormatUint(seq, 36)
	if err := a.e.nc.PublishMsg(m); err != nil {
		if p, ok := a.take(seq); ok {
			a.settle(p, err)
		}
	}
}

func (a *acker) take(seq uint64) (pendingPub, bool) {
	a.mu.Lock()
	p, ok := a.wait[seq]
	delete(a.wait, seq)
	a.mu.Unlock()
	return p, ok
}

// reply is the stream's answer to a publish.
func (a *acker) reply(r *nats.Msg) {
	if len(r.Subject) <= len(a.prefix) {
		return
	}
	seq, err := strconv.ParseUint(r.Subject[len(a.prefix):], 36, 64)
	if err != nil {
		return
	}
	if p, ok := a.take(seq); ok {
		a.settle(p, pubAckError(r))
	}
}

// pubAckError is the error a stream's answer to a publish carries, or nil when it stored it
// (or had stored it already: a duplicate). Only an answer that mentions an error is decoded.
func pubAckError(r *nats.Msg) error {
	if len(r.Data) == 0 {
		if r.Header.Get("Status") == "503" {
			return jetstream.ErrNoStreamResponse
		}
		return fmt.Errorf("jetstream: publish answered with status %q %q", r.Header.Get("Status"), r.Header.Get("Description"))
	}
	if !bytes.Contains(r.Data, []byte(`"error"`)) {
		return nil
	}
	var ack struct {
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(r.Data, &ack); err != nil {
		return fmt.Errorf("jetstream: reading a publish's answer: %w", err)
	}
	if ack.Error != nil {
		return ack.Error
	}
	return nil
}

// settle calls p's continuation with its outcome; a failed publish is retried (with
// deduplication) on a goroutine of its own, so that the answers behind it are not held up.
func (a *acker) settle(p pendingPub, err error) {
	defer a.waiting.Done()
	e := a.e
	switch {
	case err == nil:
		p.then(nil)
	case e.cfg.NoDedup:
		p.then(err) // without deduplication a retry could store it twice
	default:
		e.wg.Go(func() { p.then(e.retry(p.m)) })
	}
}

// run counts the seconds and fails the publishes that waited longer than publishTimeout.
func (a *acker) run() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	limit := int64(publishTimeout / time.Second)
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
		}
		now := a.ticks.Add(1)
		var late []pendingPub
		a.mu.Lock()
		for seq, p := range a.wait {
			if now-p.tick > limit {
				late = append(late, p)
				delete(a.wait, seq)
			}
		}
		a.mu.Unlock()
		for _, p := range late {
			a.settle(p, errPublishTimeout)
		}
	}
}

var errPublishTimeout = errors.New("jetstream: the stream did not answer a publish in time")

// stop waits for the publishes made to be settled, and returns; nothing may be published
// after it.
func (a *acker) stop() {
	a.once.Do(func() {
		a.waiting.Wait()
		close(a.done)
		a.loop.Wait()
		_ = a.sub.Unsubscribe()
	})
}
