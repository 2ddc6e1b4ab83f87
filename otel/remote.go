package batonotel

import (
	"context"

	"github.com/baton-go/baton"
	"go.opentelemetry.io/otel/trace"
)

// This file is the Observer across processes. Under an engine (baton.WithEngine) a process sees
// the events of the messages it submits — MessageAccepted, MessageFinished, and the steps it runs
// itself — and those of the steps it runs for messages other processes submitted, which it never
// accepted. The spans of such a step are kept apart, keyed by the step's key, from its
// StepStarted (or CompensationStarted) to its last event here, and their parent is the trace
// context in the step's context: the one the engine carried in the message's headers
// (Propagation), the submitting process's message span.

// remoteKey identifies a step this process runs for a message submitted elsewhere: the
// pipeline's name and the step's key (baton.StepKey: origin, message and hand-off).
type remoteKey struct {
	pipeline string
	step     string
}

// find returns the spans e belongs to: its message's, when the message was accepted here, or
// else those of the step this process runs for a message submitted elsewhere — made, when
// create is set, by the step's StepStarted or a compensation's CompensationStarted, and dropped
// after the step's last event here (its last StepEnded, or RetryScheduled: the next attempt
// makes them again) or CompensationEnded. It returns nil for a message accepted before the
// Observer was installed, and for a SlipRevised of a step run for another process (see the
// package doc).
func (sh *shard) find(e baton.Event, create bool) *spans {
	k := msgKey{e.Pipeline, e.Message}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if s := sh.open[k]; s != nil && (!s.engine || e.Kind == baton.MessageFinished || s.owns(e)) {
		if e.Kind == baton.MessageFinished {
			delete(sh.open, k)
		}
		return s
	}
	if e.Context == nil {
		return nil
	}
	step, ok := baton.StepKey(e.Context)
	if !ok {
		return nil
	}
	rk := remoteKey{e.Pipeline, step}
	r := sh.remote[rk]
	switch e.Kind {
	case baton.StepStarted, baton.CompensationStarted:
		if create {
			r = &spans{ctx: e.Context, recording: true}
			sh.remote[rk] = r
		}
	case baton.StepEnded:
		if e.Outcome != 0 {
			delete(sh.remote, rk)
		}
	case baton.RetryScheduled:
		if !e.Compensation {
			delete(sh.remote, rk)
		}
	case baton.CompensationEnded:
		delete(sh.remote, rk)
	}
	return r
}

// owns reports whether e, an event of a message accepted here and sent to an engine, is that
// message's rather than a step of another process's message of the same number: its context
// is the message's own, with the same span context — where the other's carries the trace
// context of its submitter's message span.
func (s *spans) owns(e baton.Event) bool {
	if e.Context == nil {
		return true
	}
	return trace.SpanContextFromContext(e.Context).Equal(s.parent)
}

// SendContext returns ctx carrying the message's span, as the message is sent to its engine,
// so that the trace context the engine propagates in its headers (see Propagation) makes the
// steps other processes run children of that span. Baton calls it; see baton.SendObserver.
// Cost: a map lookup under a shard's lock, once per message.
func (o *Observer) SendContext(ctx context.Context, e baton.Event) context.Context {
	sh := &o.shards[e.Message%shards]
	sh.mu.Lock()
	s := sh.open[msgKey{e.Pipeline, e.Message}]
	if s != nil {
		s.engine = true
	}
	sh.mu.Unlock()
	if s == nil {
		return ctx
	}
	return trace.ContextWithSpan(ctx, s.message)
}
