package baton

import (
	"context"
	"fmt"
	"runtime"
	"strings"
)

// This file is where a message's context comes from: the caller's (Process) or the stream's,
// joined with the pipeline's own abort signal — so that Shutdown's deadline cancels every
// running step — and marked with the pipeline, so that a stage calling its own pipeline with
// its step's context is refused (ErrReentrant) instead of waiting for itself.

// errShutdownDeadline is the cause of the contexts Shutdown cancels at its deadline.
var errShutdownDeadline = fmt.Errorf("%w: Shutdown's deadline passed", ErrAborted)

// reentryKey is the context key under which a message's context names its pipeline.
type reentryKey struct{}

// baseContext makes the pipeline's root context: cancelled (cause errShutdownDeadline) only at
// Shutdown's deadline, and marked with p. Messages whose parent context can never be cancelled
// run under it directly, at no cost.
func (p *Pipeline[T]) baseContext() {
	abortCtx, abort := context.WithCancelCause(context.Background())
	p.base = context.WithValue(abortCtx, reentryKey{}, p)
	p.abortCtx, p.abort = abortCtx, abort
}

// reentrant reports whether ctx is (or derives from) the context of one of p's messages.
func (p *Pipeline[T]) reentrant(ctx context.Context) bool {
	return ctx.Value(reentryKey{}) == any(p)
}

// derive returns the context for work of p under parent: parent's values and cancellation,
// cancelled also by Shutdown's deadline, and marked with p. The returned detach, when not nil,
// must be called once the work is done: it releases what derive registered.
//
// Cost: nothing when parent is context.Background or context.TODO; one small allocation when
// parent has values but can never be cancelled; for a cancellable parent a child context
// linked to the abort signal: a handful of allocations, and a lock of the pipeline's abort
// context's when the work starts and ends.
func (p *Pipeline[T]) derive(parent context.Context) (ctx context.Context, detach func() bool, cancel context.CancelCauseFunc) {
	if parent == context.Background() || parent == context.TODO() {
		return p.base, nil, nil
	}
	if parent.Done() == nil {
		return &joinedContext{Context: p.base, values: parent}, nil, nil
	}
	return p.deriveWithin(parent, p.abortCtx) // a function of its own: what its closure captures is allocated only here
}

// deriveWithin returns a context for a streamed message under its own parent (MessageContexts):
// parent's values and cancellation, cancelled also when within (the stream's context, itself
// derived from the pipeline's) ends, with within's cause; marked with p. detach and cancel must
// be called once the message is done.
func (p *Pipeline[T]) deriveWithin(parent, within context.Context) (context.Context, func() bool, context.CancelCauseFunc) {
	cctx, cancel := context.WithCancelCause(parent)
	detach := context.AfterFunc(within, func() { cancel(context.Cause(within)) })
	return &markedContext{Context: cctx, p: p}, detach, cancel
}

// joinedContext is a context whose cancellation is its embedded Context's and whose values are
// values' first, then the embedded Context's.
type joinedContext struct {
	context.Context
	values context.Context
}

func (c *joinedContext) Value(key any) any {
	if key == (reentryKey{}) { // the message's pipeline, never the one values came from
		return c.Context.Value(key)
	}
	if v := c.values.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}

// markedContext is its embedded Context, marked as belonging to pipeline p.
type markedContext struct {
	context.Context
	p any
}

func (c *markedContext) Value(key any) any {
	if key == (reentryKey{}) {
		return c.p
	}
	return c.Context.Value(key)
}

// insideStage reports whether the calling goroutine is running a stage's or an observer's code
// (of this or another pipeline): Close and Shutdown, which have no message context to tell by,
// look at the caller's stack for Baton's step and event frames. It costs a few microseconds,
// paid only by Close and Shutdown.
func insideStage() bool {
	var pcs [512]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "github.com/baton-go/baton.(*Pipeline[") &&
			(strings.HasSuffix(f.Function, "]).act") || strings.HasSuffix(f.Function, "]).steps") ||
				strings.HasSuffix(f.Function, "]).run") ||
				strings.HasSuffix(f.Function, "]).emit")) {
			return true
		}
		if !more {
			return false
		}
	}
}
