package engines

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WaitTaskSpec, SetVariableTaskSpec and EventTaskSpec.

// WaitTaskSpec "Test workflow with set variable task": a SIMPLE task, a SET_VARIABLE, then a
// WAIT completed from outside; the variables are the output.
func TestHarnessSetVariableThenWait(t *testing.T) {
	for _, s := range strategiesOf() {
		h := startHarness(t, s, harnessDef(t, "set_variable_workflow_integration_test"), map[string]any{"var": "var_test_value"},
			conductor.WithWorker("simple", completing(map[string]any{"ok1": "ov1"})))
		p, err := h.AwaitTask(t.Context(), "wait0")
		require.NoError(t, err)
		assert.Equal(t, conductor.TypeWait, p.Type)
		require.NoError(t, h.CompleteTask(t.Context(), "wait0", nil))
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, []string{"simple:SIMPLE:COMPLETED", "set_variable_1:SET_VARIABLE:COMPLETED", "wait0:WAIT:COMPLETED"}, summary(e))
		assert.Equal(t, map[string]any{"var": "var_test_value"}, e.Variables)
		assert.Equal(t, map[string]any{"variables": map[string]any{"var": "var_test_value"}}, e.Output)
	}
}

// WaitTaskSpec "Verify that a wait based simple workflow is executed".
func TestHarnessWait(t *testing.T) {
	for _, s := range strategiesOf() {
		h := startHarness(t, s, harnessDef(t, "wait_workflow_integration_test"), nil,
			conductor.WithWorker("integration_task_1", completing(nil)))
		_, err := h.AwaitTask(t.Context(), "wait0")
		require.NoError(t, err)
		require.NoError(t, h.CompleteTask(t.Context(), "wait0", nil))
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, []string{"wait0:WAIT:COMPLETED", "t1:SIMPLE:COMPLETED"}, summary(e))
	}
}

// SetVariableTaskSpec "Test workflow with set variable task".
func TestHarnessSetVariable(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_set_variable_workflow_integration_test"), map[string]any{"var": "var_test_value"})[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status)
	assert.Equal(t, []string{"set_variable_1:SET_VARIABLE:COMPLETED"}, summary(r.Execution))
	assert.Equal(t, map[string]any{"var": "var_test_value"}, r.Variables)
	assert.Equal(t, map[string]any{"variables": map[string]any{"var": "var_test_value"}}, r.Output)
}

// eventSink collects the events an EVENT task publishes.
type eventSink struct{ events chan *conductor.Event }

func (s *eventSink) publish(_ context.Context, e *conductor.Event) error {
	s.events <- e
	return nil
}

// EventTaskSpec "Verify that a event based simple workflow is executed".
func TestHarnessEvent(t *testing.T) {
	sink := &eventSink{events: make(chan *conductor.Event, 4)}
	r := runHarness(t, harnessDef(t, "event_workflow_integration_test"), nil,
		conductor.WithEventSink(sink.publish), conductor.WithWorker("integration_task_1", completing(nil)))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, []string{"wait0:EVENT:COMPLETED", "t1:SIMPLE:COMPLETED"}, summary(r.Execution))
	ev, _ := r.Task("wait0")
	assert.Equal(t, "conductor:test_event_workflow:wait0", ev.Output["event_produced"])
	e := <-sink.events
	assert.Equal(t, "conductor:test_event_workflow:wait0", e.Queue)
}

// EventTaskSpec "Test a workflow with event task that is asyncComplete": the EVENT stays
// IN_PROGRESS, its output already saying what it produced, until it is completed from outside.
func TestHarnessEventAsyncComplete(t *testing.T) {
	def, err := conductor.ParseWorkflow([]byte(harnessDef(t, "event_workflow_integration_test")))
	require.NoError(t, err)
	def.Tasks[0].AsyncComplete = true
	data, err := json.Marshal(def)
	require.NoError(t, err)
	for _, s := range strategiesOf() {
		sink := &eventSink{events: make(chan *conductor.Event, 4)}
		h := startHarness(t, s, string(data), nil,
			conductor.WithEventSink(sink.publish), conductor.WithWorker("integration_task_1", completing(nil)))
		p, err := h.AwaitTask(t.Context(), "wait0")
		require.NoError(t, err)
		assert.Equal(t, "conductor:test_event_workflow:wait0", p.Output["event_produced"])
		require.NoError(t, h.CompleteTask(t.Context(), "wait0", nil))
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, []string{"wait0:EVENT:COMPLETED", "t1:SIMPLE:COMPLETED"}, summary(e))
		ev, _ := e.Task("wait0")
		assert.Equal(t, "conductor:test_event_workflow:wait0", ev.Output["event_produced"])
	}
}
