package baton_test

import (
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/batontest"
	"go.uber.org/goleak"
)

// Baton's behaviour is specified in one place, batontest's conformance suite; both strategies
// must pass it. The suite checks for leaked goroutines itself; goleak checks once more here.
func TestConformance(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			batontest.Conformance(t, batontest.Strategy(s))
			goleak.VerifyNone(t, ignore)
		})
	}
}

// Options that only observe must change no behaviour: the suite again, timed and observed.
func TestConformanceObserved(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			batontest.Conformance(t, batontest.Strategy(s), batontest.WithPipelineOptions(
				baton.WithObserver(baton.ObserverFunc(func(baton.Event) {}))))
		})
	}
}

// Random pipelines agree under both strategies: on the real clock without delays, and on a
// virtual clock with delays, backoff and attempt timeouts.
func TestStrategiesAgreeOnGeneratedPipelines(t *testing.T) {
	t.Run("real clock", func(t *testing.T) { batontest.Property(t, 20, batontest.GenConfig{}) })
	t.Run("virtual clock", func(t *testing.T) {
		batontest.Property(t, 20, batontest.GenConfig{Delays: true, Timeouts: true})
	})
	t.Run("smallest settings", func(t *testing.T) {
		batontest.Property(t, 10, batontest.GenConfig{MaxInFlight: 1, Workers1: true, Messages: 100})
	})
}
