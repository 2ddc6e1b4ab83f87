package temporal

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

// TestLocalSteps: with WithLocalSteps every action is a local activity — no activity task —
// and the results are the in-process ones: slip revisions, retries, a panic, an optional step,
// compensation in reverse.
func TestLocalSteps(t *testing.T) {
	stages := func() []baton.Stage[order] {
		return []baton.Stage[order]{
			baton.Compensable(step("a"), func(context.Context, order) error { return nil }),
			baton.SlipFunc("route", func(_ context.Context, o order, s *baton.Slip) (order, error) {
				if s.Attempt() < 1+o.N%2 {
					return o, errBoom
				}
				o.Trail = append(slices.Clip(o.Trail), "route")
				if o.N%2 == 0 {
					return o, s.InsertNext("b")
				}
				return o, nil
			}, baton.Retry(baton.FixedBackoff(3, time.Millisecond))),
			baton.Compensable(step("b"), func(context.Context, order) error { return nil }),
			baton.Func("optional", func(context.Context, order) (order, error) { return order{}, errBoom }, baton.Optional()),
			baton.Func("last", func(_ context.Context, o order) (order, error) {
				switch o.N % 3 {
				case 0:
					return o, baton.Permanent(errBoom)
				case 1:
					panic("no")
				}
				return o, nil
			}),
		}
	}
	compare(t, stages, []baton.Option{baton.WithSentinels(errBoom)}, []order{{N: 1}, {N: 2}, {N: 3}, {N: 4}, {N: 5}, {N: 6}}, WithLocalSteps())

	var local, remote atomic.Int64
	e, _ := testEngine(t, func(env *testsuite.TestWorkflowEnvironment) {
		env.SetOnLocalActivityStartedListener(func(*activity.Info, context.Context, []any) { local.Add(1) })
		env.SetOnActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) { remote.Add(1) })
	}, WithLocalSteps())
	got := runAll(t, stages(), []baton.Option{baton.WithEngine(e), baton.WithSentinels(errBoom)}, []order{{N: 3}})
	if !errors.Is(got[0].Err, errBoom) {
		t.Fatalf("error %v", got[0].Err)
	}
	// a, route, b, optional, last, then the compensations of b and a: seven actions.
	if local.Load() != 7 || remote.Load() != 0 {
		t.Errorf("%d local activities, %d activities: want 7 and 0", local.Load(), remote.Load())
	}
}
