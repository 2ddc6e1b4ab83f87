package batontest

// Tests of the kit's unexported parts: reports and their diff, generated pipelines, the leak
// check. The exported API is tested as a user would use it, in package batontest_test.

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiffReportsBrokenContract(t *testing.T) {
	c := Comparison[Msg]{Inputs: make([]Msg, 2)}
	a := runReport[Msg]{name: "orchestrated", results: make([]baton.Result[Msg], 2)}
	b := a
	b.name = "choreographed"
	b.problems = []string{"no result for message 1"}
	d := c.diff(a, b)
	require.NotEmpty(t, d)
	assert.Contains(t, strings.Join(d, "\n"), "choreographed broke the contract: no result for message 1")
	assert.Empty(t, c.diff(a, a))
}

func TestGeneratedPipelinesFindAPlantedDifference(t *testing.T) {
	// Under choreography, every stage drops the next step of message 7's slip: the kit must see
	// it in a generated pipeline.
	synctest.Test(t, func(t *testing.T) {
		for seed := range uint64(5) {
			sc := generate(seed, GenConfig{Delays: true})
			sc.comparison.Wrap = func(s baton.Strategy, st baton.Stage[Msg]) baton.Stage[Msg] {
				if s != baton.Choreographed {
					return st
				}
				return baton.SlipFunc(st.Name(), func(ctx context.Context, m Msg, slip *baton.Slip) (Msg, error) {
					out, err := st.Process(ctx, m, slip)
					if m.ID == 7 && err == nil {
						slip.End()
					}
					return out, err
				})
			}
			var rec recorder
			require.False(t, Equivalent(&rec, sc.comparison), "seed %d: %s", seed, sc.description)
			assert.Contains(t, strings.Join(rec.msgs, "\n"), "message 7")
		}
	})
}

func TestGenerateIsReproducible(t *testing.T) {
	a, b := generate(42, GenConfig{}), generate(42, GenConfig{})
	assert.Equal(t, a.description, b.description)
	assert.Equal(t, a.comparison.Inputs, b.comparison.Inputs)
	assert.NotEqual(t, a.description, generate(43, GenConfig{}).description)
	var rec recorder
	assert.True(t, checkGenerated(&rec, 42, GenConfig{}, false), strings.Join(rec.msgs, "\n"))
}

func TestCheckGeneratedNamesTheSeed(t *testing.T) {
	// A scenario whose pipeline New refuses fails; the failure says how to rerun it.
	var rec recorder
	require.False(t, checkGenerated(&rec, 7, GenConfig{MaxInFlight: baton.MaxInFlightLimit + 1}, false))
	assert.Contains(t, strings.Join(rec.msgs, "\n"), "seed 0x7 (reproduce: BATONTEST_SEED=0x7 go test -run ...)")
}

func TestLeakCheck(t *testing.T) {
	g := takeGoroutines()
	release := make(chan struct{})
	done := make(chan struct{})
	go func() { <-release; close(done) }()
	leaked := g.leaked(10 * time.Millisecond)
	require.Len(t, leaked, 1)
	assert.Contains(t, leaked[0], "TestLeakCheck")
	close(release)
	<-done
	assert.Empty(t, g.leaked(time.Second))

	// A pipeline that is never closed leaks its goroutines; Close stops them.
	p, err := baton.New([]baton.Stage[Msg]{tracer("a")}, baton.WithStrategy(baton.Choreographed))
	require.NoError(t, err)
	_, err = p.Process(t.Context(), Msg{})
	require.NoError(t, err)
	assert.NotEmpty(t, g.leaked(10*time.Millisecond))
	require.NoError(t, p.Close())
	var rec recorder
	g.verifyNoLeaks(&rec)
	assert.Empty(t, rec.msgs)
}

func TestStrategySubjects(t *testing.T) {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		sub := Strategy(s)
		assert.Equal(t, s, sub.Strategy)
		assert.Equal(t, s == baton.Choreographed, sub.Features.InboxDepth, "%v", s)
		p, err := sub.New(t, []baton.Stage[Msg]{tracer("a")}, baton.WithMaxInFlight(2))
		require.NoError(t, err)
		assert.Equal(t, s, p.Strategy())
		require.NoError(t, p.Close())
	}
}
