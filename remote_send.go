package baton

import (
	"context"
	"time"
)

// sendContext is the context an engine's Send carries for m, whose first stage is stage: ctx
// (the message's values, without its cancellation) as the ContextObserver makes it, told of
// the message's MessageAccepted event again. The otel module puts the message's span there, so
// that the trace context an engine propagates makes the steps run in other processes children
// of that span.
//
// An observer that calls runtime.Goexit here (unsupported) ends the goroutine submitting m; m
// still gets its result, ErrGoexit, before it goes, so that nothing waits for it forever.
func (r *remote[T]) sendContext(ctx context.Context, m *message[T], stage string) context.Context {
	exited := true
	defer func() {
		if exited {
			m.inObserver = false
			m.err = &goexitError{who: "an observer", what: " as the message was sent to its engine"}
			r.p.finish(m)
		}
	}()
	ctx = r.p.stepContext(ctx, m, Event{Kind: MessageAccepted, Stage: stage, Time: time.Now()})
	exited = false
	return ctx
}
