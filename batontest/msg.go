package batontest

import (
	"context"
	"slices"
	"sync"

	"github.com/baton-go/baton"
)

// Msg is the message of the conformance suite: a Subject's New builds pipelines of Msg. Each
// of the suite's stages appends its name to Trace; a message routed by its own itinerary carries
// it in Route. The fields are exported so that a subject that encodes messages to carry them
// between processes (as JSON, say) carries them whole; the suite uses nothing else.
type Msg struct {
	ID    int
	Trace []string
	Route []string
}

// with returns m with name appended to its trace (a copy: m is not changed).
func (m Msg) with(name string) Msg {
	m.Trace = slices.Concat(m.Trace, []string{name})
	return m
}

// The suite's stages and helpers: unexported, because they are shaped by what the suite
// asserts, not by what a user's test needs.

// routeOf is a router (for baton.WithRouter) that returns the message's own Route.
func routeOf(m Msg) []string { return m.Route }

// tracer returns a stage that appends its name to the trace.
func tracer(name string, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.Func(name, func(_ context.Context, m Msg) (Msg, error) { return m.with(name), nil }, opts...)
}

// reviser returns a stage that appends its name to the trace and revises the slip with rev.
// rev's error fails the attempt.
func reviser(name string, rev func(m Msg, s *baton.Slip) error, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.SlipFunc(name, func(_ context.Context, m Msg, s *baton.Slip) (Msg, error) {
		return m.with(name), rev(m, s)
	}, opts...)
}

// failing returns a stage that fails every attempt with err, or panics when err is nil.
func failing(name string, err error, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.Func(name, func(_ context.Context, m Msg) (Msg, error) {
		if err == nil {
			panic("boom in " + name)
		}
		return m, err
	}, opts...)
}

// undoLog records compensations, in the order they ran. It is safe for concurrent use.
type undoLog struct {
	mu    sync.Mutex
	names []string
}

// Names returns the compensated stages so far.
func (u *undoLog) Names() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.names)
}

func (u *undoLog) add(name string) {
	u.mu.Lock()
	u.names = append(u.names, name)
	u.mu.Unlock()
}

// saga returns a tracer that compensates by recording its name in u, and then returning fail.
func saga(name string, u *undoLog, fail error) baton.Stage[Msg] {
	return baton.Compensable(tracer(name), func(context.Context, Msg) error {
		u.add(name)
		return fail
	})
}

// logOf renders a log as "stage:outcome" strings, the shape the suite's assertions use.
func logOf(log []baton.StepRecord) []string {
	var out []string
	for _, r := range log {
		out = append(out, r.Stage+":"+r.Outcome.String())
	}
	return out
}
