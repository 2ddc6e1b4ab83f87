package batontest

import (
	"context"
	"slices"
	"sync"

	"github.com/baton-go/baton"
)

// Msg is the message type of the conformance suite and of generated pipelines: each step
// appends its stage's name to Trace. Route, when set, is the message's itinerary for pipelines
// routed with RouteOf.
type Msg struct {
	ID    int
	Trace []string
	Route []string
}

// With returns m with name appended to its trace (a copy: m is not changed).
func (m Msg) With(name string) Msg {
	m.Trace = slices.Concat(m.Trace, []string{name})
	return m
}

// RouteOf is a router (for baton.WithRouter) that returns the message's own Route.
func RouteOf(m Msg) []string { return m.Route }

// Tracer returns a stage that appends its name to the trace.
func Tracer(name string, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.Func(name, func(_ context.Context, m Msg) (Msg, error) { return m.With(name), nil }, opts...)
}

// Reviser returns a stage that appends its name to the trace and revises the slip with rev.
// rev's error fails the attempt.
func Reviser(name string, rev func(m Msg, s *baton.Slip) error, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.SlipFunc(name, func(_ context.Context, m Msg, s *baton.Slip) (Msg, error) {
		return m.With(name), rev(m, s)
	}, opts...)
}

// Failing returns a stage that fails every attempt with err, or panics when err is nil.
func Failing(name string, err error, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.Func(name, func(_ context.Context, m Msg) (Msg, error) {
		if err == nil {
			panic("boom in " + name)
		}
		return m, err
	}, opts...)
}

// Undone records compensations, in the order they ran. It is safe for concurrent use.
type Undone struct {
	mu    sync.Mutex
	names []string
}

// Names returns the compensated stages so far.
func (u *Undone) Names() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.names)
}

func (u *Undone) add(name string) {
	u.mu.Lock()
	u.names = append(u.names, name)
	u.mu.Unlock()
}

// Saga returns a Tracer that compensates by recording its name in u, and then returning fail.
func Saga(name string, u *Undone, fail error) baton.Stage[Msg] {
	return baton.Compensable(Tracer(name), func(context.Context, Msg) error {
		u.add(name)
		return fail
	})
}

// LogOf renders a log as "stage:outcome" strings, the shape the suite's assertions use.
func LogOf(log []baton.StepRecord) []string {
	var out []string
	for _, r := range log {
		out = append(out, r.Stage+":"+r.Outcome.String())
	}
	return out
}
