package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
	"go.temporal.io/api/enums/v1"
)

// padded is the long-slip test's message: its padding makes every state, recorded twice per
// action (the activity's input and result), about 8 KB.
type padded struct {
	N   int
	Pad string
}

// TestLongSlipHistoryBounded: a message of 400 steps whose state is about 8 KB would record
// about 11 MB in one run with a bound on actions alone (500 a run by default; the server warns
// at 10 MB and terminates the workflow at 50 MB, so a longer slip would fail). The workflow
// continues as new once a run's history passes MaxHistoryBytes: every run stays near it, and the
// message's result is the in-process one.
func TestLongSlipHistoryBounded(t *testing.T) {
	const steps = 400
	queue := newQueue("longslip")
	eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(queue), batontemporal.WithKeyAsIdentity(),
		batontemporal.WithWorkflowIDPrefix(queue+"-"))
	if err != nil {
		t.Fatal(err)
	}
	stages := []baton.Stage[padded]{baton.SlipFunc("loop", func(_ context.Context, m padded, s *baton.Slip) (padded, error) {
		m.N++
		if m.N < steps {
			return m, s.Append("loop")
		}
		return m, nil
	})}
	key := baton.WithKey(func(padded) string { return "long" })
	p, err := baton.New(stages, baton.WithEngine(eng), key)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	in := padded{Pad: strings.Repeat("x", 8<<10)}
	got := p.ProcessResult(context.Background(), in)
	local, err := baton.New(stages, key)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	sameResult(t, "the long slip", got, local.ProcessResult(context.Background(), in))
	if got.Value.N != steps {
		t.Fatalf("%d steps, want %d", got.Value.N, steps)
	}
	// Walk the runs back from the last, by each run's ContinuedExecutionRunId.
	id, run := eng.WorkflowID(got.ID, got.Key), ""
	var sizes []int64
	for {
		d, err := defaultClient().DescribeWorkflowExecution(context.Background(), id, run)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, d.GetWorkflowExecutionInfo().GetHistorySizeBytes())
		run = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		it := defaultClient().GetWorkflowHistory(context.Background(), id, run, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		first, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		run = first.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if run == "" {
			break
		}
	}
	t.Logf("%d runs, history bytes from the last run back: %v", len(sizes), sizes)
	if len(sizes) < 2 {
		t.Errorf("one run of %d bytes: want the history split by continue-as-new", sizes[0])
	}
	for _, s := range sizes {
		if s > batontemporal.MaxHistoryBytes+256<<10 {
			t.Errorf("a run's history is %d bytes, past MaxHistoryBytes (%d) by more than an action", s, batontemporal.MaxHistoryBytes)
		}
	}
}
