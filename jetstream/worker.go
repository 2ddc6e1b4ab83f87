package jetstream

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton"
	"github.com/nats-io/nats.go/jetstream"
)

// This file is the worker's side: a stage's durable consumer, and what a worker does with a
// hand-off — run the step, publish the next hand-off, acknowledge only after the publish is
// stored.

// serve starts the workers of stage: a durable consumer shared by every process hosting it,
// and max(1, Workers) goroutines in this one.
func (e *Engine) serve(ctx context.Context, stage string) error {
	workers := max(1, e.host.Workers(stage))
	cons, err := e.js.CreateOrUpdateConsumer(ctx, e.stream, jetstream.ConsumerConfig{
		Durable:       "stage_" + token(stage),
		FilterSubject: e.stageSubject(stage),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.cfg.AckWait,
		MaxDeliver:    e.cfg.MaxDeliver,
		MaxAckPending: e.cfg.MaxPending,
		Replicas:      e.cfg.Replicas,
		MemoryStorage: e.cfg.Memory,
	})
	if err != nil {
		return fmt.Errorf("jetstream: consumer of stage %q: %w", stage, err)
	}
	queued := new(atomic.Int64)
	e.pending[stage] = queued
	work := make(chan jetstream.Msg, workers)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		queued.Add(1)
		work <- m
	}, pullOpts(min(pullAhead*workers, e.cfg.MaxPending))...)
	if err != nil {
		return fmt.Errorf("jetstream: consuming stage %q: %w", stage, err)
	}
	e.consumes = append(e.consumes, cc)
	e.workers.Go(func() {
		<-cc.Closed()
		close(work)
	})
	for range workers {
		e.workers.Go(func() {
			beat := e.newBeat()
			defer beat.stop()
			for m := range work {
				queued.Add(-1)
				e.handle(stage, m, beat)
			}
		})
	}
	return nil
}

// Pull requests. The client library keeps a stage's buffer of fetched hand-offs filled with
// pull requests that expire after pullExpiry; the server sends an idle heartbeat every
// pullHeartbeat while one waits. Two missed heartbeats make the library pull anew. Measured
// here under load: now and then a stage's pull request is gone from the server while the
// library still counts on it (the consumer shows no request waiting and no hand-off
// delivered, with hundreds stored); with the library's defaults (30s expiry, 15s heartbeat)
// that stage then stood still for 30 seconds, with every message in flight waiting for it.
// With these values it resumes within a second.
const (
	pullAhead     = 8 // hand-offs a stage's workers fetch ahead, per worker (2 measured 15-20% slower)
	pullExpiry    = 2 * time.Second
	pullHeartbeat = 500 * time.Millisecond // the library's least
)

// pullOpts are the Consume options of a consumer buffering up to n hand-offs.
func pullOpts(n int) []jetstream.PullConsumeOpt {
	return []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(n), jetstream.PullExpiry(pullExpiry), jetstream.PullHeartbeat(pullHeartbeat)}
}

// handle runs the step a hand-off asks for and passes the message on. It acknowledges the
// hand-off only once the next one is stored; on a failed publish it asks for a redelivery, so
// the step runs again and its hand-off, deduplicated, is published once.
func (e *Engine) handle(stage string, m jetstream.Msg, beat *beat) {
	env, err := e.envelope(m)
	if err != nil {
		e.report(fmt.Errorf("jetstream: stage %q: dropped a message that says not where it comes from: %w", stage, err))
		_ = m.Term()
		return
	}
	env.Stage = stage
	ctx := e.ctx
	if e.cfg.Extract != nil {
		ctx = e.cfg.Extract(ctx, m.Headers())
	}
	beat.start(m)
	out, lost := e.step(ctx, stage, env, m)
	beat.stop()
	out.Origin, out.ID = env.Origin, env.ID
	subject := e.resultSubject(env.Origin)
	if lost == nil && out.Stage != "" {
		subject = e.stageSubject(out.Stage)
	}
	if lost != nil {
		out.Step = env.Step + 1
	}
	e.publish(context.WithoutCancel(ctx), subject, out, lost, func(err error) {
		if err != nil {
			_ = m.NakWithDelay(100 * time.Millisecond) // it runs again; its hand-off is deduplicated
			return
		}
		if e.afterPublish != nil {
			e.afterPublish(stage, out)
		}
		_ = m.Ack()
	})
}

