package temporal

import (
	"context"
	"errors"
)

// propagation is what WithPropagation gives: the hooks that carry values of a message's
// context (its trace context) with its workflow to every step's activity.
type propagation struct {
	injectFn  func(context.Context, map[string][]string)
	extractFn func(context.Context, map[string][]string) context.Context
}

// WithPropagation carries values of a message's context — its trace context, with an
// OpenTelemetry propagator — from the process that submits it to every process that runs one
// of its steps: inject writes them into headers as the message's workflow starts (they are
// part of the workflow's input, so they survive continue-as-new and worker restarts), and
// extract reads them into the context of each step's activity, in any worker. With the otel
// module in every process, the steps' spans are then children of the message's span in the
// submitting process, in the caller's trace:
//
//	eng, err := temporal.New(c, temporal.WithPropagation(batonotel.Propagation[map[string][]string](nil)))
//
// Give it to every engine of the pipeline, clients and workers. The headers are written once
// per message, and read once per step; they are recorded in the workflow's history, so keep
// them small (W3C Trace Context is about 100 bytes). It is independent of the Temporal SDK's
// own context propagators and tracing interceptors (client.Options), which a program may use
// as well: the steps' spans are children of the message's span either way. Both hooks are
// required; New fails with an error matching baton.ErrInvalidPipeline when one is nil.
func WithPropagation(inject func(ctx context.Context, h map[string][]string), extract func(ctx context.Context, h map[string][]string) context.Context) Option {
	return func(o *options) {
		if inject == nil || extract == nil {
			o.errs = append(o.errs, errors.New("WithPropagation: nil inject or extract"))
			return
		}
		o.propagation = propagation{injectFn: inject, extractFn: extract}
	}
}

// inject returns the headers of ctx's values, or nil without WithPropagation.
func (p propagation) inject(ctx context.Context) map[string][]string {
	if p.injectFn == nil {
		return nil
	}
	h := map[string][]string{}
	p.injectFn(ctx, h)
	if len(h) == 0 {
		return nil
	}
	return h
}

// extract returns ctx with the values of h, as WithPropagation's extract reads them; ctx
// itself without WithPropagation or headers, or when extract returns nil.
func (p propagation) extract(ctx context.Context, h map[string][]string) context.Context {
	if p.extractFn == nil || len(h) == 0 {
		return ctx
	}
	if out := p.extractFn(ctx, h); out != nil {
		return out
	}
	return ctx
}
