package baton_test

import (
	"context"
	"testing"

	"github.com/baton-go/baton"
)

// A loop that re-inserts its body with a policy of its own at every pass (the way a loop is
// compiled: a slip revision that re-inserts its body) carries one live step policy at a time:
// the steps that used the earlier ones are done. maxStepPolicies is documented as bounding the
// policies "one slip carries at once", yet a slip never lets go of a policy until it is reset,
// so after 65535 passes the next InsertNextWith fails with ErrInvalidPolicy — a loop within the
// hop limit fails for a limit it does not reach.
func TestReviewStepPoliciesOfDoneStepsDoNotCount(t *testing.T) {
	const passes = 70_000
	pol := baton.StepPolicy{Retry: baton.RetryPolicy{MaxAttempts: 2}}
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		loop := baton.SlipFunc("loop", func(_ context.Context, v int, slip *baton.Slip) (int, error) {
			if v++; v < passes {
				if err := slip.InsertNextWith(pol, "loop"); err != nil {
					return v, err
				}
			}
			return v, nil
		})
		p, err := baton.New([]baton.Stage[int]{loop}, baton.WithStrategy(s), baton.WithHopLimit(2*passes))
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.Process(context.Background(), 0)
		p.Close()
		if err != nil || v != passes {
			t.Errorf("%v: got %d, %v; want %d, nil", s, v, err, passes)
		}
	}
}
