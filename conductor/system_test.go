package conductor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Conductor's ExclusiveJoinSpec, on its definition (testdata/definitions): the join outputs
// the first of joinOn that ran, else the first of defaultExclusiveJoinTask.
func TestExclusiveJoin(t *testing.T) {
	data, err := os.ReadFile("testdata/definitions/exclusive_join_integration_test.json")
	require.NoError(t, err)
	var workers []Option
	for i := 1; i <= 5; i++ {
		ref := fmt.Sprintf("task%d", i)
		workers = append(workers, WithWorker(fmt.Sprintf("integration_task_%d", i), func(context.Context, map[string]any) (map[string]any, error) {
			return map[string]any{"taskReferenceName": ref}, nil
		}))
	}
	for _, tt := range []struct {
		input map[string]any
		refs  []string
		from  string
	}{
		{map[string]any{"decision_1": "null"}, []string{"task1", "decision1", "exclusiveJoin"}, "task1"},
		{map[string]any{"decision_1": "true", "decision_2": "null"}, []string{"task1", "decision1", "task2", "decision2", "exclusiveJoin"}, "task2"},
		{map[string]any{"decision_1": "true", "decision_2": "true"}, []string{"task1", "decision1", "task2", "decision2", "task3", "exclusiveJoin"}, "task3"},
		{map[string]any{"decision_1": "false", "decision_3": "null"}, []string{"task1", "decision1", "task4", "decision3", "exclusiveJoin"}, "task4"},
		{map[string]any{"decision_1": "false", "decision_3": "true"}, []string{"task1", "decision1", "task4", "decision3", "task5", "exclusiveJoin"}, "task5"},
	} {
		e := runBoth(t, string(data), tt.input, workers...)
		require.Equal(t, StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, tt.refs, refs(e), tt.input)
		last := e.Tasks[len(e.Tasks)-1]
		assert.Equal(t, map[string]any{"taskReferenceName": tt.from}, last.Output, tt.input)
		assert.Equal(t, []any{"task3", "task5"}, last.Input["joinOn"])
	}
}

