package batontest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/batontest"
)

// reportTB prints what a test would report; in a test, pass its t.
type reportTB struct{}

func (reportTB) Helper()                           {}
func (reportTB) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (reportTB) Fatalf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

var errOutOfStock = errors.New("out of stock")

// Equivalent runs the same stages and inputs under both strategies and reports each message on
// which they differ: values, errors (here a sentinel of the user's own, which errors.Is must
// match under both), slip logs and stage counters.
func ExampleEquivalent() {
	stages := func() []baton.Stage[int] {
		return []baton.Stage[int]{
			baton.Func("double", func(_ context.Context, n int) (int, error) { return 2 * n, nil }),
			baton.Func("stock", func(_ context.Context, n int) (int, error) {
				if n > 10 {
					return n, fmt.Errorf("%d items: %w", n, errOutOfStock)
				}
				return n, nil
			}),
		}
	}
	ok := batontest.Equivalent(reportTB{}, batontest.Comparison[int]{
		Stages:    stages,
		Inputs:    []int{1, 2, 6},
		Sentinels: []error{errOutOfStock},
	})
	fmt.Println("equivalent:", ok)
	// Output: equivalent: true
}

// Conformance runs Baton's whole behaviour battery, one subtest per rule, against a subject:
// here a built-in strategy, with options that must change no behaviour. Call it from a test
// function; an engine of one's own passes a Subject of its own (its New and its Features).
func ExampleConformance() {
	_ = func(t *testing.T) {
		batontest.Conformance(t, batontest.Strategy(baton.Choreographed),
			batontest.WithPipelineOptions(baton.WithTiming()))
	}
}

// Property checks random pipelines for equivalence, each in a subtest named after its seed;
// a failure prints the seed, which BATONTEST_SEED pins to rerun it. Call it from a test
// function.
func ExampleProperty() {
	_ = func(t *testing.T) {
		batontest.Property(t, 20, batontest.GenConfig{})                               // a good mix
		batontest.Property(t, 10, batontest.GenConfig{Delays: true, Timeouts: true})   // on a virtual clock
		batontest.Property(t, 10, batontest.GenConfig{MaxInFlight: 1, Workers1: true}) // the smallest settings
	}
}

// Strategy is the conformance subject of a built-in strategy: pipelines made by baton.New
// with that strategy, and the features it declares (choreography's inboxes count every
// message waiting for a stage).
func ExampleStrategy() {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		subject := batontest.Strategy(s)
		fmt.Printf("%v %+v\n", subject.Strategy, subject.Features)
	}
	_ = func(t *testing.T) { batontest.Conformance(t, batontest.Strategy(baton.Orchestrated)) }
	// Output:
	// orchestrated {InboxDepth:false QueuedUntilStarted:false RealClock:false}
	// choreographed {InboxDepth:true QueuedUntilStarted:false RealClock:false}
}
