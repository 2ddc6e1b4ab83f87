package baton

import (
	"context"
	"time"
)

// sendContext is the context an engine's Send carries for m, whose first stage is stage: ctx
// (the message's values, without its cancellation) as the SendObserver makes it, told of the
// message's MessageAccepted event again.
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
	e := Event{Kind: MessageAccepted, Stage: stage, Time: time.Now()}
	e.Message, e.Key, e.Strategy, e.Pipeline, e.Context = m.id, m.key, r.p.cfg.strategy, r.p.cfg.name, ctx
	m.inObserver = true
	ctx = r.p.obs.sendContext(ctx, e)
	m.inObserver = false
	exited = false
	return ctx
}
