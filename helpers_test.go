package baton_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// msg is the message type of the tests: each step appends its stage name to Trace.
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

var strategies = []baton.Strategy{baton.Orchestrated, baton.Choreographed}

// eachStrategy runs f once per strategy, as a subtest named after it, and checks for leaked
// goroutines afterwards.
func eachStrategy(t *testing.T, f func(t *testing.T, s baton.Strategy)) {
	t.Helper()
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			// The first cleanup runs last: after the pipelines' Close.
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			f(t, s)
		})
	}
}

// newPipeline builds a pipeline under strategy s and closes it when the test ends.
func newPipeline(t *testing.T, s baton.Strategy, stages []baton.Stage[msg], opts ...baton.Option) *baton.Pipeline[msg] {
	t.Helper()
	p, err := baton.New(stages, append([]baton.Option{baton.WithStrategy(s)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

// collect runs inputs through p.Run and returns the results indexed by Seq.
func collect(t *testing.T, p *baton.Pipeline[msg], ctx context.Context, in []msg, opts ...baton.StreamOption) []baton.Result[msg] {
	t.Helper()
	out := make([]baton.Result[msg], len(in))
	seen := make([]bool, len(in))
	for r := range p.Run(ctx, slices.Values(in), opts...) {
		require.Less(t, r.Seq, uint64(len(in)))
		require.False(t, seen[r.Seq], "two results for message %d", r.Seq)
		seen[r.Seq] = true
		out[r.Seq] = r
	}
	for i, ok := range seen {
		require.True(t, ok, "no result for message %d", i)
	}
	return out
}

// stages of a log, with outcomes.
func logOf(log []baton.StepRecord) []string {
	var out []string
	for _, r := range log {
		out = append(out, r.Stage+":"+r.Outcome.String())
	}
	return out
}

// The behaviour tests live in batontest's conformance suite (see pipeline_test.go); the helpers
// below stay for the other tests of this package.

// reviser revises the slip of the messages it sees as rev says.
func reviser(name string, rev func(m msg, s *baton.Slip) error) baton.Stage[msg] {
	return baton.SlipFunc(name, func(_ context.Context, m msg, s *baton.Slip) (msg, error) {
		return m.with(name), rev(m, s)
	})
}

// failing returns a stage that fails with err, or panics when err is nil.
func failing(name string, err error, opts ...baton.StageOption) baton.Stage[msg] {
	return baton.Func(name, func(_ context.Context, m msg) (msg, error) {
		if err == nil {
			panic("boom in " + name)
		}
		return m, err
	}, opts...)
}

// saga is a stage that records its compensations into undone.
func saga(name string, undone *[]string, mu *sync.Mutex, fail error) baton.Stage[msg] {
	return baton.WithCompensation(tracer(name), func(_ context.Context, m msg) error {
		mu.Lock()
		*undone = append(*undone, name)
		mu.Unlock()
		return fail
	})
}
