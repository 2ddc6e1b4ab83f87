package baton_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/baton-go/baton"
)

// An observer that calls runtime.Goexit (unsupported, but contained: t.FailNow in a test's
// observer) in the StepEnded event of a step that succeeded at its first attempt: the step
// did succeed — its event said so — so the message's log must hold it, and, the pipeline being
// timed (an observer implies timing), every record must keep its timing. With the implied log
// entries (a first-attempt success writes no entry, Slip.flush fills them in up to the current
// step) the step whose StepEnded was being emitted is neither written nor implied: the log
// loses it, and, the slip's times holding one span more than the log, every record loses its
// Start and Duration.
func TestReviewObserverGoexitAtStepEndedKeepsTheLog(t *testing.T) {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		obs := baton.ObserverFunc(func(e baton.Event) {
			if e.Kind == baton.StepEnded && e.Stage == "b" && e.Key == "exit" {
				runtime.Goexit()
			}
		})
		key := baton.WithKey(func(m msg) string {
			if m.ID == 1 {
				return "exit"
			}
			return ""
		})
		p, err := baton.New([]baton.Stage[msg]{tracer("a"), tracer("b"), tracer("c")},
			baton.WithStrategy(s), baton.WithObserver(obs), key)
		if err != nil {
			t.Fatal(err)
		}
		var got []baton.Result[msg]
		for r := range p.Run(context.Background(), func(yield func(msg) bool) { yield(msg{ID: 1}) }) {
			got = append(got, r)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%v: %d results, want 1", s, len(got))
		}
		r := got[0]
		if r.Err == nil {
			t.Fatalf("%v: no error after the observer's Goexit", s)
		}
		want := []string{"a:" + baton.Succeeded.String(), "b:" + baton.Succeeded.String()}
		if l := logOf(r.Log); len(l) != len(want) || l[0] != want[0] || l[1] != want[1] {
			t.Errorf("%v: log %v, want %v (b succeeded: its StepEnded said so)", s, l, want)
		}
		for _, rec := range r.Log {
			if rec.Start.IsZero() {
				t.Errorf("%v: record %s:%v has no timing in a timed pipeline", s, rec.Stage, rec.Outcome)
			}
		}
	}
}
