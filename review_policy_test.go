package baton_test

import (
	"context"
	"errors"
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

// The same loop, each pass's step needing the policy given to it two passes before (2 to 4
// attempts, by pass) — so that a step still to run, not only the current one, holds a policy
// across the bound — and each failed attempt's revision undone: the policies kept across the
// bound must stay those of the steps still to run, and a rollback around it must undo only its
// own revision.
func TestReviewStepPoliciesKeptAcrossTheBoundStayTheirSteps(t *testing.T) {
	const passes = 140_000
	want := func(pass int) int { return 2 + pass%3 } // the attempts pass needs
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		loop := baton.SlipFunc("loop", func(_ context.Context, v int, slip *baton.Slip) (int, error) {
			plan := func(pass int) error {
				if pass >= passes {
					return nil
				}
				return slip.AppendWith(baton.StepPolicy{Retry: baton.RetryPolicy{MaxAttempts: want(pass)}}, "loop")
			}
			_ = slip.InsertNext() // revises nothing, but opens the attempt's revision before plan
			if v == 0 {
				if err := plan(1); err != nil {
					return v, err
				}
			}
			if err := plan(v + 2); err != nil {
				return v, err
			}
			if v > 0 && slip.Attempt() < want(v) {
				return v, errors.New("not yet") // its revision is undone; its policy retries it
			}
			return v + 1, nil
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
