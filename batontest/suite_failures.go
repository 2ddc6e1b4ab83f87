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

// A step that fails after its attempts fails its message with an error matching the stage's
// own, and a *StepError naming the stage and the attempts made.
func testFailureNamesStage(t *testing.T, c *suite) {
	cause := errors.New("disk full")
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), failing("b", cause, baton.Retry(baton.RetryPolicy{MaxAttempts: 3})), tracer("c")})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, cause)
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, "b", se.Stage)
	equal(t, 3, se.Attempts)
}

// A failed message's value is the last good one: what the step before the failure returned.
func testFailedMessageKeepsItsLastGoodValue(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), failing("b", errors.New("x")), tracer("c")})
	out, err := p.Process(t.Context(), Msg{})
	mustTrue(t, err != nil, "the message fails at b")
	equal(t, []string{"a"}, out.Trace)
}

// A failed step counts once in its stage's Failed, each retry in Retried, and the stages after
// it, which the message never reaches, count nothing.
func testFailureIsCounted(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), failing("b", errors.New("x"), baton.Retry(baton.RetryPolicy{MaxAttempts: 3})), tracer("c")})
	_, err := p.Process(t.Context(), Msg{})
	mustTrue(t, err != nil, "the message fails at b")
	st := p.Stats().Stages
	equal(t, int64(1), st[0].Processed)
	equal(t, int64(1), st[1].Failed)
	equal(t, int64(2), st[1].Retried)
	equal(t, int64(0), st[2].Processed)
}

// An error marked Permanent is not retried, whatever the policy, and still matches its cause.
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

// panicOnce is a stage whose first call panics with value (later calls trace), under a
// three-attempt retry policy.
func panicOnce(value any) baton.Stage[Msg] {
	var n atomic.Int32
	return baton.Func("p", func(_ context.Context, m Msg) (Msg, error) {
		if n.Add(1) == 1 {
			panic(value)
		}
		return m.with("p"), nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3}))
}

// A panic in a step fails its message with an error matching ErrPanic: a *PanicError whose
// stack shows where it panicked.
func testPanicBecomesAnError(t *testing.T, c *suite) {
	_, file, _, _ := runtime.Caller(0)
	p := c.newPipeline(t, []baton.Stage[Msg]{panicOnce("bug")})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrPanic)
	var pe *baton.PanicError
	mustErrorAs(t, err, &pe)
	equal(t, "bug", pe.Value)
	isTrue(t, strings.Contains(string(pe.Stack), filepath.Base(file)), "the stack shows where it panicked:\n%s", pe.Stack)
}

// A panic with an error value matches that error too (errors.Is unwraps it).
func testPanickedErrorIsUnwrapped(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{panicOnce(fmt.Errorf("wrapped %w", context.Canceled))})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrPanic)
	errorIs(t, err, context.Canceled)
}

// A panic is not retried: the step fails after the attempt that panicked.
func testPanicIsNotRetried(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{panicOnce("bug")})
	_, err := p.Process(t.Context(), Msg{})
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 1, se.Attempts)
}

// After a panic the pipeline goes on: the next message through the same stage succeeds.
func testPipelineGoesOnAfterAPanic(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{panicOnce("bug")})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrPanic)
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"p"}, out.Trace)
}

// sagaRun is a message that fails at "ship" after reserve, plain, charge and notify: every one
// but plain compensates, and charge's compensation fails with undoErr.
type sagaRun struct {
	p       *baton.Pipeline[Msg]
	undone  *undoLog
	cause   error
	undoErr error
	result  baton.Result[Msg]
}

func runSaga(t *testing.T, c *suite) sagaRun {
	r := sagaRun{undone: &undoLog{}, cause: errors.New("payment declined"), undoErr: errors.New("refund failed")}
	r.p = c.newPipeline(t, []baton.Stage[Msg]{
		saga("reserve", r.undone, nil),
		tracer("plain"),
		saga("charge", r.undone, r.undoErr),
		saga("notify", r.undone, nil),
		failing("ship", r.cause),
		saga("never", r.undone, nil),
	})
	r.result = collect(t, r.p, t.Context(), []Msg{{}})[0]
	return r
}

// When a step fails, the steps completed before it are compensated, in reverse order, for the
// stages that can compensate; stages after the failure are not.
func testCompensationRunsInReverse(t *testing.T, c *suite) {
	r := runSaga(t, c)
	equal(t, []string{"notify", "charge", "reserve"}, r.undone.Names())
}

