package baton_test

import (
	"context"
	"slices"

	"github.com/baton-go/baton"
)

// The behaviour tests live in batontest's conformance suite (see pipeline_test.go); the helpers
// below stay for the other tests of this package.

var strategies = []baton.Strategy{baton.Orchestrated, baton.Choreographed}

// msg is a message type for tests: each step appends its stage name to Trace.
type msg struct {
	ID    int
	Trace []string
}

func (m msg) with(name string) msg {
	m.Trace = slices.Concat(m.Trace, []string{name})
	return m
}

// tracer is a stage that appends its name to the trace.
func tracer(name string, opts ...baton.StageOption) baton.Stage[msg] {
	return baton.Func(name, func(_ context.Context, m msg) (msg, error) { return m.with(name), nil }, opts...)
}

// logOf renders a log as "stage:outcome" strings.
func logOf(log []baton.StepRecord) []string {
	var out []string
	for _, r := range log {
		out = append(out, r.Stage+":"+r.Outcome.String())
	}
	return out
}
