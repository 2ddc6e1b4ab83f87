package batontest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
)

// Wrappers: middleware around a stage keeps what the stage had, by Unwrap.

// counting is middleware: it counts the calls of the stage it wraps, and says what it wraps.
type counting struct {
	baton.Stage[Msg]
	calls *atomic.Int32
}

func (c counting) Process(ctx context.Context, m Msg, s *baton.Slip) (Msg, error) {
	c.calls.Add(1)
	return c.Stage.Process(ctx, m, s)
}
func (c counting) Unwrap() baton.Stage[Msg] { return c.Stage }

// A wrapper that embeds the stage and implements Unwrap keeps its policies (here Retry) and its
// Compensator.
func testWrapperKeepsPoliciesAndCompensator(t *testing.T, c *suite) {
	var undone undoLog
	var calls atomic.Int32
	var tries atomic.Int32
	inner := baton.Compensable(baton.Func("flaky", func(_ context.Context, m Msg) (Msg, error) {
		if tries.Add(1) < 3 {
			return m, errors.New("flaky")
		}
		return m.with("flaky"), nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3})), func(context.Context, Msg) error {
		undone.add("flaky")
		return nil
	})
	cause := errors.New("later failure")
	p := c.newPipeline(t, []baton.Stage[Msg]{counting{inner, &calls}, failing("fail", cause)})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, cause)
	equal(t, int32(3), calls.Load(), "the wrapped stage's Retry is kept: three attempts through the wrapper")
	equal(t, []string{"flaky"}, undone.Names(), "the wrapped stage's Compensator is kept")
}

// selfUndoing is a wrapper with a Compensate of its own: it is the stage's Compensator.
type selfUndoing struct {
	counting
	undone *undoLog
}

func (s selfUndoing) Compensate(context.Context, Msg) error {
	s.undone.add("wrapper")
	return nil
}

// A wrapper that implements Compensate itself is the Compensator, not the stage it wraps.
func testWrapperOwnCompensatorWins(t *testing.T, c *suite) {
	var undone undoLog
	var calls atomic.Int32
	inner := saga("inner", &undone, nil)
	p := c.newPipeline(t, []baton.Stage[Msg]{selfUndoing{counting{inner, &calls}, &undone}, failing("fail", errors.New("x"))})
	_, err := p.Process(t.Context(), Msg{})
	isTrue(t, err != nil, "the message fails")
	equal(t, []string{"wrapper"}, undone.Names())
}

// loop unwraps to itself.
type loop struct{ baton.Stage[Msg] }

func (l loop) Unwrap() baton.Stage[Msg] { return l }

// panicky's Unwrap panics.
type panicky struct{ baton.Stage[Msg] }

func (panicky) Unwrap() baton.Stage[Msg] { panic("Unwrap bug") }

// New refuses a wrapper whose Unwrap never ends or panics, naming the stage.
func testWrapperChainsAreChecked(t *testing.T, c *suite) {
	_, err := c.build(t, []baton.Stage[Msg]{loop{tracer("a")}})
	mustErrorIs(t, err, baton.ErrInvalidPipeline)
	errorContains(t, err, "Unwrap chain")
	_, err = c.build(t, []baton.Stage[Msg]{tracer("a"), panicky{tracer("b")}})
	mustErrorIs(t, err, baton.ErrInvalidPipeline)
	errorContains(t, err, "Unwrap panicked")
}