// step runs env's step, or fails it when this is its last allowed delivery. lost is why the
// message cannot go on (it goes to its submitter as lost).
func (e *Engine) step(ctx context.Context, stage string, env baton.Envelope, m jetstream.Msg) (out baton.Envelope, lost error) {
	if v := m.Headers().Get(hdrVersion); v != strconv.Itoa(baton.StateVersion) {
		return out, fmt.Errorf("%w: stage %q got a message of state version %q; this process reads version %d", baton.ErrEngine, stage, v, baton.StateVersion)
	}
	var err error
	if meta, merr := m.Metadata(); merr == nil && meta.NumDelivered >= uint64(e.cfg.MaxDeliver) {
		reason := fmt.Errorf("%w: jetstream: stage %q was delivered the message %d times without finishing its step (its workers crashed or stalled)", baton.ErrEngine, stage, meta.NumDelivered)
		out, err = e.host.Fail(ctx, env, reason)
	} else {
		out, err = e.host.Step(ctx, env)
	}
	if err != nil {
		return out, err
	}
	return out, nil
}

// beat tells the server that a worker's step is still running, every third of AckWait, so
// that a long step is not delivered again. Each worker has one, and its timer, for all its
// steps: starting and stopping it costs a timer reset, not a timer.
type beat struct {
	every time.Duration
	mu    sync.Mutex
	m     jetstream.Msg // the hand-off whose step runs; nil between steps
	t     *time.Timer
}

func (e *Engine) newBeat() *beat {
	b := &beat{every: e.cfg.AckWait / 3}
	b.t = time.AfterFunc(time.Hour, b.tick)
	b.t.Stop()
	return b
}

func (b *beat) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m != nil {
		_ = b.m.InProgress()
		b.t.Reset(b.every)
	}
}

// start beats for m until stop.
func (b *beat) start(m jetstream.Msg) {
	b.mu.Lock()
	b.m = m
	b.t.Reset(b.every)
	b.mu.Unlock()
}

func (b *beat) stop() {
	b.mu.Lock()
	b.m = nil
	b.t.Stop()
	b.mu.Unlock()
}

// envelope reads the headers of a hand-off.
func (e *Engine) envelope(m jetstream.Msg) (baton.Envelope, error) {
	h := m.Headers()
	origin := h.Get(hdrOrigin)
	id, err := strconv.ParseUint(h.Get(hdrID), 10, 64)
	if err != nil || origin == "" {
		return baton.Envelope{}, fmt.Errorf("headers %s %q, %s %q", hdrOrigin, origin, hdrID, h.Get(hdrID))
	}
	step, err := strconv.Atoi(h.Get(hdrStep))
	if err != nil || step < 1 {
		step = 1 // a hand-off without its number still goes back to its submitter
	}
	return baton.Envelope{ID: id, Origin: origin, Local: origin == e.origin, Step: step, State: m.Data()}, nil
}

func (e *Engine) report(err error) {
	if e.cfg.OnError != nil {
		e.cfg.OnError(err)
	}
}

// lostError is the error of a message a worker could not carry on, as its submitter gets it.
type lostError struct {
	text         string
	unknownStage bool
}

func (e *lostError) Error() string { return e.text }
func (e *lostError) Is(target error) bool {
	return target == baton.ErrEngine || (e.unknownStage && target == baton.ErrUnknownStage)
}

// token makes name usable as one token of a subject and in a consumer's name: itself when it
// is made of letters, digits, '-' and '_', else "x" and its hexadecimal bytes.
func token(name string) string {
	ok := name != ""
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			ok = false
			break
		}
	}
	if ok && !strings.HasPrefix(name, "x") {
		return name
	}
	return "x" + fmt.Sprintf("%x", name)
}
