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

func testDefaultItinerary(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b"), tracer("c")})
	equal(t, c.subject.Strategy, p.Strategy())
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

func testRouter(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b"), tracer("c")},
		baton.WithRouter(func(m Msg) []string {
			switch m.ID {
			case 0:
				return []string{"c", "a"}
			case 1:
				return []string{"b", "b", "a"}
			case 2:
				return nil
			default:
				return []string{"a", "nope"}
			}
		}))
	rs := collect(t, p, t.Context(), []Msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}})
	equal(t, []string{"c", "a"}, rs[0].Value.Trace)
	equal(t, []string{"b", "b", "a"}, rs[1].Value.Trace)
	errorIs(t, rs[2].Err, baton.ErrEmptyItinerary, "an empty itinerary is an error (see AllowEmptyItinerary)")
	empty(t, rs[2].Value.Trace)
	errorIs(t, rs[3].Err, baton.ErrUnknownStage)
	errorContains(t, rs[3].Err, `"nope"`)
	empty(t, rs[3].Log, "a message with a bad slip takes no step")
}

func testRouterPanic(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")},
		baton.WithRouter(func(m Msg) []string { panic("router bug") }))
	_, err := p.Process(t.Context(), Msg{})
	errorIs(t, err, baton.ErrPanic)
}

func testSlipRevisions(t *testing.T, c *suite) {
	cases := []struct {
		name string
		rev  func(m Msg, s *baton.Slip) error
		want []string
		err  error
	}{
		{"insert next", func(_ Msg, s *baton.Slip) error { return s.InsertNext("c", "a") }, []string{"r", "c", "a", "a", "b", "c"}, nil},
		{"append", func(_ Msg, s *baton.Slip) error { return s.Append("a") }, []string{"r", "a", "b", "c", "a"}, nil},
		{"skip", func(_ Msg, s *baton.Slip) error { s.Skip(2); return nil }, []string{"r", "c"}, nil},
		{"skip too many", func(_ Msg, s *baton.Slip) error { s.Skip(99); return nil }, []string{"r"}, nil},
		{"replace", func(_ Msg, s *baton.Slip) error { return s.Replace("b", "b") }, []string{"r", "b", "b"}, nil},
		{"end", func(_ Msg, s *baton.Slip) error { s.End(); return nil }, []string{"r"}, nil},
		{"append optional", func(_ Msg, s *baton.Slip) error { return s.AppendOptional("a") }, []string{"r", "a", "b", "c", "a"}, nil},
		{"unknown stage fails the step", func(_ Msg, s *baton.Slip) error { return s.InsertNext("a", "zzz") }, nil, baton.ErrUnknownStage},
		{"unknown stage in Append", func(_ Msg, s *baton.Slip) error { return s.Append("zzz") }, nil, baton.ErrUnknownStage},
		{"unknown stage in Replace", func(_ Msg, s *baton.Slip) error { return s.Replace("a", "zzz") }, nil, baton.ErrUnknownStage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := c.newPipeline(t, []baton.Stage[Msg]{reviser("r", tc.rev), tracer("a"), tracer("b"), tracer("c")})
			out, err := p.Process(t.Context(), Msg{})
			if tc.err != nil {
				mustErrorIs(t, err, tc.err)
				var se *baton.StepError
				mustErrorAs(t, err, &se)
				equal(t, "r", se.Stage)
				return
			}
			mustNoError(t, err)
			equal(t, tc.want, out.Trace)
		})
	}
}

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

func testHopLimit(t *testing.T, c *suite) {
	loop := reviser("loop", func(_ Msg, s *baton.Slip) error { return s.InsertNext("loop") })
	p := c.newPipeline(t, []baton.Stage[Msg]{loop}, baton.WithHopLimit(7))
	out, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrHopLimit)
	equal(t, 7, len(out.Trace))
	// In a stream too, with the log of every hop.
	rs := collect(t, p, t.Context(), []Msg{{}})
	mustErrorIs(t, rs[0].Err, baton.ErrHopLimit)
	equal(t, 7, len(rs[0].Log))
}

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
