package batontest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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

// contextRecorder keeps the stepKey value of each context it is given.
type contextRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *contextRecorder) record(ctx context.Context) {
	v, _ := ctx.Value(stepKey{}).(string)
	r.mu.Lock()
	r.seen = append(r.seen, v)
	r.mu.Unlock()
}

func (r *contextRecorder) values() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// flakyRecording is a compensable stage that records its contexts in rec and fails its first
// fails attempts.
func flakyRecording(rec *contextRecorder, fails int) baton.Stage[Msg] {
	var tries atomic.Int32
	return baton.Compensable(baton.Func("flaky", func(ctx context.Context, m Msg) (Msg, error) {
		rec.record(ctx)
		if int(tries.Add(1)) <= fails {
			return m, errors.New("once")
		}
		return m, nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})), func(ctx context.Context, _ Msg) error {
		rec.record(ctx)
		return nil
	})
}

// The context a ContextObserver's StepContext returns is the one each attempt and each
// compensation receives.
func testContextObserverGivesTheStepItsContext(t *testing.T, c *suite) {
	var rec contextRecorder
	flaky := flakyRecording(&rec, 1)
	p := c.newPipeline(t, []baton.Stage[Msg]{flaky, failing("fail", errors.New("x"))}, baton.WithObserver(stepContexts{}))
	_, err := p.Process(t.Context(), Msg{})
	mustTrue(t, err != nil, "the message fails at the second stage")
	equal(t, []string{"step started flaky #1 of message 1", "step started flaky #2 of message 1", "compensation started flaky #0 of message 1"}, rec.values())
}

// A StepContext that panics is contained: the step runs with its context unchanged, and Stats
// counts the panic.
func testPanickingStepContextIsContained(t *testing.T, c *suite) {
	var rec contextRecorder
	p := c.newPipeline(t, []baton.Stage[Msg]{flakyRecording(&rec, 0)}, baton.WithObserver(stepContexts{panics: true}))
	_, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err, "a panicking StepContext does not fail the step")
	equal(t, []string{""}, rec.values(), "the stage got its context unchanged")
	equal(t, int64(1), p.Stats().ObserverPanics)
}
