package batontest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Errors and sentinels, panics and runtime.Goexit, compensation, optional steps, cancellation,
// validation.

func testFailureNamesStage(t *testing.T, c *suite) {
	cause := errors.New("disk full")
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), failing("b", cause, baton.Retry(baton.RetryPolicy{MaxAttempts: 3})), tracer("c")})
	out, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, cause)
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, "b", se.Stage)
	equal(t, 3, se.Attempts)
	equal(t, []string{"a"}, out.Trace, "the value is the last good one")
	st := p.Stats().Stages
	equal(t, int64(1), st[1].Failed)
	equal(t, int64(2), st[1].Retried)
	equal(t, int64(0), st[2].Processed)
}

func testPermanent(t *testing.T, c *suite) {
	cause := errors.New("bad input")
	p := c.newPipeline(t, []baton.Stage[Msg]{failing("b", baton.Permanent(cause), baton.Retry(baton.RetryPolicy{MaxAttempts: 5}))})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, cause)
	isTrue(t, baton.IsPermanent(err), "IsPermanent")
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 1, se.Attempts)
}

func testPanic(t *testing.T, c *suite) {
	_, file, _, _ := runtime.Caller(0)
	var n atomic.Int32
	st := baton.Func("p", func(_ context.Context, m Msg) (Msg, error) {
		if n.Add(1) == 1 {
			panic(fmt.Errorf("wrapped %w", context.Canceled))
		}
		return m.with("p"), nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3}))
	p := c.newPipeline(t, []baton.Stage[Msg]{st})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrPanic)
	var pe *baton.PanicError
	mustErrorAs(t, err, &pe)
	isTrue(t, strings.Contains(string(pe.Stack), filepath.Base(file)), "the stack shows where it panicked:\n%s", pe.Stack)
	errorIs(t, err, context.Canceled, "a panicked error is unwrapped")
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 1, se.Attempts, "a panic is not retried")
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"p"}, out.Trace)
}

func testCompensation(t *testing.T, c *suite) {
	var undone undoLog
	undoErr := errors.New("refund failed")
	cause := errors.New("payment declined")
	p := c.newPipeline(t, []baton.Stage[Msg]{
		saga("reserve", &undone, nil),
		tracer("plain"),
		saga("charge", &undone, undoErr),
		saga("notify", &undone, nil),
		failing("ship", cause),
		saga("never", &undone, nil),
	})
	rs := collect(t, p, t.Context(), []Msg{{}})
	r := rs[0]
	equal(t, []string{"notify", "charge", "reserve"}, undone.Names())
	mustErrorIs(t, r.Err, cause)
	mustErrorIs(t, r.Err, baton.ErrCompensationFailed)
	var ce *baton.CompensationError
	mustErrorAs(t, r.Err, &ce)
	mustEqual(t, []string{"notify:compensated", "charge:compensation failed", "reserve:compensated"}, logOf(ce.Steps))
	errorIs(t, ce.Steps[1].Err, undoErr)
	var se *baton.StepError
	mustErrorAs(t, r.Err, &se)
	equal(t, "ship", se.Stage)
	equal(t, []string{"reserve:succeeded", "plain:succeeded", "charge:succeeded", "notify:succeeded", "ship:failed",
		"notify:compensated", "charge:compensation failed", "reserve:compensated"}, logOf(r.Log))
	equal(t, logOf(ce.Steps), logOf(r.Compensation()))
	st := p.Stats().Stages
	equal(t, int64(1), st[0].Compensated)
	equal(t, int64(1), st[2].CompensationFailed)

	// Process reports the same.
	_, err := p.Process(t.Context(), Msg{})
	mustErrorAs(t, err, &ce)
	equal(t, []string{"notify:compensated", "charge:compensation failed", "reserve:compensated"}, logOf(ce.Steps))
}

func testCompensationOK(t *testing.T, c *suite) {
	var undone undoLog
	p := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), failing("b", errors.New("x"))})
	_, err := p.Process(t.Context(), Msg{})
	mustTrue(t, err != nil, "want an error")
	notErrorIs(t, err, baton.ErrCompensationFailed)
	equal(t, []string{"a"}, undone.Names())
}

