package baton

import (
	"context"
	"fmt"
)

// This file is how a pipeline stops: Close, Shutdown, and the count of messages in flight that
// tells them when everything has finished.

// enter counts an accepted message, unless the pipeline is closing.
func (p *Pipeline[T]) enter() bool {
	for {
		s := p.state.Load()
		if s&1 != 0 {
			return false
		}
		if p.state.CompareAndSwap(s, s+2) {
			return true
		}
	}
}

// leave counts a finished message and wakes Close when it was the last.
func (p *Pipeline[T]) leave() {
	if p.state.Add(-2) == 1 {
		close(p.drained)
	}
}

// Close stops intake, waits for every message in flight to finish, and stops the pipeline's
// goroutines. Calls made after Close begins fail with ErrClosed; submissions waiting for room
// return ErrClosed. Results already finished stay readable from their streams. Close is safe
// to call before any use, twice, and concurrently; every call returns after the pipeline has
// stopped, and returns nil.
//
// Called from inside a stage while the pipeline has messages in flight, Close cannot wait (it
// would wait for its own caller's message): it stops intake, returns an error matching
// ErrReentrant at once, and the pipeline stops by itself once its messages have finished.
func (p *Pipeline[T]) Close() error {
	p.closeOnce.Do(p.beginClose)
	if err := p.notFromStage("Close"); err != nil {
		return err
	}
	<-p.drained
	p.stop()
	return nil
}

// notFromStage is Close's and Shutdown's check that they are not waiting for their caller: when
// called from inside a stage while messages are in flight, it arranges for the pipeline to stop
// once they finish and returns ErrReentrant.
func (p *Pipeline[T]) notFromStage(call string) error {
	if p.state.Load()>>1 == 0 || !insideStage() {
		return nil
	}
	go p.stopWhenDrained()
	return fmt.Errorf("%w: %s called inside a stage while messages are in flight; the pipeline stops once they finish", ErrReentrant, call)
}

func (p *Pipeline[T]) stopWhenDrained() {
	<-p.drained
	p.stop()
}

// Shutdown is Close with a deadline: it returns nil once every message in flight has finished,
// or, when ctx is done first, aborts the rest at once and returns an error matching ErrAborted
// that says how many there were. Aborting cancels the context of every message still in flight
// with a cause matching ErrAborted: the steps running see it (if they honour their context),
// no further step starts, completed steps are compensated, and each message still gets exactly
// one result, with an error matching ErrAborted. Shutdown does not wait for that: like
// http.Server.Shutdown it returns at its deadline, even when a stage ignores its context. The
// pipeline's goroutines (and those of stages still running) then outlive Shutdown until the
// last of those messages finishes; a later Close waits for them. Called from inside a stage
// (with its step's context, or while messages are in flight), Shutdown returns ErrReentrant.
func (p *Pipeline[T]) Shutdown(ctx context.Context) error {
	if p.reentrant(ctx) {
		p.closeOnce.Do(p.beginClose)
		go p.stopWhenDrained()
		return fmt.Errorf("%w: Shutdown given a context of this pipeline's own message; the pipeline stops once its messages finish", ErrReentrant)
	}
	p.closeOnce.Do(p.beginClose)
	if err := p.notFromStage("Shutdown"); err != nil {
		return err
	}
	select {
	case <-p.drained:
		p.stop()
		return nil
	case <-ctx.Done():
	}
	n := p.state.Load() >> 1
	if n == 0 {
		<-p.drained
		p.stop()
		return nil
	}
	p.aborted.Store(true)
	p.abort(errShutdownDeadline)
	go p.stopWhenDrained()
	return fmt.Errorf("%w: %d message(s) still in flight at the deadline (%w)", ErrAborted, n, ctx.Err())
}

func (p *Pipeline[T]) beginClose() {
	close(p.closing)
	if p.state.Or(1) == 0 {
		close(p.drained)
	}
}

func (p *Pipeline[T]) stop() {
	p.stopOnce.Do(func() {
		p.live.freeze() // stats.go: Elapsed, Throughput and the rates stop here
		// Every start happened before its message was accepted, so before drained closed;
		// claiming startOnce here tells whether there was one and forbids any later.
		started := true
		p.startOnce.Do(func() { started = false })
		if started || p.cfg.engine != nil { // an engine may have started at New: see engine.go
			p.strat.stop()
		}
	})
}
