package batontest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/baton-go/baton"
)

// A ContextObserver chooses the context each step and compensation runs with.

type stepKey struct{}

// stepContexts is a ContextObserver that gives each attempt a value naming it, or panics when
// told to.
type stepContexts struct {
	panics bool
}

func (stepContexts) Observe(baton.Event) {}
func (s stepContexts) StepContext(ctx context.Context, e baton.Event) context.Context {
	if s.panics {
		panic("StepContext bug")
	}
	return context.WithValue(ctx, stepKey{}, fmt.Sprintf("%v %s #%d of message %d", e.Kind, e.Stage, e.Attempt, e.Message))
}

// The context a ContextObserver returns is the one each attempt and compensation receives; a
// panicking StepContext is contained: the stage gets its context unchanged, and Stats counts it.
func testContextObserverGivesTheStepItsContext(t *testing.T, c *suite) {
	var mu sync.Mutex
	var seen []string
	record := func(ctx context.Context) {
		v, _ := ctx.Value(stepKey{}).(string)
		mu.Lock()
		seen = append(seen, v)
		mu.Unlock()
	}
	tries := 0
	flaky := baton.Compensable(baton.Func("flaky", func(ctx context.Context, m Msg) (Msg, error) {
		record(ctx)
		if tries++; tries == 1 {
			return m, errors.New("once")
		}
		return m, nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})), func(ctx context.Context, _ Msg) error {
		record(ctx)
		return nil
	})
	p := c.newPipeline(t, []baton.Stage[Msg]{flaky, failing("fail", errors.New("x"))}, baton.WithObserver(stepContexts{}))
	_, err := p.Process(t.Context(), Msg{})
	mustTrue(t, err != nil, "the message fails at the second stage")
	equal(t, []string{"step started flaky #1 of message 1", "step started flaky #2 of message 1", "compensation started flaky #0 of message 1"}, seen)

	seen, tries = nil, 1
	p2 := c.newPipeline(t, []baton.Stage[Msg]{flaky}, baton.WithObserver(stepContexts{panics: true}))
	_, err = p2.Process(t.Context(), Msg{})
	mustNoError(t, err, "a panicking StepContext does not fail the step")
	equal(t, []string{""}, seen, "the stage got its context unchanged")
	equal(t, int64(1), p2.Stats().ObserverPanics)
}
