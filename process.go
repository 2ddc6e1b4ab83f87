package baton

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-go/baton/internal/handoff"
)

// This file is how a message enters a pipeline: Process and ProcessResult, and the checks and
// in-flight slot every accepted message takes.

// Process runs one message end to end and returns its final value and error (see the package
// doc, "Results"). Under orchestration it runs in the caller's goroutine; under choreography the
// message travels the stage goroutines and Process waits for it. It waits, honouring ctx, for
// room in flight. ctx is the message's context: its end stops the message (see "Stopping a
// message"). With a context of one of the pipeline's own messages it returns ErrReentrant. Its
// cost depends on ctx (see "Cost").
func (p *Pipeline[T]) Process(ctx context.Context, msg T) (T, error) {
	m, err := p.processOne(ctx, msg)
	if err != nil {
		return msg, err
	}
	out, err := m.value, m.err
	p.release(m)
	return out, err
}

// ProcessResult is Process returning the message's whole Result: its value, its error, its
// slip's log, its ID and its key. It runs the message exactly as Process does, and allocates
// nothing more for a message that completed the default itinerary unrevised (its log is the
// shared read-only one: see Result.Log); any other message's log costs one allocation. Seq is
// 0. A message refused before it was accepted (see Process's errors) has ID 0 and no log.
func (p *Pipeline[T]) ProcessResult(ctx context.Context, msg T) Result[T] {
	m, err := p.processOne(ctx, msg)
	if err != nil {
		return Result[T]{Value: msg, Err: err, Key: p.keyOf(msg)}
	}
	r := p.result(m)
	p.release(m)
	return r
}

// processOne admits msg, accepts it and runs it to its end under the strategy, or returns why it
// was refused. The caller reads the finished message, then releases it.
func (p *Pipeline[T]) processOne(ctx context.Context, msg T) (*message[T], error) {
	if err := p.admit(ctx); err != nil {
		return nil, err
	}
	if err := p.acquire(ctx, nil); err != nil {
		return nil, err
	}
	m := p.newMessage(ctx, msg, false)
	p.strat.process(m)
	return m, nil
}

// admit refuses a new message before it waits for anything: ErrClosed once the pipeline is
// closing (whatever ctx says), ErrReentrant for a context of one of p's own messages.
func (p *Pipeline[T]) admit(ctx context.Context) error {
	select {
	case <-p.closing:
		return ErrClosed
	default:
	}
	if p.reentrant(ctx) {
		return fmt.Errorf("%w: the context is one of this pipeline's own messages' (a stage calling its own pipeline would wait for the worker it holds)", ErrReentrant)
	}
	return nil
}

// acquire takes an in-flight slot and enters the pipeline. While no slot is free it waits, until
// ctx is done (its cause), the stream's context is done (its cause) or its sending side closed
// (ErrStreamClosed) — s may be nil — or the pipeline closes (ErrClosed).
func (p *Pipeline[T]) acquire(ctx context.Context, s *Stream[T]) error {
	if err := p.room(p.inflight, ctx, s); err != nil {
		return err
	}
	if !p.enter() {
		p.inflight.Release()
		return ErrClosed
	}
	p.startOnce.Do(p.start)
	return nil
}

// room takes a token of tokens — an in-flight slot, or a stream's room for an unread result.
// While none is free it waits, until ctx is done (its cause), the stream's context is done (its
// cause) or its sending side closed (ErrStreamClosed) — s may be nil — or the pipeline closes
// (ErrClosed).
func (p *Pipeline[T]) room(tokens *handoff.Gate, ctx context.Context, s *Stream[T]) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if tokens.TryAcquire() {
		return nil
	}
	var streamDone, eof <-chan struct{}
	if s != nil {
		streamDone, eof = s.ctx.Done(), s.eof
	}
	w := tokens.Wait()
	select {
	case <-w.Ready():
		tokens.Done(w, true)
		return nil
	case <-ctx.Done():
		tokens.Done(w, false)
		return context.Cause(ctx)
	case <-streamDone:
		tokens.Done(w, false)
		return context.Cause(s.ctx)
	case <-eof:
		tokens.Done(w, false)
		return ErrStreamClosed
	case <-p.closing:
		tokens.Done(w, false)
		return ErrClosed
	}
}

func (p *Pipeline[T]) start() {
	p.begun.Store(time.Now().UnixNano())
	p.strat.start()
}
