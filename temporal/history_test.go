package temporal

import (
	"slices"
	"testing"

	"github.com/baton-go/baton"
	"go.temporal.io/sdk/testsuite"
)

// TestContinueAsNewOnHistorySize: a run whose history is past MaxHistoryBytes, or whose server
// suggests it, continues as new before its next action — whatever WithContinueAsNewAfter says —
// but takes one action first, so a message whose state alone is that large still progresses.
// (temporal/e2e's TestLongSlipHistoryBounded checks it on the real server with a long slip.)
func TestContinueAsNewOnHistorySize(t *testing.T) {
	stages := func() []baton.Stage[order] {
		return []baton.Stage[order]{step("a"), step("b"), step("c"), step("d")}
	}
	for name, setup := range map[string]func(*testsuite.TestWorkflowEnvironment){
		"size":      func(env *testsuite.TestWorkflowEnvironment) { env.SetCurrentHistorySize(MaxHistoryBytes + 1) },
		"suggested": func(env *testsuite.TestWorkflowEnvironment) { env.SetContinueAsNewSuggested(true) },
		"neither":   func(env *testsuite.TestWorkflowEnvironment) { env.SetCurrentHistorySize(MaxHistoryBytes) },
	} {
		t.Run(name, func(t *testing.T) {
			e, runs := testEngine(t, setup)
			got := runAll(t, stages(), []baton.Option{baton.WithEngine(e)}, []order{{N: 1}})
			if got[0].Err != nil || !slices.Equal(got[0].Value.Trail, []string{"a", "b", "c", "d"}) {
				t.Fatalf("result %+v, %v", got[0].Value, got[0].Err)
			}
			want := int64(4) // one action a run
			if name == "neither" {
				want = 1
			}
			if n := runs.Load(); n != want {
				t.Errorf("%d runs for 4 actions, want %d", n, want)
			}
		})
	}
}
