package batontest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
)

// Itineraries, routers and slip revisions.

// Without a router every message visits every stage, once, in the order given to New, through
// Process and Run, and its log records each step, succeeded at the first attempt.
func testDefaultItinerary(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b"), tracer("c")})
	out, err := p.Process(t.Context(), Msg{ID: 1})
	mustNoError(t, err)
	equal(t, []string{"a", "b", "c"}, out.Trace)

	rs := collect(t, p, t.Context(), []Msg{{ID: 1}, {ID: 2}})
	for _, r := range rs {
		mustNoError(t, r.Err)
		equal(t, []string{"a", "b", "c"}, r.Value.Trace)
		equal(t, []string{"a:succeeded", "b:succeeded", "c:succeeded"}, logOf(r.Log))
		equal(t, 1, r.Log[0].Attempts)
	}
}

// A pipeline reports the subject's strategy, in Pipeline.Strategy and in Stats.Strategy.
func testPipelineReportsItsStrategy(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")})
	equal(t, c.subject.Strategy, p.Strategy())
	equal(t, c.subject.Strategy, p.Stats().Strategy)
	collect(t, p, t.Context(), make([]Msg, 3))
	equal(t, c.subject.Strategy, p.Stats().Strategy, "after use")
}

// A router gives each message its own itinerary: any stages, in any order, revisits included.
func testRouter(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b"), tracer("c")},
		baton.WithRouter(func(m Msg) []string {
			if m.ID == 0 {
				return []string{"c", "a"}
			}
			return []string{"b", "b", "a"}
		}))
	rs := collect(t, p, t.Context(), []Msg{{ID: 0}, {ID: 1}})
	equal(t, []string{"c", "a"}, rs[0].Value.Trace)
	equal(t, []string{"b", "b", "a"}, rs[1].Value.Trace)
}

// An itinerary naming an unknown stage fails its message with ErrUnknownStage, naming the stage,
// before any step: its log is empty. (An empty itinerary: see EmptyItineraryIsAnError.)
func testUnknownStageInItinerary(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")},
		baton.WithRouter(func(m Msg) []string { return []string{"a", "nope"} }))
	rs := collect(t, p, t.Context(), []Msg{{}})
	errorIs(t, rs[0].Err, baton.ErrUnknownStage)
	errorContains(t, rs[0].Err, `"nope"`)
	empty(t, rs[0].Log, "a message with a bad slip takes no step")
	empty(t, rs[0].Value.Trace)
}

// A router that panics fails its message with ErrPanic.
func testRouterPanic(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")},
		baton.WithRouter(func(m Msg) []string { panic("router bug") }))
	_, err := p.Process(t.Context(), Msg{})
	errorIs(t, err, baton.ErrPanic)
}

// A stage's revisions of its slip decide the rest of its message's journey: InsertNext,
// Append, AppendOptional, Skip, Replace and End.
func testSlipRevisions(t *testing.T, c *suite) {
	cases := []struct {
		name string
		rev  func(m Msg, s *baton.Slip) error
		want []string
	}{
		{"insert next", func(_ Msg, s *baton.Slip) error { return s.InsertNext("c", "a") }, []string{"r", "c", "a", "a", "b", "c"}},
		{"append", func(_ Msg, s *baton.Slip) error { return s.Append("a") }, []string{"r", "a", "b", "c", "a"}},
		{"skip", func(_ Msg, s *baton.Slip) error { s.Skip(2); return nil }, []string{"r", "c"}},
		{"skip too many", func(_ Msg, s *baton.Slip) error { s.Skip(99); return nil }, []string{"r"}},
		{"replace", func(_ Msg, s *baton.Slip) error { return s.Replace("b", "b") }, []string{"r", "b", "b"}},
		{"end", func(_ Msg, s *baton.Slip) error { s.End(); return nil }, []string{"r"}},
		{"append optional", func(_ Msg, s *baton.Slip) error { return s.AppendOptional("a") }, []string{"r", "a", "b", "c", "a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := c.newPipeline(t, []baton.Stage[Msg]{reviser("r", tc.rev), tracer("a"), tracer("b"), tracer("c")})
			out, err := p.Process(t.Context(), Msg{})
			mustNoError(t, err)
			equal(t, tc.want, out.Trace)
		})
	}
}

// A revision naming an unknown stage (in InsertNext, Append or Replace) returns ErrUnknownStage,
// and the stage returning it fails its step with it.
func testRevisionNamingAnUnknownStage(t *testing.T, c *suite) {
	cases := []struct {
		name string
		rev  func(m Msg, s *baton.Slip) error
	}{
		{"InsertNext", func(_ Msg, s *baton.Slip) error { return s.InsertNext("a", "zzz") }},
		{"Append", func(_ Msg, s *baton.Slip) error { return s.Append("zzz") }},
		{"Replace", func(_ Msg, s *baton.Slip) error { return s.Replace("a", "zzz") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := c.newPipeline(t, []baton.Stage[Msg]{reviser("r", tc.rev), tracer("a")})
			_, err := p.Process(t.Context(), Msg{})
			mustErrorIs(t, err, baton.ErrUnknownStage)
			var se *baton.StepError
			mustErrorAs(t, err, &se)
			equal(t, "r", se.Stage)
		})
	}
}

// A stage reads its slip: the stage it runs as, the steps remaining, the hops so far, and the
// log of the steps before.
func testSlipInspection(t *testing.T, c *suite) {
	var seen []string
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), reviser("r", func(_ Msg, s *baton.Slip) error {
		seen = append(seen, s.Stage(), fmt.Sprint(s.Remaining()), fmt.Sprint(s.Hops()), fmt.Sprint(logOf(s.Log())))
		return nil
	}), tracer("b")})
	_, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"r", "[b]", "2", "[a:succeeded]"}, seen)
}

// The revisions an attempt made are undone when the attempt fails: the retry starts from the
// slip as it was.
func testRevisionsUndone(t *testing.T, c *suite) {
	var calls atomic.Int32
	r := baton.SlipFunc("r", func(_ context.Context, m Msg, s *baton.Slip) (Msg, error) {
		if calls.Add(1) == 1 {
			s.End()
			_ = s.InsertNext("c")
			return m, errors.New("first attempt fails")
		}
		return m.with("r"), nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
	p := c.newPipeline(t, []baton.Stage[Msg]{r, tracer("a"), tracer("c")})
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"r", "a", "c"}, out.Trace)
}

// The hop limit stops a message that keeps revisiting, with ErrHopLimit, after as many steps
// as the limit, through Process and Run, with the log of every hop.
func testHopLimit(t *testing.T, c *suite) {
	loop := reviser("loop", func(_ Msg, s *baton.Slip) error { return s.InsertNext("loop") })
	p := c.newPipeline(t, []baton.Stage[Msg]{loop}, baton.WithHopLimit(7))
	out, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrHopLimit)
	equal(t, 7, len(out.Trace))
	rs := collect(t, p, t.Context(), []Msg{{}})
	mustErrorIs(t, rs[0].Err, baton.ErrHopLimit)
	equal(t, 7, len(rs[0].Log))
}

// A slip may send its message back to stages it already visited, itself included.
func testRevisiting(t *testing.T, c *suite) {
	// b visits a and itself again until the trace holds three entries
	b := reviser("b", func(m Msg, s *baton.Slip) error {
		if len(m.Trace) < 3 {
			return s.InsertNext("a", "b")
		}
		return nil
	})
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), b})
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"a", "b", "a", "b"}, out.Trace)
}