// A compensated message's error still matches the original failure, and its *StepError names
// the stage that failed.
func testCompensatedErrorKeepsTheFailure(t *testing.T, c *suite) {
	r := runSaga(t, c)
	mustErrorIs(t, r.result.Err, r.cause)
	var se *baton.StepError
	mustErrorAs(t, r.result.Err, &se)
	equal(t, "ship", se.Stage)
}

// A compensation that fails makes the message's error match ErrCompensationFailed, and its
// record carries the compensation's error; the other compensations still run.
func testFailedCompensationIsReported(t *testing.T, c *suite) {
	r := runSaga(t, c)
	mustErrorIs(t, r.result.Err, baton.ErrCompensationFailed)
	var ce *baton.CompensationError
	mustErrorAs(t, r.result.Err, &ce)
	mustEqual(t, 3, len(ce.Steps))
	errorIs(t, ce.Steps[1].Err, r.undoErr)
	equal(t, "reserve:compensated", logOf(ce.Steps)[2], "the compensation after the failed one ran")
}

// A compensated message's error is a *CompensationError whose Steps are its compensations'
// records in the order they ran, the same as Result.Compensation, through Run and Process.
func testCompensationErrorListsTheCompensations(t *testing.T, c *suite) {
	r := runSaga(t, c)
	want := []string{"notify:compensated", "charge:compensation failed", "reserve:compensated"}
	var ce *baton.CompensationError
	mustErrorAs(t, r.result.Err, &ce)
	equal(t, want, logOf(ce.Steps), "Run")
	equal(t, want, logOf(r.result.Compensation()), "Result.Compensation")
	_, err := r.p.Process(t.Context(), Msg{})
	mustErrorAs(t, err, &ce)
	equal(t, want, logOf(ce.Steps), "Process")
}

// A compensated message's log holds its steps, the failed one included, then its
// compensations.
func testCompensationIsInTheLog(t *testing.T, c *suite) {
	r := runSaga(t, c)
	equal(t, []string{"reserve:succeeded", "plain:succeeded", "charge:succeeded", "notify:succeeded", "ship:failed",
		"notify:compensated", "charge:compensation failed", "reserve:compensated"}, logOf(r.result.Log))
}

// Compensations count in their stages' Compensated, or CompensationFailed when they fail.
func testCompensationIsCounted(t *testing.T, c *suite) {
	r := runSaga(t, c)
	st := r.p.Stats().Stages
	equal(t, [2]int64{1, 0}, [2]int64{st[0].Compensated, st[0].CompensationFailed}, "reserve")
	equal(t, [2]int64{0, 0}, [2]int64{st[1].Compensated, st[1].CompensationFailed}, "plain")
	equal(t, [2]int64{0, 1}, [2]int64{st[2].Compensated, st[2].CompensationFailed}, "charge")
	equal(t, [2]int64{1, 0}, [2]int64{st[3].Compensated, st[3].CompensationFailed}, "notify")
}

// A message whose compensations all succeed fails with its step's error, which does not match
// ErrCompensationFailed.
func testCompensationOK(t *testing.T, c *suite) {
	var undone undoLog
	p := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), failing("b", errors.New("x"))})
	_, err := p.Process(t.Context(), Msg{})
	mustTrue(t, err != nil, "want an error")
	notErrorIs(t, err, baton.ErrCompensationFailed)
	equal(t, []string{"a"}, undone.Names())
}

// A compensation that panics is a failed compensation, its record matching ErrPanic.
func testCompensatePanic(t *testing.T, c *suite) {
	a := baton.Compensable(tracer("a"), func(context.Context, Msg) error { panic("undo bug") })
	p := c.newPipeline(t, []baton.Stage[Msg]{a, failing("b", errors.New("x"))})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrCompensationFailed)
	var ce *baton.CompensationError
	mustErrorAs(t, err, &ce)
	errorIs(t, ce.Steps[0].Err, baton.ErrPanic)
}

// optionalRun runs one message through r, which inserts the optional flaky2 (that panics),
// then the optional flaky (that fails with cause), then b.
func optionalRun(t *testing.T, c *suite, cause error) (*baton.Pipeline[Msg], baton.Result[Msg]) {
	ins := reviser("r", func(_ Msg, s *baton.Slip) error { return s.InsertNextOptional("flaky2") })
	p := c.newPipeline(t, []baton.Stage[Msg]{
		ins, failing("flaky", cause, baton.Optional()), failing("flaky2", nil), tracer("b"),
	}, baton.WithRouter(func(Msg) []string { return []string{"r", "flaky", "b"} }))
	return p, collect(t, p, t.Context(), []Msg{{}})[0]
}