func testCompensatePanic(t *testing.T, c *suite) {
	a := baton.Compensable(tracer("a"), func(context.Context, Msg) error { panic("undo bug") })
	p := c.newPipeline(t, []baton.Stage[Msg]{a, failing("b", errors.New("x"))})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrCompensationFailed)
	var ce *baton.CompensationError
	mustErrorAs(t, err, &ce)
	errorIs(t, ce.Steps[0].Err, baton.ErrPanic)
}

func testOptional(t *testing.T, c *suite) {
	cause := errors.New("cache down")
	ins := reviser("r", func(_ Msg, s *baton.Slip) error { return s.InsertNextOptional("flaky2") })
	p := c.newPipeline(t, []baton.Stage[Msg]{
		ins, failing("flaky", cause, baton.Optional()), failing("flaky2", nil), tracer("b"),
	}, baton.WithRouter(func(Msg) []string { return []string{"r", "flaky", "b"} }))
	rs := collect(t, p, t.Context(), []Msg{{}})
	mustNoError(t, rs[0].Err)
	equal(t, []string{"r", "b"}, rs[0].Value.Trace)
	mustEqual(t, []string{"r:succeeded", "flaky2:tolerated", "flaky:tolerated", "b:succeeded"}, logOf(rs[0].Log))
	errorIs(t, rs[0].Log[2].Err, cause)
	errorIs(t, rs[0].Log[1].Err, baton.ErrPanic)
	st := p.Stats().Stages
	equal(t, int64(1), st[1].Failed, "a tolerated failure counts as failed")
	equal(t, int64(1), st[2].Failed)

	// A tolerated step is not compensated, and does not stop compensation of the others.
	var undone undoLog
	p2 := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), failing("opt", cause, baton.Optional()), failing("fail", errors.New("x"))})
	_, err := p2.Process(t.Context(), Msg{})
	var ce *baton.CompensationError
	mustErrorAs(t, err, &ce)
	equal(t, []string{"a:compensated"}, logOf(ce.Steps))
	equal(t, []string{"a"}, undone.Names())
}

func testCancelled(t *testing.T, c *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	var undone undoLog
	stop := baton.Func("stop", func(_ context.Context, m Msg) (Msg, error) { cancel(); return m.with("stop"), nil })
	p := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), stop, tracer("b")})
	out, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.Canceled)
	errorContains(t, err, `before stage "b"`)
	equal(t, []string{"a", "stop"}, out.Trace)
	equal(t, []string{"a"}, undone.Names(), "completed steps are compensated")

	_, err = p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.Canceled, "an already cancelled context is refused")
}

func testNewValidates(t *testing.T, c *suite) {
	a := tracer("a")
	cases := []struct {
		name   string
		stages []baton.Stage[Msg]
		opts   []baton.Option
		want   string
	}{
		{"no stages", nil, nil, "no stages"},
		{"nil stage", []baton.Stage[Msg]{a, nil}, nil, "stage 1 is nil"},
		{"empty name", []baton.Stage[Msg]{tracer("")}, nil, "empty name"},
		{"duplicate", []baton.Stage[Msg]{a, tracer("a")}, nil, `"a" used twice`},
		{"in flight", []baton.Stage[Msg]{a}, []baton.Option{baton.WithMaxInFlight(0)}, "WithMaxInFlight(0)"},
		{"in flight too large", []baton.Stage[Msg]{a}, []baton.Option{baton.WithMaxInFlight(math.MaxInt)}, "must be in [1, "},
		{"NaN jitter", []baton.Stage[Msg]{tracer("w", baton.Retry(baton.RetryPolicy{Jitter: math.NaN()}))}, nil, "Jitter"},
		{"infinite multiplier", []baton.Stage[Msg]{tracer("w", baton.Retry(baton.RetryPolicy{Multiplier: math.Inf(1)}))}, nil, "Multiplier"},
		{"hop limit", []baton.Stage[Msg]{a}, []baton.Option{baton.WithHopLimit(-1)}, "WithHopLimit(-1)"},
		{"strategy", []baton.Stage[Msg]{a}, []baton.Option{baton.WithStrategy(9)}, "unknown strategy"},
		{"router type", []baton.Stage[Msg]{a}, []baton.Option{baton.WithRouter(func(int) []string { return nil })}, "WithRouter"},
		{"message timeout", []baton.Stage[Msg]{a}, []baton.Option{baton.WithMessageTimeout(0)}, "WithMessageTimeout"},
		{"workers", []baton.Stage[Msg]{tracer("w", baton.Workers(-1))}, nil, "Workers"},
		{"workers zero", []baton.Stage[Msg]{tracer("w", baton.Workers(0))}, nil, "Workers(0): must be at least 1"},
		{"retry", []baton.Stage[Msg]{tracer("w", baton.Retry(baton.RetryPolicy{Jitter: 2}))}, nil, "Jitter"},
		{"nil option", []baton.Stage[Msg]{a}, []baton.Option{nil}, "nil Option"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.build(t, tc.stages, tc.opts...)
			mustErrorIs(t, err, baton.ErrInvalidPipeline)
			errorContains(t, err, tc.want)
			isTrue(t, p == nil, "no pipeline with an error")
		})
	}
}