// With nothing to join, an EXCLUSIVE_JOIN stays in progress, as in Conductor, until an update.
func TestExclusiveJoinWaits(t *testing.T) {
	def := `{"name": "x", "tasks": [
	  {"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "value-param", "expression": "c",
	   "inputParameters": {"c": "${workflow.input.c}"}, "decisionCases": {"a": [{"name": "a", "taskReferenceName": "a", "type": "NOOP"}]}},
	  {"name": "j", "taskReferenceName": "j", "type": "EXCLUSIVE_JOIN", "joinOn": ["a"]}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ctx := context.Background()
			_, _, h := start(t, s, def, map[string]any{"c": "b"})
			_, err := h.AwaitTask(ctx, "j")
			require.NoError(t, err)
			require.NoError(t, h.CompleteTask(ctx, "j", map[string]any{"by": "hand"}))
			e := wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, map[string]any{"by": "hand"}, e.Tasks[len(e.Tasks)-1].Output)
		})
	}
	rt, err := New()
	require.NoError(t, err)
	_, err = rt.Load([]byte(`{"name": "x", "tasks": [{"name": "j", "taskReferenceName": "j", "type": "EXCLUSIVE_JOIN", "joinOn": ["nope"]}]}`))
	assert.ErrorIs(t, err, ErrUnknownRef)
}

func TestNoop(t *testing.T) {
	e := runBoth(t, `{"name": "n", "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP", "inputParameters": {"a": 1}}]}`, nil)
	require.Equal(t, StatusCompleted, e.Status)
	assert.Equal(t, map[string]any{}, e.Tasks[0].Output)
	assert.Equal(t, map[string]any{"a": float64(1)}, e.Tasks[0].Input)
}

type sinkRecorder struct {
	mu     sync.Mutex
	events []*Event
	fail   error
}

func (r *sinkRecorder) sink(_ context.Context, e *Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, e)
	return nil
}

func TestEvent(t *testing.T) {
	def := `{"name": "ev", "version": 3, "tasks": [
	  {"name": "e1", "taskReferenceName": "e1", "type": "EVENT", "sink": "conductor", "inputParameters": {"order": "${workflow.input.order}"}},
	  {"name": "e2", "taskReferenceName": "e2", "type": "EVENT", "sink": "conductor:orders"},
	  {"name": "e3", "taskReferenceName": "e3", "type": "EVENT", "sink": "sqs:${workflow.input.queue}"}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			rec := &sinkRecorder{}
			e := run(t, s, def, map[string]any{"order": 7, "queue": "q1"}, WithEventSink(rec.sink))
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			require.Len(t, rec.events, 3)
			assert.Equal(t, []string{"conductor:ev:e1", "conductor:ev:orders", "sqs:q1"},
				[]string{rec.events[0].Queue, rec.events[1].Queue, rec.events[2].Queue})
			assert.Equal(t, map[string]any{
				"order": float64(7), "sink": "conductor", "asyncComplete": false, "workflowInstanceId": "wf-1",
				"workflowType": "ev", "workflowVersion": float64(3), "correlationId": nil, "event_produced": "conductor:ev:e1",
			}, rec.events[0].Payload)
			assert.Equal(t, rec.events[0].Payload, e.Tasks[0].Output)
			assert.Equal(t, "wf-1/e1", rec.events[0].TaskID)

			rec.fail = errors.New("broker down")
			e = run(t, s, def, nil, WithEventSink(rec.sink))
			assert.Equal(t, StatusFailed, e.Status)
			assert.Contains(t, e.Reason, "broker down")
		})
	}
	rt, err := New()
	require.NoError(t, err)
	_, err = rt.Load([]byte(def))
	assert.ErrorIs(t, err, ErrNoHandler)
	rt, err = New(WithEventSink((&sinkRecorder{}).sink))
	require.NoError(t, err)
	_, err = rt.Load([]byte(`{"name": "ev", "tasks": [{"name": "e", "taskReferenceName": "e", "type": "EVENT", "sink": "conductorx"}]}`))
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestStartWorkflow(t *testing.T) {
	child := &WorkflowDef{Name: "child", Version: 1, Tasks: []*WorkflowTask{
		{Name: "review", TaskReferenceName: "review", Type: TypeHuman},
	}, OutputParameters: map[string]any{"got": "${workflow.input.x}", "corr": "${workflow.correlationId}", "ok": "${review.output.ok}"}}
	def := `{"name": "parent", "tasks": [
	  {"name": "s", "taskReferenceName": "s", "type": "START_WORKFLOW", "inputParameters": {"startWorkflow": {"name": "child", "input": {"x": "${workflow.input.x}"}}}}],
	  "outputParameters": {"id": "${s.output.workflowId}"}}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			rt, w, h := start(t, s, def, map[string]any{"x": "hello"}, WithDefinitions(child))
			e := wait(t, h) // the parent completes without waiting for the child
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			id, _ := e.Output["id"].(string)
			require.NotEmpty(t, id)
			started, err := rt.Lookup(id)
			require.NoError(t, err)
			ctx := context.Background()
			_, err = started.AwaitTask(ctx, "review")
			require.NoError(t, err)
			require.NoError(t, started.CompleteTask(ctx, "review", map[string]any{"ok": true}))
			ce := wait(t, started)
			require.Equal(t, StatusCompleted, ce.Status, ce.Reason)
			assert.Equal(t, map[string]any{"got": "hello", "corr": nil, "ok": true}, ce.Output)

			// One left waiting stops when the parent workflow closes.
			h2, err := w.Start(ctx, map[string]any{"x": "again"}, WithCorrelationID("c-2"))
			require.NoError(t, err)
			e = wait(t, h2)
			left, err := rt.Lookup(e.Output["id"].(string))
			require.NoError(t, err)
			_, err = left.AwaitTask(ctx, "review")
			require.NoError(t, err)
			require.NoError(t, w.Close())
			assert.ErrorIs(t, wait(t, left).Err, ErrClosed)
		})
	}
	rt, err := New()
	require.NoError(t, err)
	_, err = rt.Load([]byte(def))
	assert.ErrorIs(t, err, ErrUnknownWorkflow)
	e := runBoth(t, `{"name": "parent", "tasks": [{"name": "s", "taskReferenceName": "s", "type": "START_WORKFLOW", "inputParameters": {"startWorkflow": "${workflow.input.req}"}}]}`,
		map[string]any{"req": map[string]any{"name": "nope"}})
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrUnknownWorkflow)
}

// An asyncComplete EVENT waits, after publishing, for an update.
func TestEventAsyncComplete(t *testing.T) {
	def := `{"name": "ev", "tasks": [{"name": "e", "taskReferenceName": "e", "type": "EVENT", "sink": "kafka:t", "asyncComplete": true}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			rec := &sinkRecorder{}
			ctx := context.Background()
			_, _, h := start(t, s, def, nil, WithEventSink(rec.sink))
			p, err := h.AwaitTask(ctx, "e")
			require.NoError(t, err)
			assert.Equal(t, TypeEvent, p.Type)
			rec.mu.Lock()
			assert.Len(t, rec.events, 1) // published before it waits
			rec.mu.Unlock()
			require.NoError(t, h.CompleteTask(ctx, "e", map[string]any{"acked": true}))
			e := wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, true, e.Tasks[0].Output["acked"])
			assert.Equal(t, "kafka:t", e.Tasks[0].Output["event_produced"])
			assert.Equal(t, true, e.Tasks[0].Input["asyncComplete"])
		})
	}
}
