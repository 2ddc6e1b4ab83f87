package baton_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/baton-go/baton"
)

// Every message has an ID, and WithKey gives it a key of your own; both are in its Result and
// its events.
func ExampleWithKey() {
	type order struct{ ID string }
	p, _ := baton.New([]baton.Stage[order]{baton.Func("check", func(_ context.Context, o order) (order, error) { return o, nil })},
		baton.WithKey(func(o order) string { return o.ID }))
	defer p.Close()
	for r := range p.Run(context.Background(), slices.Values([]order{{"A-17"}})) {
		fmt.Println(r.ID, r.Key, r.Err)
	}
	// Output: 1 A-17 <nil>
}

// ProcessResult is Process returning the whole Result, log included.
func ExamplePipeline_ProcessResult() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper), baton.Func("exclaim", exclaim)})
	defer p.Close()
	r := p.ProcessResult(context.Background(), "hi")
	fmt.Println(r.Value, r.Err, r.ID)
	for _, step := range r.Log {
		fmt.Println(step.Stage, step.Outcome)
	}
	// Output:
	// HI! <nil> 1
	// upper succeeded
	// exclaim succeeded
}

type requestKey struct{}

// With MessageContexts each streamed message runs under its Submit's context: its stages see the
// values of the request that submitted it.
func ExampleMessageContexts() {
	greet := baton.Func("greet", func(ctx context.Context, s string) (string, error) {
		return fmt.Sprint(s, " for ", ctx.Value(requestKey{})), nil
	})
	p, _ := baton.New([]baton.Stage[string]{greet})
	defer p.Close()
	st := p.Stream(context.Background(), baton.MessageContexts())
	st.Submit(context.WithValue(context.Background(), requestKey{}, "request 7"), "hello")
	st.CloseSend()
	for r := range st.Results() {
		fmt.Println(r.Value)
	}
	// Output: hello for request 7
}

// counted is middleware: it counts the calls of the stage it wraps. Its Unwrap method lets Baton
// keep the wrapped stage's policies and Compensator.
type counted struct {
	baton.Stage[string]
	calls *atomic.Int64
}

func (c counted) Process(ctx context.Context, s string, slip *baton.Slip) (string, error) {
	c.calls.Add(1)
	return c.Stage.Process(ctx, s, slip)
}

func (c counted) Unwrap() baton.Stage[string] { return c.Stage }

func ExampleWrapper() {
	tries := 0
	flaky := baton.Func("flaky", func(_ context.Context, s string) (string, error) {
		if tries++; tries < 3 {
			return s, errors.New("not yet")
		}
		return s + "!", nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3}))
	var calls atomic.Int64
	p, _ := baton.New([]baton.Stage[string]{counted{flaky, &calls}})
	defer p.Close()
	out, err := p.Process(context.Background(), "done")
	fmt.Println(out, err, calls.Load()) // the wrapped stage's Retry is kept
	// Output: done! <nil> 3
}

// spanned is a ContextObserver: it gives each step a context naming the step, as the otel
// module gives each step its span.
type spanned struct{}

type stepNameKey struct{}

func (spanned) Observe(baton.Event) {}
func (spanned) StepContext(ctx context.Context, e baton.Event) context.Context {
	return context.WithValue(ctx, stepNameKey{}, fmt.Sprintf("%s, attempt %d", e.Stage, e.Attempt))
}

func ExampleContextObserver() {
	show := baton.Func("show", func(ctx context.Context, s string) (string, error) {
		return fmt.Sprint(s, ": ", ctx.Value(stepNameKey{})), nil
	})
	p, _ := baton.New([]baton.Stage[string]{show}, baton.WithObserver(spanned{}))
	defer p.Close()
	out, _ := p.Process(context.Background(), "running")
	fmt.Println(out)
	// Output: running: show, attempt 1
}

// By default the results of plain messages share one read-only log; WithPrivateLogs gives each
// its own, to change in place.
func ExampleWithPrivateLogs() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper)}, baton.WithPrivateLogs())
	defer p.Close()
	a, b := p.ProcessResult(context.Background(), "a"), p.ProcessResult(context.Background(), "b")
	a.Log[0].Stage = "renamed"
	fmt.Println(a.Log[0].Stage, b.Log[0].Stage)
	// Output: renamed upper
}

// A stage must not wait for its own pipeline: a call with its step's context is refused.
func ExampleErrReentrant() {
	var p *baton.Pipeline[string]
	inner := baton.Func("inner", func(ctx context.Context, s string) (string, error) {
		_, err := p.Process(ctx, s)
		fmt.Println(errors.Is(err, baton.ErrReentrant))
		return s, nil
	}, baton.Workers(1))
	p, _ = baton.New([]baton.Stage[string]{inner})
	defer p.Close()
	p.Process(context.Background(), "x")
	// Output: true
}
