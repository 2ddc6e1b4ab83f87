package baton_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/baton-go/baton"
)

// logText renders a result's log as "stage:outcome" words.
func logText(log []baton.StepRecord) string {
	var b strings.Builder
	for _, r := range log {
		fmt.Fprintf(&b, "%s:%v ", r.Stage, r.Outcome)
	}
	return b.String()
}

// A Process caller's context that ends inside a plain step (the orchestrator's one loop) stops
// the message before its next step, exactly as under choreography: the same error, the same
// log, the completed steps compensated latest first — also when the step that cancels revised
// the slip of a message on the shared default itinerary, and the next messages are unaffected.
func TestReviewCancelInsidePlainLoop(t *testing.T) {
	type cancelKey struct{}
	mk := func(name string, revise bool) baton.Stage[int] {
		st := baton.SlipFunc(name, func(ctx context.Context, v int, s *baton.Slip) (int, error) {
			if c, ok := ctx.Value(cancelKey{}).(*cancelAt); ok && c.stage == name {
				if revise {
					_ = s.InsertNext("a")
				}
				c.cancel()
			}
			return v + 1, nil
		})
		return baton.WithCompensation(st, func(context.Context, int) error { return nil })
	}
	for _, strat := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		for _, revise := range []bool{false, true} {
			t.Run(fmt.Sprint(strat, revise), func(t *testing.T) {
				p, err := baton.New([]baton.Stage[int]{mk("a", revise), mk("b", revise), mk("c", revise), mk("d", revise)},
					baton.WithStrategy(strat), baton.WithMaxInFlight(1))
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				for _, at := range []string{"a", "b", "c", "d"} {
					ctx, cancel := context.WithCancel(context.Background())
					c := &cancelAt{stage: at, cancel: cancel}
					r := p.ProcessResult(context.WithValue(ctx, cancelKey{}, c), 0)
					cancel()
					steps := strings.Index("abcd", at) + 1
					var want strings.Builder
					for i := range steps {
						fmt.Fprintf(&want, "%c:%v ", "abcd"[i], baton.Succeeded)
					}
					if at == "d" && !revise { // the last step: nothing left to stop
						if r.Err != nil || r.Value != 4 || logText(r.Log) != want.String() {
							t.Fatalf("cancelled at %s: %v %d %q", at, r.Err, r.Value, logText(r.Log))
						}
						continue
					}
					for i := steps - 1; i >= 0; i-- {
						fmt.Fprintf(&want, "%c:%v ", "abcd"[i], baton.Compensated)
					}
					if !errors.Is(r.Err, context.Canceled) || logText(r.Log) != want.String() {
						t.Fatalf("cancelled at %s: err %v, log %q, want %q", at, r.Err, logText(r.Log), want.String())
					}
					if v, err := p.Process(context.Background(), 0); err != nil || v != 4 {
						t.Fatalf("next message: %d %v", v, err)
					}
				}
			})
		}
	}
}

type cancelAt struct {
	stage  string
	cancel context.CancelFunc
}
