package engines

import (
	"context"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FailureWorkflowSpec and LambdaAndTerminateTaskSpec.

// checkFailureWorkflow checks, as both specs do, the failure workflow that run r started.
func checkFailureWorkflow(t *testing.T, r harnessRun, failureTask string) {
	t.Helper()
	id, ok := r.Output["conductor.failure_workflow"].(string)
	require.True(t, ok, "output: %v", r.Output)
	f := waitRun(t, r.rt, id)
	assert.Equal(t, conductor.StatusCompleted, f.Status, f.Reason)
	assert.Equal(t, r.WorkflowID, f.Input["workflowId"])
	ft, _ := r.Task(failureTask)
	assert.Equal(t, ft.TaskID, f.Input["failureTaskId"])
	assert.NotNil(t, f.Input["failedWorkflow"])
	assert.Equal(t, string(r.Status), f.Input["failureStatus"])
	require.Len(t, f.Tasks, 1)
	assert.Equal(t, conductor.TypeLambda, f.Tasks[0].Type)
	// Its LAMBDA saw the failed run's input (a: 1).
	assert.Equal(t, map[string]any{"result": map[string]any{"testvalue": true}}, f.Tasks[0].Output)
}

// FailureWorkflowSpec "Test workflow with a task that failed" (and LambdaAndTerminateTaskSpec
// "... terminate task when the status is failed").
func TestHarnessTerminateFailedStartsFailureWorkflow(t *testing.T) {
	runs := runHarness(t, harnessDef(t, "terminate_task_failed_workflow_integration"), map[string]any{"a": 1},
		harnessDefs(t, "failure_workflow_for_terminate_task_workflow"), conductor.WithWorker("integration_task_2", completing(nil)))
	for _, r := range runs {
		assert.Equal(t, conductor.StatusFailed, r.Status)
		assert.Equal(t, "Early exit in terminate", r.Reason)
		assert.Equal(t, []string{"lambda0:LAMBDA:COMPLETED", "terminate0:TERMINATE:COMPLETED"}, summary(r.Execution))
		checkFailureWorkflow(t, r, "terminate0")
	}
}

// FailureWorkflowSpec "Test workflow with a task failed in subworkflow".
func TestHarnessSubWorkflowFailureStartsFailureWorkflow(t *testing.T) {
	runs := runHarness(t, harnessDef(t, "test_task_failed_parent_workflow"), map[string]any{"a": 1},
		harnessDefs(t, "failure_workflow_for_terminate_task_workflow", "test_task_failed_sub_workflow"),
		conductor.WithWorker("integration_task_2", completing(nil)))
	for _, r := range runs {
		assert.Equal(t, conductor.StatusFailed, r.Status)
		assert.Equal(t, []string{"lambdaTask1:LAMBDA:COMPLETED", "test_task_failed_sub_wf:SUB_WORKFLOW:FAILED"}, summary(r.Execution))
		sub, _ := r.Task("test_task_failed_sub_wf")
		subID, _ := sub.Output["subWorkflowId"].(string)
		if h, err := r.rt.Lookup(subID); assert.NoError(t, err, "sub-workflow %q", subID) {
			se, _ := h.Wait(t.Context())
			assert.Equal(t, conductor.StatusFailed, se.Status)
			assert.Contains(t, se.Reason, "Workflow is FAILED by TERMINATE task")
			assert.Equal(t, []string{"lambda0:LAMBDA:COMPLETED", "terminate0:TERMINATE:COMPLETED"}, summary(se))
		}
		checkFailureWorkflow(t, r, "test_task_failed_sub_wf")
	}
}

// LambdaAndTerminateTaskSpec "Test workflow with a terminate task within a decision branch".
func TestHarnessTerminateInDecision(t *testing.T) {
	runs := runHarness(t, harnessDef(t, "decision_and_terminate_integration_test"),
		map[string]any{"param1": "p1", "param2": "p2", "case": "two"},
		workers(completing(map[string]any{"op": "task1 completed"}), "integration_task_1", "integration_task_2", "integration_task_3"))
	r := runs[0]
	assert.Equal(t, conductor.StatusFailed, r.Status)
	assert.Equal(t, map[string]any{"output": "task1 completed"}, r.Output)
	assert.Contains(t, r.Reason, "Workflow is FAILED by TERMINATE task")
	assert.Equal(t, []string{"t1:SIMPLE:COMPLETED", "decision:DECISION:COMPLETED", "terminate0:TERMINATE:COMPLETED"}, summary(r.Execution))
	t1, _ := r.Task("t1")
	assert.Equal(t, "task1 completed", t1.Output["op"])
}

// LambdaAndTerminateTaskSpec "Test workflow with lambda task".
func TestHarnessLambda(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_lambda_workflow_integration_test"), map[string]any{"a": 1})[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status)
	require.Len(t, r.Tasks, 1)
	assert.Equal(t, conductor.TaskCompleted, r.Tasks[0].Status)
	assert.Equal(t, map[string]any{"result": map[string]any{"testvalue": true}}, r.Tasks[0].Output)
}

// LambdaAndTerminateTaskSpec "Test workflow with a terminate task when the workflow has a
// subworkflow": the TERMINATE (COMPLETED) in one branch, after its WAIT is completed, ends the
// run while the other branch's SUB_WORKFLOW still runs: it is CANCELED, and so is its JOIN.
func TestHarnessTerminateWithRunningSubWorkflow(t *testing.T) {
	for _, s := range strategiesOf() {
		started := make(chan struct{})
		rt, err := conductor.New(append(Options(), conductor.WithStrategy(s), harnessTaskDefs(),
			harnessDefs(t, "terminate_task_sub_workflow"),
			conductor.WithWorker("integration_task_3", func(ctx context.Context, in map[string]any) (map[string]any, error) {
				close(started)
				return blockingWorker(ctx, in)
			}))...)
		require.NoError(t, err)
		w, err := rt.Load([]byte(harnessDef(t, "terminate_task_parent_workflow")))
		require.NoError(t, err)
		h, err := w.Start(t.Context(), map[string]any{"a": 1})
		require.NoError(t, err)
		_, err = h.AwaitTask(t.Context(), "basicJavaA")
		require.NoError(t, err)
		<-started // the sub-workflow's task runs
		require.NoError(t, h.CompleteTask(t.Context(), "basicJavaA", nil))
		e, _ := h.Wait(t.Context())
		require.NoError(t, w.Close())
		assert.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
		assert.Contains(t, e.Reason, "Workflow is COMPLETED by TERMINATE task")
		assert.Equal(t, map[string]any{"output": "some output"}, e.Output)
		status := map[string]conductor.TaskStatus{}
		for _, tr := range e.Tasks {
			status[tr.Ref] = tr.Status
		}
		assert.Equal(t, map[string]conductor.TaskStatus{
			"forkx": conductor.TaskCompleted, "lambdaTask1": conductor.TaskCompleted, "lambdaTask2": conductor.TaskCompleted,
			"thejoin": conductor.TaskCanceled, "test_terminate_subworkflow": conductor.TaskCanceled,
			"basicJavaA": conductor.TaskCompleted, "terminate0": conductor.TaskCompleted,
		}, status)
	}
}
