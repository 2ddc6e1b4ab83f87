package batontest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Validation of what New and Stream are given, and options as values.

// panickyName is a user Stage whose Name panics.
type panickyName struct{}

func (panickyName) Name() string { panic("no name") }
func (panickyName) Process(_ context.Context, m Msg, _ *baton.Slip) (Msg, error) {
	return m, nil
}

// refused checks that New refuses stages with an error matching ErrInvalidPipeline that
// contains every one of want.
func (c *suite) refused(t *testing.T, stages []baton.Stage[Msg], opts []baton.Option, want ...string) {
	t.Helper()
	p, err := c.build(t, stages, opts...)
	if p != nil {
		p.Close()
	}
	mustErrorIs(t, err, baton.ErrInvalidPipeline)
	for _, w := range want {
		errorContains(t, err, w)
	}
	isTrue(t, p == nil, "no pipeline with an error")
}

// A nil function, stage or undo given to an adapter is refused at New, naming the stage,
// instead of panicking in New or failing every message.
func testNilAdapterInputsAreRefused(t *testing.T, c *suite) {
	undo := func(context.Context, Msg) error { return nil }
	a := tracer("a")
	cases := []struct {
		name  string
		stage baton.Stage[Msg]
		want  string
	}{
		{"Func(name, nil)", baton.Func[Msg]("f", nil), `stage "f": Func with a nil function`},
		{"SlipFunc(name, nil)", baton.SlipFunc[Msg]("f", nil), `stage "f": SlipFunc with a nil function`},
		{"Compensable(s, nil)", baton.Compensable(tracer("f"), nil), `stage "f": Compensable with a nil undo function`},
		{"Compensable(nil, undo)", baton.Compensable(nil, undo), "stage 1: Compensable of a nil stage"},
		{"Configure(nil)", baton.Configure[Msg](nil), "stage 1: Configure of a nil stage"},
		{"Configure(nil) with options", baton.Configure[Msg](nil, baton.Optional()), "stage 1: Configure of a nil stage"},
		{"Configure(Compensable(nil, undo))", baton.Configure(baton.Compensable(nil, undo), baton.Optional()), "stage 1: Compensable of a nil stage"},
		{"Compensable(Configure(nil), undo)", baton.Compensable(baton.Configure[Msg](nil), undo), "stage 1: Configure of a nil stage"},
		{"Configure(Func(name, nil))", baton.Configure(baton.Func[Msg]("f", nil), baton.Optional()), `stage "f": Func with a nil function`},
		{"Compensable(Func(name, nil), nil)", baton.Compensable(baton.Func[Msg]("f", nil), nil), `stage "f": Func with a nil function; Compensable with a nil undo function`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.refused(t, []baton.Stage[Msg]{a, tc.stage}, nil, tc.want)
		})
	}
}

// New reports every misuse of its stages, not only the first.
func testNewReportsEveryMisuse(t *testing.T, c *suite) {
	c.refused(t, []baton.Stage[Msg]{baton.Func[Msg]("f", nil), baton.Configure[Msg](nil), tracer("f")}, nil,
		`stage "f": Func with a nil function`, "stage 1: Configure of a nil stage", `"f" used twice`)
}

// A nil StageOption, which panicked in the adapter, makes New refuse the stage, naming it.
func testNilStageOptionIsRefused(t *testing.T, c *suite) {
	fn := func(_ context.Context, m Msg) (Msg, error) { return m, nil }
	sfn := func(_ context.Context, m Msg, _ *baton.Slip) (Msg, error) { return m, nil }
	cases := []struct {
		name  string
		stage func() baton.Stage[Msg] // built inside the subtest: a panic fails only it
	}{
		{"Func", func() baton.Stage[Msg] { return baton.Func("f", fn, nil) }},
		{"SlipFunc", func() baton.Stage[Msg] { return baton.SlipFunc("f", sfn, baton.Optional(), nil) }},
		{"Configure", func() baton.Stage[Msg] { return baton.Configure(tracer("f"), nil, baton.Optional()) }},
		{"Configure over OptionsOf", func() baton.Stage[Msg] {
			return baton.Configure(tracer("f"), nil, baton.OptionsOf(tracer("g", baton.Workers(2))))
		}},
		{"OptionsOf an invalid stage", func() baton.Stage[Msg] {
			return baton.Configure(tracer("f"), baton.OptionsOf(baton.Func("g", fn, nil)))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.refused(t, []baton.Stage[Msg]{tracer("a"), tc.stage()}, nil, `stage "f": nil StageOption`)
		})
	}
}

