package batontest

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Step policies of their own (baton.StepPolicy: InsertNextWith, AppendWith, WithItinerary) and
// the value a tolerated step leaves (baton.Tolerator). The timed ones run in a testing/synctest
// bubble, so every duration is exact.

// insertWith returns a stage "r" that inserts names as the next steps with policy pol.
func insertWith(pol baton.StepPolicy, names ...string) baton.Stage[Msg] {
	return reviser("r", func(_ Msg, s *baton.Slip) error { return s.InsertNextWith(pol, names...) })
}

// A step inserted with a retry policy of its own is retried as that policy says, not as its
// stage's: its waits, its attempts in the log and its stage's Retried count follow the step's
// policy, and a later step at the same stage without one keeps the stage's.
func testStepPolicyRetries(t *testing.T, c *suite) {
	const ms = time.Millisecond
	f := &flakyStage{name: "f", n: 2, err: errors.New("flaky")}
	pol := baton.StepPolicy{Retry: baton.FixedBackoff(3, 10*ms)}
	p := c.newPipeline(t, []baton.Stage[Msg]{insertWith(pol, "f"), f})
	rs := collect(t, p, t.Context(), []Msg{{}})
	mustNoError(t, rs[0].Err)
	equal(t, []string{"r", "f", "f"}, rs[0].Value.Trace, "the inserted step, then the itinerary's own")
	equal(t, []string{"r:succeeded", "f:succeeded", "f:succeeded"}, logOf(rs[0].Log))
	equal(t, 3, rs[0].Log[1].Attempts, "the inserted step's policy")
	equal(t, 1, rs[0].Log[2].Attempts, "the stage's own policy")
	equal(t, []time.Duration{10 * ms, 10 * ms, 0}, f.waits())
	equal(t, int64(2), p.Stats().Stages[1].Retried)
}

// A step's own policy replaces its stage's as a whole: a zero StepPolicy makes one attempt at
// a stage that retries, and a step that is not optional at an Optional stage fails its message.
func testStepPolicyReplacesTheStages(t *testing.T, c *suite) {
	cause := errors.New("down")
	var calls atomic.Int32
	f := baton.Func("f", func(context.Context, Msg) (Msg, error) { calls.Add(1); return Msg{}, cause },
		baton.Retry(baton.RetryPolicy{MaxAttempts: 5}), baton.Optional())
	p := c.newPipeline(t, []baton.Stage[Msg]{f, tracer("b")},
		baton.WithItinerary(func(_ Msg, s *baton.Slip) error { return s.AppendWith(baton.StepPolicy{}, "f", "b") }))
	_, err := p.Process(t.Context(), Msg{})
	errorIs(t, err, cause)
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, "f", se.Stage)
	equal(t, 1, se.Attempts)
	equal(t, int32(1), calls.Load())
}

// A step inserted as Optional by its policy is tolerated when it fails, at a stage that is not
// Optional; its log entry says so, and the message goes on to its next step.
func testStepPolicyOptional(t *testing.T, c *suite) {
	cause := errors.New("cache down")
	p := c.newPipeline(t, []baton.Stage[Msg]{
		insertWith(baton.StepPolicy{Optional: true, Retry: baton.RetryPolicy{MaxAttempts: 2}}, "x", "b"),
		failing("x", cause), tracer("b")},
		baton.WithRouter(routeOf))
	rs := collect(t, p, t.Context(), []Msg{{Route: []string{"r"}}})
	mustNoError(t, rs[0].Err)
	equal(t, []string{"r", "b"}, rs[0].Value.Trace)
	mustEqual(t, []string{"r:succeeded", "x:tolerated", "b:succeeded"}, logOf(rs[0].Log))
	equal(t, 2, rs[0].Log[1].Attempts)
	errorIs(t, rs[0].Log[1].Err, cause)
	equal(t, int64(1), p.Stats().Stages[1].Failed)
}

// A step's own AttemptTimeout gives each of its attempts a deadline, and its own StepTimeout
// bounds all its attempts and waits, at a stage that has neither: both fail with ErrTimeout.
func testStepPolicyTimeouts(t *testing.T, c *suite) {
	const ms = time.Millisecond
	s := sleeper("s", 50*ms)
	cases := []struct {
		name     string
		pol      baton.StepPolicy
		attempts int
		took     time.Duration
	}{
		{"attempt timeout", baton.StepPolicy{AttemptTimeout: 10 * ms, Retry: baton.FixedBackoff(2, 5*ms)}, 2, 25 * ms},
		{"step timeout", baton.StepPolicy{StepTimeout: 30 * ms, Retry: baton.FixedBackoff(5, 0)}, 1, 30 * ms},
	}
	for _, tc := range cases {
		p := c.newPipeline(t, []baton.Stage[Msg]{s}, baton.WithItinerary(func(_ Msg, sl *baton.Slip) error {
			return sl.AppendWith(tc.pol, "s")
		}))
		start := time.Now()
		rs := collect(t, p, t.Context(), []Msg{{}})
		errorIs(t, rs[0].Err, baton.ErrTimeout, tc.name)
		errorIs(t, rs[0].Err, context.DeadlineExceeded, tc.name)
		mustEqual(t, 1, len(rs[0].Log), tc.name)
		equal(t, tc.attempts, rs[0].Log[0].Attempts, tc.name)
		equal(t, tc.took, time.Since(start), tc.name)
	}
}

