package engines

import (
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// StartWorkflowSpec.

// StartWorkflowSpec "start another workflow using name and version" and "... using workflow
// definition": the START_WORKFLOW completes at once with the started workflow's id; that one
// runs on (here: its first task waits), with the starter's correlation id and its input.
func TestHarnessStartWorkflow(t *testing.T) {
	byName := map[string]any{"name": "integration_test_wf", "input": map[string]any{"param1": "value1", "param2": "value2"}}
	inline := map[string]any{"name": "dynamic_wf", "workflowDef": map[string]any{"name": "dynamic_wf", "version": 1, "ownerEmail": "abc@abc.com", "tasks": []any{
		map[string]any{"name": "integration_task_1", "taskReferenceName": "t1", "type": "SIMPLE",
			"inputParameters": map[string]any{"tp1": "${workflow.input.param1}", "tp2": "${workflow.input.param2}", "tp3": "${CPEWF_TASK_ID}"}},
		map[string]any{"name": "integration_task_2", "taskReferenceName": "t2", "type": "SIMPLE",
			"inputParameters": map[string]any{"tp1": "${workflow.input.param1}", "tp2": "${t1.output.op}", "tp3": "${CPEWF_TASK_ID}"}},
	}}}
	for name, req := range map[string]any{"name and version": byName, "workflow definition": inline} {
		t.Run(name, func(t *testing.T) {
			r := runHarness(t, harnessDef(t, "workflow_that_starts_another_workflow"), map[string]any{"startWorkflow": req},
				harnessDefs(t, "simple_workflow_1_integration_test"),
				workers(blockingWorker, "integration_task_1", "integration_task_2"))
			for _, e := range r {
				assert.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
				require.Equal(t, []string{"st:START_WORKFLOW:COMPLETED"}, summary(e.Execution))
				id, _ := e.Tasks[0].Output["workflowId"].(string)
				h, err := e.rt.Lookup(id)
				require.NoError(t, err)
				select {
				case <-h.Done():
					t.Fatal("the started workflow has ended")
				default: // RUNNING: its first task blocks
				}
			}
		})
	}
}

// StartWorkflowSpec "start_workflow does not conform to StartWorkflowRequest": the task fails,
// and the run with it.
func TestHarnessStartWorkflowInvalidRequest(t *testing.T) {
	r := runHarness(t, harnessDef(t, "workflow_that_starts_another_workflow"),
		map[string]any{"start_workflow": map[string]any{"param1": "value1", "param2": "value2"}})[0]
	assert.Equal(t, conductor.StatusFailed, r.Status)
	require.Len(t, r.Tasks, 1)
	assert.Equal(t, conductor.TaskFailed, r.Tasks[0].Status)
	assert.NotEmpty(t, r.Tasks[0].Reason)
}