// A user Stage whose Name panics is refused at New, named by its index, the panic in the
// error; New does not panic.
func testPanickingNameIsRefused(t *testing.T, c *suite) {
	c.refused(t, []baton.Stage[Msg]{tracer("a"), panickyName{}}, nil, "stage 1: Name panicked", "no name")
	_, err := c.build(t, []baton.Stage[Msg]{panickyName{}})
	errorIs(t, err, baton.ErrPanic, "the panic is in the error")
	// A typed nil pointer whose Name dereferences it.
	c.refused(t, []baton.Stage[Msg]{(*flakyStage)(nil)}, nil, "stage 0: Name panicked")
	// Wrapped by an adapter.
	c.refused(t, []baton.Stage[Msg]{baton.Configure[Msg](panickyName{}, baton.Optional())}, nil, "stage 0: Name panicked")
}

// A nil StreamOption, which panicked in Stream, refuses the stream: every Submit fails with
// ErrInvalidPipeline, and it has no result. The pipeline is unaffected.
func testNilStreamOptionRefusesTheStream(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithMaxInFlight(1))
	for _, opts := range [][]baton.StreamOption{{nil}, {baton.FailFast(), nil}} {
		for range 2 { // the same options twice: refused twice
			st := p.Stream(t.Context(), opts...)
			for i := range 2 {
				err := st.Submit(t.Context(), Msg{ID: i})
				mustErrorIs(t, err, baton.ErrInvalidPipeline, "Submit %d", i)
				errorContains(t, err, "nil StreamOption")
			}
			st.CloseSend()
			n := 0
			for range st.Results() {
				n++
			}
			equal(t, 0, n, "a refused stream has no result")
		}
	}
	pipelineStillWorks(t, p)
}

// A nil StreamOption given to Run, which panicked there, is the error of the first message of
// its input, which runs no step; Run pulls no more. The pipeline is unaffected.
func testNilStreamOptionRefusesRun(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithMaxInFlight(1))
	for _, opts := range [][]baton.StreamOption{{nil}, {baton.FailFast(), nil}} {
		for range 2 { // the same options twice: refused twice
			var rs []baton.Result[Msg]
			for r := range p.Run(t.Context(), slices.Values([]Msg{{ID: 7}, {ID: 8}}), opts...) {
				rs = append(rs, r)
			}
			mustEqual(t, 1, len(rs))
			r := rs[0]
			mustErrorIs(t, r.Err, baton.ErrInvalidPipeline)
			errorContains(t, r.Err, "nil StreamOption")
			equal(t, 7, r.Value.ID)
			empty(t, r.Value.Trace, "a refused message runs no step")
			empty(t, r.Log)
		}
	}
	pipelineStillWorks(t, p)
}

// pipelineStillWorks checks that p, whose one stage is tracer("a"), serves Process and Run.
func pipelineStillWorks(t *testing.T, p *baton.Pipeline[Msg]) {
	t.Helper()
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err, "the pipeline still works")
	equal(t, []string{"a"}, out.Trace)
	rs := collect(t, p, t.Context(), []Msg{{ID: 1}})
	mustNoError(t, rs[0].Err)
	equal(t, []string{"a"}, rs[0].Value.Trace)
}

// Applying an Option never changes it, so an invalid option value is refused by every New it
// is given to, not only the first (WithMaxInFlight(0) rewrote its own argument and was accepted
// the second time).
func testOptionsAreValues(t *testing.T, c *suite) {
	for _, tc := range []struct {
		name string
		opt  baton.Option
		want string
	}{
		{"WithMaxInFlight(0)", baton.WithMaxInFlight(0), "WithMaxInFlight(0)"},
		{"WithMaxInFlight(-1)", baton.WithMaxInFlight(-1), "WithMaxInFlight(-1)"},
		{"WithMaxInFlight(limit+1)", baton.WithMaxInFlight(baton.MaxInFlightLimit + 1), "must be in [1, "},
		{"WithHopLimit(0)", baton.WithHopLimit(0), "WithHopLimit(0)"},
		{"WithMessageTimeout(-1)", baton.WithMessageTimeout(-1), "WithMessageTimeout"},
		{"WithStrategy(9)", baton.WithStrategy(9), "unknown strategy"},
		{"WithRouter(nil)", baton.WithRouter[Msg](nil), "WithRouter(nil)"},
		{"WithObserver(nil)", baton.WithObserver(nil), "WithObserver(nil)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 3 {
				t.Run(fmt.Sprint("New ", i+1), func(t *testing.T) {
					c.refused(t, []baton.Stage[Msg]{tracer("a")}, []baton.Option{tc.opt}, tc.want)
				})
			}
		})
	}
}