// stepEvents is an Observer that keeps the step events of every message, whole.
type stepEvents struct {
	mu sync.Mutex
	ev []baton.Event
}

func (r *stepEvents) Observe(e baton.Event) {
	switch e.Kind {
	case baton.StepStarted, baton.StepEnded, baton.RetryScheduled:
		r.mu.Lock()
		r.ev = append(r.ev, e)
		r.mu.Unlock()
	}
}

// A step with a policy of its own runs at its stage: its events name the stage, one StepEnded
// per attempt lasting that attempt alone (not the wait before the next), each RetryScheduled
// carrying the step's backoff, and the stage's Retried counts its retries.
func testStepPolicyEvents(t *testing.T, c *suite) {
	const ms = time.Millisecond
	var n atomic.Int32
	f := baton.Func("f", func(ctx context.Context, m Msg) (Msg, error) {
		time.Sleep(5 * ms)
		if n.Add(1) < 3 {
			return m, errors.New("flaky")
		}
		return m.with("f"), nil
	})
	rec := &stepEvents{}
	p := c.newPipeline(t, []baton.Stage[Msg]{f}, baton.WithObserver(rec),
		baton.WithItinerary(func(_ Msg, s *baton.Slip) error {
			return s.AppendWith(baton.StepPolicy{Retry: baton.FixedBackoff(3, 20*ms)}, "f")
		}))
	_, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var kinds []string
	for _, e := range rec.ev {
		equal(t, "f", e.Stage, "events name the stage the step runs at")
		kinds = append(kinds, e.Kind.String())
		switch e.Kind {
		case baton.StepEnded:
			equal(t, 5*ms, e.Duration, "attempt %d's StepEnded lasts the attempt alone", e.Attempt)
		case baton.RetryScheduled:
			equal(t, 20*ms, e.Backoff, "the step's own backoff")
		}
	}
	equal(t, []string{
		"step started", "step ended", "retry scheduled",
		"step started", "step ended", "retry scheduled",
		"step started", "step ended",
	}, kinds)
	equal(t, int64(2), p.Stats().Stages[0].Retried)
}

// WithItinerary plans each message's first steps with the slip's revisions; an error or a
// panic in it, a name it does not know, or an empty plan fail the message before any step, as
// a router's would.
func testItineraryPlanner(t *testing.T, c *suite) {
	stages := []baton.Stage[Msg]{tracer("a"), tracer("b")}
	p := c.newPipeline(t, stages, baton.WithItinerary(func(m Msg, s *baton.Slip) error {
		equal(t, "", s.Stage(), "no current step while planning")
		if err := s.Append("b"); err != nil {
			return err
		}
		return s.InsertNextOptional("a")
	}))
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"a", "b"}, out.Trace)

	planErr := errors.New("no plan")
	cases := []struct {
		name string
		plan func(Msg, *baton.Slip) error
		want error
	}{
		{"error", func(Msg, *baton.Slip) error { return planErr }, planErr},
		{"panic", func(Msg, *baton.Slip) error { panic("planner bug") }, baton.ErrPanic},
		{"unknown stage", func(_ Msg, s *baton.Slip) error { return s.Append("nope") }, baton.ErrUnknownStage},
		{"empty", func(Msg, *baton.Slip) error { return nil }, baton.ErrEmptyItinerary},
	}
	for _, tc := range cases {
		p := c.newPipeline(t, stages, baton.WithItinerary(tc.plan))
		rs := collect(t, p, t.Context(), []Msg{{}})
		errorIs(t, rs[0].Err, tc.want, tc.name)
		empty(t, rs[0].Log, tc.name)
	}
}