// An optional step that fails (a stage made Optional, or a step inserted as optional) is
// tolerated: the message goes on with the value from before it, and its log records the step
// as tolerated, with its error.
func testOptional(t *testing.T, c *suite) {
	cause := errors.New("cache down")
	_, r := optionalRun(t, c, cause)
	mustNoError(t, r.Err)
	equal(t, []string{"r", "b"}, r.Value.Trace)
	mustEqual(t, []string{"r:succeeded", "flaky2:tolerated", "flaky:tolerated", "b:succeeded"}, logOf(r.Log))
	errorIs(t, r.Log[2].Err, cause)
	errorIs(t, r.Log[1].Err, baton.ErrPanic)
}

// A tolerated failure counts in its stage's Failed.
func testToleratedFailureIsCounted(t *testing.T, c *suite) {
	p, _ := optionalRun(t, c, errors.New("cache down"))
	st := p.Stats().Stages
	equal(t, int64(1), st[1].Failed, "flaky")
	equal(t, int64(1), st[2].Failed, "flaky2")
}

// A tolerated step is not compensated when a later step fails, and does not stop the
// compensation of the steps before it.
func testToleratedStepIsNotCompensated(t *testing.T, c *suite) {
	var undone undoLog
	p := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), failing("opt", errors.New("cache down"), baton.Optional()), failing("fail", errors.New("x"))})
	_, err := p.Process(t.Context(), Msg{})
	var ce *baton.CompensationError
	mustErrorAs(t, err, &ce)
	equal(t, []string{"a:compensated"}, logOf(ce.Steps))
	equal(t, []string{"a"}, undone.Names())
}

// A message whose context is cancelled between steps stops before its next stage with an
// error matching context.Canceled, keeping the value so far, and its completed steps are
// compensated.
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
}

// Process with an already cancelled context refuses the message, with context.Canceled.
func testCancelledContextIsRefused(t *testing.T, c *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")})
	out, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.Canceled)
	empty(t, out.Trace, "no step ran")
}

// New refuses invalid stages and options with an error matching ErrInvalidPipeline that says
// what is wrong, and no pipeline.
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

// A Retryable predicate that panics fails the step with an error matching both the step's
// error and ErrPanic, and leaves nothing in flight.
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

// goexitOnOdd is a pipeline whose stage "exit", after the compensable a, calls runtime.Goexit
// for messages of odd ID, as t.FailNow does inside a stage.
func goexitOnOdd(t *testing.T, c *suite, undone *undoLog) *baton.Pipeline[Msg] {
	exit := baton.Func("exit", func(_ context.Context, m Msg) (Msg, error) {
		if m.ID%2 == 1 {
			runtime.Goexit()
		}
		return m.with("exit"), nil
	})
	return c.newPipeline(t, []baton.Stage[Msg]{saga("a", undone, nil), exit, tracer("b")}, baton.WithMaxInFlight(2))
}

// A stage that calls runtime.Goexit fails its step with ErrGoexit, and the message's completed
// steps are compensated; the other messages go on, and nothing hangs.
func testStageGoexit(t *testing.T, c *suite) {
	var undone undoLog
	p := goexitOnOdd(t, c, &undone)
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
	mustNoError(t, p.Close(), "nothing left in flight")
	equal(t, 10, len(undone.Names()), "every message that exited was compensated")
}

// When a stage calls runtime.Goexit during Process, the caller's goroutine may end with it (the
// step may run there), but the message still finishes: compensated, nothing left in flight.
func testProcessWithAGoexitStillFinishes(t *testing.T, c *suite) {
	var undone undoLog
	p := goexitOnOdd(t, c, &undone)
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		p.Process(t.Context(), Msg{ID: 1})
	}()
	<-returned
	mustNoError(t, p.Close(), "nothing left in flight")
	equal(t, []string{"a"}, undone.Names(), "the message was compensated")
}

// A compensation that calls runtime.Goexit is a failed compensation, its record matching
// ErrGoexit, and nothing hangs.
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

// A context cancelled during the last step of the itinerary does not fail the message: every
// step completed.
func testCancelledAfterLastStep(t *testing.T, c *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	last := baton.Func("last", func(_ context.Context, m Msg) (Msg, error) { cancel(); return m.with("last"), nil })
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), last})
	out, err := p.Process(ctx, Msg{})
	mustNoError(t, err, "every step of the itinerary completed")
	equal(t, []string{"a", "last"}, out.Trace)
}

// The compensations of a message stopped by its cancelled context run with a context that is
// not cancelled. (On a virtual clock: the message is cancelled after a second.)
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