// Applying a StageOption never changes it: an invalid one is refused by every New, for every
// stage it is given to, when the stage is made and when it is configured.
func testStageOptionsAreValues(t *testing.T, c *suite) {
	for _, tc := range []struct {
		name string
		opt  baton.StageOption
		want string
	}{
		{"Workers(-1)", baton.Workers(-1), "Workers(-1): must be at least 1"},
		{"Retry", baton.Retry(baton.RetryPolicy{MaxAttempts: -1}), "retry: MaxAttempts < 0"},
		{"AttemptTimeout(-1)", baton.AttemptTimeout(-1), "negative timeout"},
		{"StepTimeout(-1)", baton.StepTimeout(-1), "negative timeout"},
		{"CompensationRetry", baton.CompensationRetry(baton.RetryPolicy{Jitter: 2}), "retry: Jitter outside"},
		{"CompensationTimeout(-1)", baton.CompensationTimeout(-1), "negative timeout"},
		{"OptionsOf", baton.OptionsOf(tracer("w", baton.Workers(-1))), "Workers(-1): must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 3 { // a stage made with the option, then another, then one configured
				t.Run(fmt.Sprint("New ", i+1), func(t *testing.T) {
					s := tracer("s", tc.opt)
					if i == 2 {
						s = baton.Configure(tracer("s"), tc.opt)
					}
					c.refused(t, []baton.Stage[Msg]{s}, nil, `stage "s": `+tc.want)
				})
			}
		})
	}
}

// A valid option means the same to every pipeline it is given to.
func testValidOptionIsReusable(t *testing.T, c *suite) {
	inflight := baton.WithMaxInFlight(3)
	for range 2 {
		p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, inflight)
		rs := collect(t, p, t.Context(), make([]Msg, 5))
		for _, r := range rs {
			mustNoError(t, r.Err)
		}
	}
}

// RetryPolicy.Backoff saturates where its arithmetic would overflow (InitialBackoff × n wrapped
// to a negative wait, that is, none): at MaxBackoff when set, else at math.MaxInt64, jitter
// included.
func testBackoffSaturates(t *testing.T, c *suite) {
	const huge = time.Duration(1 << 62)
	const maxWait = time.Duration(math.MaxInt64)
	lin := baton.RetryPolicy{Linear: true, InitialBackoff: huge, MaxAttempts: 5}
	exp := baton.RetryPolicy{InitialBackoff: huge, Multiplier: 2, MaxAttempts: 5, Jitter: 1}
	for n := 1; n <= 6; n++ {
		want := maxWait
		if n == 1 {
			want = huge
		}
		equal(t, want, lin.Backoff(n, 0.5), "linear, n %d", n)
		equal(t, want, exp.Backoff(n, 0.5), "exponential, n %d", n)
		for _, r := range []float64{0, 0.999999} {
			d := exp.Backoff(n, r)
			isTrue(t, d >= 0, "exponential with jitter, n %d, r %v: %v", n, r, d)
		}
	}
	capped := baton.RetryPolicy{InitialBackoff: time.Second, Multiplier: 3, MaxBackoff: time.Minute, Jitter: 0.5}
	cappedLin := baton.RetryPolicy{Linear: true, InitialBackoff: huge, MaxBackoff: time.Minute}
	for n := 1; n <= 200; n++ {
		for _, r := range []float64{0, 0.5, 0.999999} {
			d := capped.Backoff(n, r)
			isTrue(t, d >= 0 && d <= time.Minute, "n %d, r %v: %v is outside [0, MaxBackoff], jitter included", n, r, d)
		}
		equal(t, time.Minute, cappedLin.Backoff(n, 0), "linear capped, n %d", n)
	}
}