// A revision given an invalid StepPolicy fails with ErrInvalidPolicy and revises nothing; the
// policies a failed attempt's revisions gave are undone with them.
func testInvalidStepPolicy(t *testing.T, c *suite) {
	var got []error
	var attempt int
	r := reviser("r", func(_ Msg, s *baton.Slip) error {
		attempt++
		if attempt == 1 {
			got = append(got,
				s.InsertNextWith(baton.StepPolicy{AttemptTimeout: -1}, "a"),
				s.AppendWith(baton.StepPolicy{Retry: baton.RetryPolicy{Jitter: 2}}, "a"),
				s.AppendWith(baton.StepPolicy{}, "nope"))
			_ = s.InsertNextWith(baton.StepPolicy{Optional: true}, "a") // undone: the attempt fails
			return errors.New("first attempt fails")
		}
		return nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
	p := c.newPipeline(t, []baton.Stage[Msg]{r, failing("a", errors.New("a fails"))}, baton.WithRouter(routeOf))
	rs := collect(t, p, t.Context(), []Msg{{Route: []string{"r"}}})
	mustEqual(t, 3, len(got))
	errorIs(t, got[0], baton.ErrInvalidPolicy)
	errorIs(t, got[1], baton.ErrInvalidPolicy)
	errorIs(t, got[2], baton.ErrUnknownStage)
	mustNoError(t, rs[0].Err, "the undone insertion of a leaves nothing to run")
	equal(t, []string{"r:succeeded"}, logOf(rs[0].Log))
}

// tolerating returns a stage failing with err (panicking when nil), optional, whose tolerated
// failures leave the message with "name!" appended and count the calls of Tolerate.
func tolerating(name string, err error, calls *atomic.Int32, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.Tolerating(failing(name, err, opts...), func(m Msg, s *baton.Slip, err error) Msg {
		calls.Add(1)
		return m.with(name + "!")
	})
}

// A tolerated step at a Tolerator stage leaves the value its Tolerate returns, whatever ended
// the step (an error, a panic), and called once after the last attempt; its log entry keeps the
// step's error. A step that fails its message does not call Tolerate.
func testToleratorGivesTheValue(t *testing.T, c *suite) {
	cause := errors.New("cache down")
	var calls atomic.Int32
	p := c.newPipeline(t, []baton.Stage[Msg]{
		tolerating("e", cause, &calls, baton.Optional(), baton.Retry(baton.RetryPolicy{MaxAttempts: 3})),
		tolerating("p", nil, &calls, baton.Optional()),
		tracer("b"),
	})
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"e!", "p!", "b"}, out.Trace)
	equal(t, int32(2), calls.Load())

	rs := collect(t, p, t.Context(), []Msg{{}})
	mustEqual(t, []string{"e:tolerated", "p:tolerated", "b:succeeded"}, logOf(rs[0].Log))
	errorIs(t, rs[0].Log[0].Err, cause)
	equal(t, 3, rs[0].Log[0].Attempts)
	errorIs(t, rs[0].Log[1].Err, baton.ErrPanic)

	calls.Store(0)
	p = c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tolerating("x", cause, &calls)})
	rs = collect(t, p, t.Context(), []Msg{{}})
	errorIs(t, rs[0].Err, cause)
	equal(t, []string{"a"}, rs[0].Value.Trace, "a failed message keeps its last good value")
	equal(t, int32(0), calls.Load(), "Tolerate is for tolerated steps only")
}

// A step with an Optional policy of its own at a Tolerator stage leaves Tolerate's value too;
// a Tolerate that panics, or calls runtime.Goexit (unsupported), fails the message, its error
// matching the step's and ErrPanic or ErrGoexit, and the pipeline goes on.
func testToleratorWithStepPolicyAndPanic(t *testing.T, c *suite) {
	cause := errors.New("down")
	var calls atomic.Int32
	x := tolerating("x", cause, &calls)
	bad := baton.Tolerating(failing("bad", cause), func(Msg, *baton.Slip, error) Msg { panic("tolerate bug") })
	exits := baton.Tolerating(failing("exits", cause), func(Msg, *baton.Slip, error) Msg { runtime.Goexit(); return Msg{} })
	p := c.newPipeline(t, []baton.Stage[Msg]{x, bad, exits, tracer("b")}, baton.WithItinerary(func(m Msg, s *baton.Slip) error {
		if err := s.AppendWith(baton.StepPolicy{Optional: true}, m.Route...); err != nil {
			return err
		}
		return s.Append("b")
	}))
	out, err := p.Process(t.Context(), Msg{Route: []string{"x"}})
	mustNoError(t, err)
	equal(t, []string{"x!", "b"}, out.Trace)

	rs := collect(t, p, t.Context(), []Msg{{Route: []string{"bad"}}})
	errorIs(t, rs[0].Err, cause)
	errorIs(t, rs[0].Err, baton.ErrPanic)
	equal(t, []string{"bad:failed"}, logOf(rs[0].Log))

	rs = collect(t, p, t.Context(), []Msg{{Route: []string{"exits"}}, {Route: []string{"x"}}})
	for _, r := range rs {
		if len(r.Value.Trace) > 0 {
			mustNoError(t, r.Err, "the pipeline goes on")
			continue
		}
		errorIs(t, r.Err, cause)
		errorIs(t, r.Err, baton.ErrGoexit)
		equal(t, []string{"exits:failed"}, logOf(r.Log))
	}
	equal(t, int64(1), p.Stats().Stages[2].Failed, "counted once")
}
