package engines

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SimpleWorkflowSpec and WorkflowAndTaskConfigurationSpec.

var p1p2 = map[string]any{"param1": "p1 value", "param2": "p2 value"}

// SimpleWorkflowSpec "Test simple workflow completion".
func TestHarnessSimpleWorkflow(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_workflow_1_integration_test"), p1p2,
		conductor.WithWorker("integration_task_1", completing(map[string]any{"op": "task1.done"})),
		conductor.WithWorker("integration_task_2", completing(nil)))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, []string{"t1:SIMPLE:COMPLETED", "t2:SIMPLE:COMPLETED"}, summary(r.Execution))
	assert.Contains(t, r.Output, "o3")
	assert.Equal(t, "task1.done", r.Output["o3"])
	t1, _ := r.Task("t1")
	assert.Equal(t, t1.TaskID, t1.Input["p3"]) // ${CPEWF_TASK_ID}
	t2, _ := r.Task("t2")
	assert.Equal(t, "task1.done", t2.Input["tp2"])
}

// SimpleWorkflowSpec "Test simple workflow with null inputs": a null input stays null, and a
// task's output keeps its null values.
func TestHarnessSimpleWorkflowNullInputs(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_workflow_1_integration_test"), map[string]any{"param1": "p1 value", "param2": nil},
		conductor.WithWorker("integration_task_1", completing(map[string]any{"someOtherKey": map[string]any{"a": 1, "A": nil}, "someKey": nil})),
		conductor.WithWorker("integration_task_2", completing(nil)))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Contains(t, r.Input, "param2")
	assert.Nil(t, r.Input["param2"])
	t1, _ := r.Task("t1")
	assert.Nil(t, t1.Input["someNullKey"])
	assert.Contains(t, t1.Output, "someKey")
	assert.Nil(t, t1.Output["someKey"])
	other, _ := t1.Output["someOtherKey"].(map[string]any)
	assert.Contains(t, other, "A")
	assert.Nil(t, other["A"])
}

// SimpleWorkflowSpec "Test simple workflow with task retries": integration_task_2, with three
// retries, fails twice and then completes: three entries, each retry retrying the one before.
func TestHarnessSimpleWorkflowTaskRetries(t *testing.T) {
	for _, s := range strategiesOf() {
		var calls atomic.Int32
		h := startHarness(t, s, harnessDef(t, "simple_workflow_1_integration_test"), p1p2,
			conductor.WithTaskDefs(&conductor.TaskDef{Name: "integration_task_2", RetryCount: 3, TimeoutSeconds: 120, ResponseTimeoutSeconds: 120}),
			conductor.WithWorker("integration_task_1", func(_ context.Context, in map[string]any) (map[string]any, error) {
				return map[string]any{"op": "task1.output -> " + in["p1"].(string) + "." + in["p2"].(string)}, nil
			}),
			conductor.WithWorker("integration_task_2", func(context.Context, map[string]any) (map[string]any, error) {
				if calls.Add(1) <= 2 {
					return nil, assert.AnError
				}
				return nil, nil
			}))
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, []string{"t1:SIMPLE:COMPLETED", "t2:SIMPLE:FAILED", "t2:SIMPLE:FAILED", "t2:SIMPLE:COMPLETED"}, summary(e))
		require.Len(t, e.Tasks, 4)
		assert.Equal(t, e.Tasks[1].TaskID, e.Tasks[2].RetriedTaskID)
		assert.Equal(t, e.Tasks[2].TaskID, e.Tasks[3].RetriedTaskID)
		assert.Equal(t, []int{0, 1, 2}, []int{e.Tasks[1].RetryCount, e.Tasks[2].RetryCount, e.Tasks[3].RetryCount})
		assert.Equal(t, "task1.output -> p1 value.p2 value", e.Tasks[1].Input["tp2"])
		assert.Equal(t, "task1.output -> p1 value.p2 value", e.Output["o3"])
	}
}

// WorkflowAndTaskConfigurationSpec "Test simple workflow which has an optional task": its
// first attempt FAILED, its retry COMPLETED_WITH_ERRORS, and the run goes on and completes.
func TestHarnessOptionalTask(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_workflow_with_optional_task_integration_test"), p1p2,
		conductor.WithWorker("task_optional", failingWorker("NETWORK ERROR")),
		conductor.WithWorker("integration_task_2", completing(nil)))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, []string{"t1:SIMPLE:FAILED", "t1:SIMPLE:COMPLETED_WITH_ERRORS", "t2:SIMPLE:COMPLETED"}, summary(r.Execution))
}

// WorkflowAndTaskConfigurationSpec "Test simple workflow which has a permissive task": both
// attempts FAILED, the next task runs, and the run fails with the last attempt's reason.
func TestHarnessPermissiveTask(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_workflow_with_permissive_task_integration_test"), p1p2,
		conductor.WithWorker("task_permissive", failingWorker("NETWORK ERROR")),
		conductor.WithWorker("integration_task_2", completing(nil)))[0]
	assert.Equal(t, conductor.StatusFailed, r.Status)
	assert.Equal(t, []string{"t1:SIMPLE:FAILED", "t1:SIMPLE:FAILED", "t2:SIMPLE:COMPLETED"}, summary(r.Execution))
	assert.Equal(t, "Task "+r.Tasks[1].TaskID+" failed with status: FAILED and reason: 'NETWORK ERROR'", r.Reason)
}

// WorkflowAndTaskConfigurationSpec "Test simple workflow which has a permissive optional task".
func TestHarnessPermissiveOptionalTask(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_workflow_with_permissive_optional_task_integration_test"), p1p2,
		conductor.WithWorker("task_optional", failingWorker("NETWORK ERROR")),
		conductor.WithWorker("integration_task_2", completing(nil)))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, []string{"t1:SIMPLE:FAILED", "t1:SIMPLE:COMPLETED_WITH_ERRORS", "t2:SIMPLE:COMPLETED"}, summary(r.Execution))
}

// WorkflowAndTaskConfigurationSpec "test workflow with input template parsing".
func TestHarnessWorkflowInputTemplate(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_workflow_1_input_template_integration_test"), map[string]any{"param3": "external string"},
		conductor.WithWorker("integration_task_1", completing(map[string]any{"op": "task1.done"})))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, map[string]any{
		"output": "task1.done", "param3": "external string", "param2": []any{"list", "of", "strings"},
		"param1": map[string]any{"nested_object": map[string]any{"nested_key": "nested_value"}},
	}, r.Output)
}

// WorkflowAndTaskConfigurationSpec "Test workflow with no tasks": it completes at once.
func TestHarnessWorkflowWithNoTasks(t *testing.T) {
	r := runHarness(t, `{"name":"empty_workflow","schemaVersion":2,"tasks":[]}`, nil)[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status)
	assert.Empty(t, r.Tasks)
	assert.Equal(t, map[string]any{}, r.Output)
}
