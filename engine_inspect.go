package baton

import (
	"fmt"
	"time"
)

// This file lets an engine that schedules a message's actions itself — a workflow engine such
// as the temporal module's, which decides when to cut a step short and must never cut a
// compensation — read what it needs of an envelope's state without running it. It only reads:
// every decision stays the Host's.

// EnvelopeInfo is what Inspect reads of an envelope's state.
type EnvelopeInfo struct {
	// Compensating: the pending action is a compensation, which runs whatever happens to the
	// message's context.
	Compensating bool
	// Deadline is the message's deadline (its caller's, or WithMessageTimeout's); zero without
	// one.
	Deadline time.Time
}

// Inspect decodes env's state with the pipeline whose Host h is, and reports what its pending
// action is and the message's deadline. It is pure: the same envelope gives the same answer,
// so a deterministic workflow may call it. Its error matches ErrEngine when the state cannot be
// read, or when h is not a pipeline's Host. Cost: one decode of the state.
func Inspect(h Host, env Envelope) (EnvelopeInfo, error) {
	in, ok := h.(interface {
		inspect(Envelope) (EnvelopeInfo, error)
	})
	if !ok {
		return EnvelopeInfo{}, fmt.Errorf("%w: Inspect: %T is not the Host of a pipeline", ErrEngine, h)
	}
	return in.inspect(env)
}

func (r *remote[T]) inspect(env Envelope) (EnvelopeInfo, error) {
	m := r.p.pool.Get().(*message[T]) // reset by release
	defer r.p.release(m)
	d, err := r.p.decode(env.State, m, nil)
	if err != nil {
		return EnvelopeInfo{}, err
	}
	return EnvelopeInfo{Compensating: m.compensating, Deadline: d.deadline}, nil
}