func testRetryablePanic(t *testing.T, c *suite) {
	cause := errors.New("x")
	pol := baton.RetryPolicy{MaxAttempts: 3, Retryable: func(error) bool { panic("predicate bug") }}
	p := c.newPipeline(t, []baton.Stage[Msg]{failing("f", cause, baton.Retry(pol))})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, cause)
	mustErrorIs(t, err, baton.ErrPanic)
	errorContains(t, err, "Retryable panicked")
	mustNoError(t, p.Close(), "nothing left in flight")
}

func testStageGoexit(t *testing.T, c *suite) {
	var undone undoLog
	exit := baton.Func("exit", func(_ context.Context, m Msg) (Msg, error) {
		if m.ID%2 == 1 {
			runtime.Goexit() // what t.FailNow does inside a stage
		}
		return m.with("exit"), nil
	})
	p := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), exit, tracer("b")}, baton.WithMaxInFlight(2))
	in := make([]Msg, 20)
	for i := range in {
		in[i].ID = i
	}
	for _, r := range collect(t, p, t.Context(), in) {
		if r.Value.ID%2 == 1 {
			mustErrorIs(t, r.Err, baton.ErrGoexit, "message %d", r.Seq)
			equal(t, []string{"a:succeeded", "exit:failed", "a:compensated"}, logOf(r.Log), "message %d", r.Seq)
		} else {
			mustNoError(t, r.Err, "message %d", r.Seq)
		}
	}
	// Process: the caller's goroutine may end (as with t.FailNow); the message still finishes.
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		p.Process(t.Context(), Msg{ID: 1})
	}()
	<-returned
	mustNoError(t, p.Close(), "nothing left in flight")
	equal(t, 11, len(undone.Names()), "every message that exited was compensated")
}

func testCompensateGoexit(t *testing.T, c *suite) {
	a := baton.Compensable(tracer("a"), func(context.Context, Msg) error { runtime.Goexit(); return nil })
	p := c.newPipeline(t, []baton.Stage[Msg]{a, failing("b", errors.New("x"))})
	for _, r := range collect(t, p, t.Context(), make([]Msg, 3)) {
		mustErrorIs(t, r.Err, baton.ErrCompensationFailed, "message %d", r.Seq)
		var ce *baton.CompensationError
		mustErrorAs(t, r.Err, &ce)
		mustErrorIs(t, ce.Steps[0].Err, baton.ErrGoexit)
	}
	mustNoError(t, p.Close())
}

func testCancelledAfterLastStep(t *testing.T, c *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	last := baton.Func("last", func(_ context.Context, m Msg) (Msg, error) { cancel(); return m.with("last"), nil })
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), last})
	out, err := p.Process(ctx, Msg{})
	mustNoError(t, err, "every step of the itinerary completed")
	equal(t, []string{"a", "last"}, out.Trace)
}

// testCompensationLiveContext runs in a bubble: the message is cancelled after a second.
func testCompensationLiveContext(t *testing.T, c *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	compCtxErr := errors.New("not called")
	a := baton.Compensable(tracer("a"), func(ctx context.Context, _ Msg) error {
		mu.Lock()
		compCtxErr = ctx.Err()
		mu.Unlock()
		return nil
	})
	p := c.newPipeline(t, []baton.Stage[Msg]{a, sleeper("b", time.Hour)})
	time.AfterFunc(time.Second, cancel)
	_, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.Canceled)
	mu.Lock()
	defer mu.Unlock()
	noError(t, compCtxErr, "compensation runs with a context that is not cancelled")
}
