package batontest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
)

// Cancellation and deadlines while a step runs: the message's error says why its context
// ended, and a deadline is a promise of bounded time.

// ownErrorStage waits for its context to end, then returns its own error, not ctx.Err().
func ownErrorStage(own error, started chan<- struct{}, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.Func("own", func(ctx context.Context, m Msg) (Msg, error) {
		if started != nil {
			started <- struct{}{}
		}
		<-ctx.Done()
		return m, own
	}, opts...)
}

// A message cancelled while its step runs fails with an error matching its context's cause —
// context.Canceled, or the cause given to context.WithCancelCause — that still carries the
// stage's own error, and its step is not retried.
func testCancelledStepKeepsCause(t *testing.T, c *suite) {
	own := errors.New("own")
	started := make(chan struct{}, 1)
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), ownErrorStage(own, started, baton.Retry(baton.RetryPolicy{MaxAttempts: 5}))})

	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-started; cancel() }()
	_, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.Canceled)
	errorIs(t, err, own, "the stage's own error is kept")
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 1, se.Attempts, "a cut-short step is not retried")
	errorContains(t, err, "stopped", "the text says the step was cut short")

	why := errors.New("user went away")
	cctx, ccancel := context.WithCancelCause(t.Context())
	go func() { <-started; ccancel(why) }()
	_, err = p.Process(cctx, Msg{})
	mustErrorIs(t, err, why, "the cause given to WithCancelCause")
	errorIs(t, err, context.Canceled)
	errorIs(t, err, own)

	// The same for a stream's context.
	sctx, scancel := context.WithCancelCause(t.Context())
	st := p.Stream(sctx)
	mustNoError(t, st.Submit(t.Context(), Msg{}))
	<-started
	scancel(why)
	st.CloseSend()
	for r := range st.Results() {
		errorIs(t, r.Err, why)
		errorIs(t, r.Err, context.Canceled)
		errorIs(t, r.Err, own)
	}
}

// Under FailFast, the messages cut short by the first failure match context.Canceled and that
// failure, not only in their text, and keep their stages' own errors.
func testFailFastCutShortMatchesCause(t *testing.T, c *suite) {
	poison, own := errors.New("poison"), errors.New("own")
	var running sync.WaitGroup
	running.Add(3)
	st := baton.Func("st", func(ctx context.Context, m Msg) (Msg, error) {
		if m.ID == 0 {
			running.Wait() // the others are in their step
			return m, poison
		}
		running.Done()
		<-ctx.Done()
		return m, own
	}, baton.Workers(4))
	p := c.newPipeline(t, []baton.Stage[Msg]{st}, baton.WithMaxInFlight(4))
	rs := collect(t, p, t.Context(), []Msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}}, baton.FailFast())
	mustErrorIs(t, rs[0].Err, poison)
	for _, r := range rs[1:] {
		errorIs(t, r.Err, context.Canceled, "message %d", r.Seq)
		errorIs(t, r.Err, poison, "message %d: the failure that cancelled the stream", r.Seq)
		errorIs(t, r.Err, own, "message %d: its stage's own error", r.Seq)
	}
}

// A step that returns success after its attempt's deadline, or after the message's own
// deadline (the caller's, or WithMessageTimeout's), fails: with ErrTimeout, or the caller's
// context.DeadlineExceeded; its value is dropped.
func testLateSuccessAfterAnyDeadline(t *testing.T, c *suite) {
	late := func(opts ...baton.StageOption) baton.Stage[Msg] {
		return baton.Func("late", func(ctx context.Context, m Msg) (Msg, error) {
			time.Sleep(30 * time.Millisecond) // ignores ctx
			return m.with("late"), nil
		}, opts...)
	}
	cases := []struct {
		name    string
		stage   baton.Stage[Msg]
		opts    []baton.Option
		timeout time.Duration // the caller's deadline, if any
		want    []error
	}{
		{"attempt and message timeouts", late(baton.AttemptTimeout(10 * time.Millisecond)), []baton.Option{baton.WithMessageTimeout(20 * time.Millisecond)}, 0, []error{baton.ErrTimeout, context.DeadlineExceeded}},
		{"attempt timeout and caller's deadline", late(baton.AttemptTimeout(10 * time.Millisecond)), nil, 20 * time.Millisecond, []error{context.DeadlineExceeded}},
		{"message timeout", late(), []baton.Option{baton.WithMessageTimeout(20 * time.Millisecond)}, 0, []error{baton.ErrTimeout, context.DeadlineExceeded}},
		{"caller's deadline", late(), nil, 20 * time.Millisecond, []error{context.DeadlineExceeded}},
		{"caller's deadline, with retries", late(baton.Retry(baton.RetryPolicy{MaxAttempts: 3})), nil, 20 * time.Millisecond, []error{context.DeadlineExceeded}},
	}
	for _, tc := range cases {
		synctest.Test(t, func(t *testing.T) {
			p := c.newPipeline(t, []baton.Stage[Msg]{tc.stage, tracer("next")}, tc.opts...)
			ctx := t.Context()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			out, err := p.Process(ctx, Msg{})
			for _, w := range tc.want {
				errorIs(t, err, w, tc.name)
			}
			var se *baton.StepError
			if errors.As(err, &se) {
				equal(t, "late", se.Stage, tc.name)
				equal(t, 1, se.Attempts, "%s: a message past its deadline is not retried", tc.name)
			} else {
				t.Errorf("%s: %v is not a *StepError", tc.name, err)
			}
			empty(t, out.Trace, "%s: the late success's value is dropped", tc.name)
		})
	}
}

// panickyError's Is method panics, as a buggy user error may.
type panickyError struct{}

func (panickyError) Error() string   { return "panicky" }
func (panickyError) Is(error) bool   { panic("Is bug") }
func (panickyError) Unwrap() []error { return nil }

// A user error whose Is method panics is contained like any other user code: the step fails
// (it is not retried, and the error says what panicked), nothing crashes, and Close returns.
func testPanickingErrorIsIsContained(t *testing.T, c *suite) {
	for _, pol := range []baton.RetryPolicy{{MaxAttempts: 3}, {MaxAttempts: 3, Retryable: func(error) bool { return true }}} {
		p, err := c.build(t, []baton.Stage[Msg]{failing("f", panickyError{}, baton.Retry(pol)), tracer("next")})
		mustNoError(t, err)
		_, err = p.Process(t.Context(), Msg{})
		var se *baton.StepError
		mustErrorAs(t, err, &se)
		equal(t, 1, se.Attempts, "not retried")
		isTrue(t, strings.Contains(err.Error(), "panicked"), "the error says what panicked: %v", err)
		rs := collect(t, p, t.Context(), []Msg{{}, {}})
		for _, r := range rs {
			isTrue(t, r.Err != nil, "each message fails")
		}
		done := make(chan error)
		go func() { done <- p.Close() }()
		select {
		case err := <-done:
			mustNoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Close hangs after a panicking Is")
		}
	}
}

// A cancellation cause whose Is method panics, given to context.WithCancelCause, is contained
// too: the message fails with the cause in its error.
func testPanickingCauseIsContained(t *testing.T, c *suite) {
	started := make(chan struct{}, 1)
	p := c.newPipeline(t, []baton.Stage[Msg]{ownErrorStage(errors.New("own"), started)})
	ctx, cancel := context.WithCancelCause(t.Context())
	go func() { <-started; cancel(panickyError{}) }()
	_, err := p.Process(ctx, Msg{})
	isTrue(t, err != nil && strings.Contains(err.Error(), "panicky"), "the cause is in the error: %v", err)
}
