package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
	"github.com/baton-go/baton/temporal/internal/fixture"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

var record = flag.Bool("record", false, "record the fixture's workflow histories into ../testdata/histories")

// payStarted tells the "cancelled" scenario that its slow step runs.
var payStarted = make(chan struct{}, 1)

// recordVersion names the files this code records: the workflow loop's current version.
const recordVersion = "v3"

// A history scenario: the fixture's pipeline with some engine options, one order, and what its
// history must show (an event type it must hold) for the recording to be what it is named.
type historyScenario struct {
	name   string
	opts   []batontemporal.Option
	order  fixture.Order
	submit func(ctx context.Context, p *baton.Pipeline[fixture.Order], eng *batontemporal.Engine, o fixture.Order) baton.Result[fixture.Order]
	shows  enums.EventType
	// stages, when set, are the fixture's stages as the recording runs them (a replay runs
	// no stage, so only the recording needs a stage to be slow).
	stages func() []baton.Stage[fixture.Order]
}

// withStage returns the fixture's stages with the one named name replaced by fn.
func withStage(name string, fn func(context.Context, fixture.Order) (fixture.Order, error)) func() []baton.Stage[fixture.Order] {
	return func() []baton.Stage[fixture.Order] {
		stages := fixture.Stages()
		for i, st := range stages {
			if st.Name() == name {
				stages[i] = baton.Func(name, fn)
			}
		}
		return stages
	}
}

func historyScenarios() []historyScenario {
	plain := func(ctx context.Context, p *baton.Pipeline[fixture.Order], _ *batontemporal.Engine, o fixture.Order) baton.Result[fixture.Order] {
		return p.ProcessResult(ctx, o)
	}
	var sc []historyScenario
	for _, o := range fixture.Orders() {
		sc = append(sc, historyScenario{name: fmt.Sprintf("order-%d", o.N), order: o, submit: plain,
			shows: enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED})
	}
	return append(sc,
		// A deadline that passes while a step runs: its workflow timer fires, and cancels the
		// step's activity (the step, ignoring its context, fails on its return by the missed
		// deadline).
		historyScenario{name: "timer", order: fixture.Order{N: 2}, shows: enums.EVENT_TYPE_TIMER_FIRED,
			stages: withStage("reserve", func(_ context.Context, o fixture.Order) (fixture.Order, error) {
				time.Sleep(time.Second)
				return o, nil
			}),
			submit: func(ctx context.Context, p *baton.Pipeline[fixture.Order], _ *batontemporal.Engine, o fixture.Order) baton.Result[fixture.Order] {
				ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				return p.ProcessResult(ctx, o)
			}},
		// A workflow cancelled while a step runs: its activity is cancelled, the step cut
		// short, the completed steps compensated.
		historyScenario{name: "cancelled", order: fixture.Order{N: 2}, shows: enums.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
			opts: []batontemporal.Option{batontemporal.WithKeyAsIdentity()},
			stages: withStage("pay", func(ctx context.Context, o fixture.Order) (fixture.Order, error) {
				payStarted <- struct{}{}
				select {
				case <-time.After(10 * time.Second):
					return o, nil
				case <-ctx.Done():
					return o, ctx.Err()
				}
			}),
			submit: func(ctx context.Context, p *baton.Pipeline[fixture.Order], eng *batontemporal.Engine, o fixture.Order) baton.Result[fixture.Order] {
				res := make(chan baton.Result[fixture.Order], 1)
				go func() { res <- p.ProcessResult(ctx, o) }()
				select {
				case <-payStarted:
				case r := <-res:
					return r
				}
				if err := defaultClient().CancelWorkflow(ctx, eng.WorkflowID(0, "cancel-me"), ""); err != nil {
					panic(err)
				}
				return <-res
			}},
		// Two actions a run: the message's five actions take three runs.
		historyScenario{name: "continued", order: fixture.Order{N: 2}, shows: enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
			opts: []batontemporal.Option{batontemporal.WithContinueAsNewAfter(2)}, submit: plain},
		// Local steps, a retried and a failed step compensated: markers, not activities.
		historyScenario{name: "local", order: fixture.Order{N: 3}, shows: enums.EVENT_TYPE_MARKER_RECORDED,
			opts: []batontemporal.Option{batontemporal.WithLocalSteps()}, submit: plain},
	)
}

// TestRecordHistories runs the history scenarios on the real server and, with -record, writes
// every run's workflow history where the temporal module's TestReplay reads them
// (<version>-<scenario>[-run<k>].json). Without -record it checks that the histories show what
// their scenarios are for, and can be fetched and encoded.
func TestRecordHistories(t *testing.T) {
	for _, sc := range historyScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			opts := append([]batontemporal.Option{batontemporal.WithTaskQueue(newQueue(fixture.TaskQueue)),
				batontemporal.WithOrigin("replay"), batontemporal.WithWorkflowIDPrefix(fmt.Sprintf("replay-%d-%s-", os.Getpid(), sc.name))}, sc.opts...)
			eng, err := batontemporal.New(defaultClient(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			popts := append([]baton.Option{baton.WithEngine(eng)}, fixture.Options()...)
			if sc.name == "cancelled" {
				popts = append(popts, baton.WithKey(func(fixture.Order) string { return "cancel-me" }))
			}
			stages := fixture.Stages()
			if sc.stages != nil {
				stages = sc.stages()
			}
			p, err := baton.New(stages, popts...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			// No deadline (a timer in every history) but the timer scenario's: the test's
			// own timeout bounds the wait.
			r := sc.submit(context.Background(), p, eng, sc.order)
			runs := runHistories(t, eng.WorkflowID(r.ID, r.Key))
			shown := false
			for _, h := range runs {
				shown = shown || slices.ContainsFunc(h.Events, func(ev *historypb.HistoryEvent) bool { return ev.GetEventType() == sc.shows })
			}
			t.Logf("%s: %d run(s), result %v %v", sc.name, len(runs), r.Value.Trail, r.Err)
			if !shown {
				t.Fatalf("no %v in the histories of scenario %s", sc.shows, sc.name)
			}
			for k, h := range runs {
				data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
				if err != nil {
					t.Fatal(err)
				}
				name := recordVersion + "-" + sc.name
				if len(runs) > 1 {
					name += fmt.Sprintf("-run%d", k+1)
				}
				if *record {
					path := filepath.Join("..", "testdata", "histories", name+".json")
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// runHistories returns the histories of every run of workflow id, the first first: the latest
// run's, and those it continued, found through each run's started event.
func runHistories(t *testing.T, id string) []*historypb.History {
	t.Helper()
	var runs []*historypb.History
	for runID := ""; ; {
		h := &historypb.History{}
		it := defaultClient().GetWorkflowHistory(context.Background(), id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, ev)
		}
		runs = append(runs, h)
		if len(h.Events) == 0 {
			t.Fatalf("workflow %s run %q has no history", id, runID)
		}
		runID = h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if runID == "" {
			slices.Reverse(runs)
			return runs
		}
	}
}
