package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// TestStepTimeline runs messages one at a time through three no-op stages and logs, for the
// slowest, each event of its workflow history with the time since the one before: where a
// step's time goes (go test -run TestStepTimeline -v; see transferRPS and the temporal
// package's await.go). It checks only the shape of the history: one activity per step, and the
// first workflow task scheduled and started before anything else.
func TestStepTimeline(t *testing.T) {
	eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(newQueue("timeline")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := baton.New(benchStages(), baton.WithEngine(eng))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var slowest time.Duration
	var slow baton.Result[job]
	for range 20 {
		start := time.Now()
		r := p.ProcessResult(context.Background(), job{})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if d := time.Since(start); d > slowest {
			slowest, slow = d, r
		}
	}
	events := history(t, eng.WorkflowID(slow.ID, slow.Key))
	t.Logf("slowest message of 20: %v\n%s", slowest, timeline(events))
	var activities int
	for _, ev := range events {
		if ev.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED {
			activities++
		}
	}
	if activities != 3 {
		t.Errorf("%d activities completed, want 3 (one per step)", activities)
	}
	if len(events) < 3 || events[1].GetEventType() != enums.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED ||
		events[2].GetEventType() != enums.EVENT_TYPE_WORKFLOW_TASK_STARTED {
		t.Errorf("history starts %s: want the first workflow task scheduled and started", timeline(events[:min(3, len(events))]))
	}
}

// history returns the events of workflow id's history.
func history(t *testing.T, id string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := defaultClient().GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	return events
}

// timeline formats events one a line with the time since the one before.
func timeline(events []*historypb.HistoryEvent) string {
	var b strings.Builder
	var last time.Time
	for _, ev := range events {
		at := ev.GetEventTime().AsTime()
		var d time.Duration
		if !last.IsZero() {
			d = at.Sub(last)
		}
		last = at
		fmt.Fprintf(&b, "%3d %+9.3f ms %s\n", ev.GetEventId(), float64(d.Microseconds())/1000, ev.GetEventType())
	}
	return b.String()
}