// In a pipeline, through Process and Run, the waits of a policy whose arithmetic overflows stay
// at its MaxBackoff; without one, the wait is the longest there is, and the step's timeout ends
// it. (On a virtual clock.)
func testRetryWaitsSaturate(t *testing.T, c *suite) {
	const huge = time.Duration(1 << 62)
	pol := baton.RetryPolicy{Linear: true, InitialBackoff: huge, MaxBackoff: time.Hour, MaxAttempts: 4}
	for _, run := range []bool{false, true} {
		f := &flakyStage{name: "f", n: 3, err: errors.New("flaky")}
		p := c.newPipeline(t, []baton.Stage[Msg]{baton.Configure[Msg](f, baton.Retry(pol))})
		if run {
			mustNoError(t, collect(t, p, t.Context(), []Msg{{}})[0].Err)
		} else {
			_, err := p.Process(t.Context(), Msg{})
			mustNoError(t, err)
		}
		equal(t, []time.Duration{time.Hour, time.Hour, time.Hour}, f.waits(), "Run %v", run)
	}
	// Without a cap the second wait is the longest there is: the step's timeout ends it.
	f := &flakyStage{name: "f", n: 99, err: errors.New("flaky")}
	uncapped := baton.RetryPolicy{Linear: true, InitialBackoff: huge, MaxAttempts: 5}
	p := c.newPipeline(t, []baton.Stage[Msg]{baton.Configure[Msg](f, baton.Retry(uncapped), baton.StepTimeout(huge+time.Hour))})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrTimeout)
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 2, se.Attempts, "the wait after the second attempt outlasts the step")
	equal(t, []time.Duration{huge}, f.waits())
}

// emptyRouter routes message 0 nowhere (nil), message 1 to an empty itinerary, message 2 through
// "a" and message 3 to an unknown stage.
func emptyRouter(m Msg) []string {
	switch m.ID {
	case 0:
		return nil
	case 1:
		return []string{}
	case 2:
		return []string{"a"}
	}
	return []string{"nope"}
}

// A router returning no stage fails the message with
// ErrEmptyItinerary, having taken no step, through Process and Run, instead of letting it
// through unchanged; the other messages are routed as usual.
func testEmptyItineraryIsAnError(t *testing.T, c *suite) {
	var undone undoLog
	p := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), tracer("b")}, baton.WithRouter(emptyRouter))
	in := []Msg{{ID: 0, Trace: []string{"in"}}, {ID: 1, Trace: []string{"in"}}, {ID: 2}, {ID: 3}}
	for i := range 2 {
		out, err := p.Process(t.Context(), in[i])
		mustErrorIs(t, err, baton.ErrEmptyItinerary, "Process, message %d", i)
		errorContains(t, err, "router returned no stage")
		notErrorIs(t, err, baton.ErrUnknownStage)
		equal(t, []string{"in"}, out.Trace, "the value is the message as it came")
	}
	rs := collect(t, p, t.Context(), in)
	for i, r := range rs[:2] {
		mustErrorIs(t, r.Err, baton.ErrEmptyItinerary, "Run, message %d", i)
		equal(t, []string{"in"}, r.Value.Trace)
		empty(t, r.Log, "no step")
	}
	mustNoError(t, rs[2].Err)
	equal(t, []string{"a"}, rs[2].Value.Trace)
	errorIs(t, rs[3].Err, baton.ErrUnknownStage)
	empty(t, undone.Names(), "nothing to compensate")
	st := p.Stats().Stages
	equal(t, int64(1), st[0].Processed, "only message 2 took a step")
	equal(t, int64(0), st[1].Processed)
}

// With AllowEmptyItinerary, a message the router sends nowhere
// completes unchanged, with no step and an empty log, through Process and Run; the others are
// routed as usual (an unknown stage is still an error).
func testAllowEmptyItinerary(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithRouter(emptyRouter), baton.AllowEmptyItinerary())
	in := []Msg{{ID: 0, Trace: []string{"in"}}, {ID: 1, Trace: []string{"in"}}, {ID: 2}, {ID: 3}}
	for i := range 2 {
		out, err := p.Process(t.Context(), in[i])
		mustNoError(t, err, "Process, message %d", i)
		equal(t, in[i], out, "unchanged")
	}
	out, err := p.Process(t.Context(), in[2])
	mustNoError(t, err)
	equal(t, []string{"a"}, out.Trace)
	rs := collect(t, p, t.Context(), in)
	for i, r := range rs[:2] {
		mustNoError(t, r.Err, "Run, message %d", i)
		equal(t, in[i], r.Value, "unchanged")
		empty(t, r.Log, "no step")
	}
	mustNoError(t, rs[2].Err)
	equal(t, []string{"a"}, rs[2].Value.Trace)
	equal(t, []string{"a:succeeded"}, logOf(rs[2].Log))
	errorIs(t, rs[3].Err, baton.ErrUnknownStage)
	st := p.Stats().Stages
	equal(t, int64(2), st[0].Processed)
	equal(t, int64(0), st[1].Processed)
}

// Without a router AllowEmptyItinerary changes nothing: every message takes every stage.
func testAllowEmptyItineraryWithoutARouter(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.AllowEmptyItinerary())
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"a", "b"}, out.Trace)
}
