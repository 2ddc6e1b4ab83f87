package conductor

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
)

// WorkflowAndTaskConfigurationSpec's timeouts, on a virtual clock, with Conductor's own
// definition (testdata/definitions, simple_workflow_1_integration_test).

// sleeping is a worker that never completes: it returns when its context ends.
func sleeping(ctx context.Context, _ map[string]any) (map[string]any, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

var timeoutInput = map[string]any{"param1": "p1 value", "param2": "p2 value", "failureWfName": "FanInOutTest"}

// "Test simple workflow with task time out configuration": integration_task_1 times out after
// 1 s, is retried once (RETRY), times out again: two TIMED_OUT entries, the run TIMED_OUT.
func TestTaskTimeoutConfiguration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		td := &TaskDef{Name: "integration_task_1", RetryCount: 1, TimeoutSeconds: 1, ResponseTimeoutSeconds: 1, TimeoutPolicy: "RETRY"}
		e := runBoth(t, string(loadDefs(t)["simple_workflow_1_integration_test"]), timeoutInput,
			WithTaskDefs(td), WithWorker("integration_task_1", sleeping), WithEcho())
		assert.Equal(t, StatusTimedOut, e.Status, e.Reason)
		assert.Equal(t, []string{"t1:TIMED_OUT", "t1:TIMED_OUT"}, summary(e))
		assert.ErrorIs(t, e.Err, ErrTimedOut)
	})
}

// "Test workflow timeout configurations": the workflow's timeoutSeconds (5, TIME_OUT_WF) ends
// it TIMED_OUT while its first task runs; that task is CANCELED.
func TestWorkflowTimeoutConfiguration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		def, err := ParseWorkflow(loadDefs(t)["simple_workflow_1_integration_test"])
		if !assert.NoError(t, err) {
			return
		}
		def.TimeoutPolicy, def.TimeoutSeconds = "TIME_OUT_WF", 5
		data, err := json.Marshal(def)
		if !assert.NoError(t, err) {
			return
		}
		e := runBoth(t, string(data), timeoutInput,
			WithTaskDefs(&TaskDef{Name: "integration_task_1", RetryCount: 1, TimeoutSeconds: 120}),
			WithWorker("integration_task_1", sleeping), WithEcho())
		assert.Equal(t, StatusTimedOut, e.Status, e.Reason)
		assert.Equal(t, []string{"t1:CANCELED"}, summary(e))
	})
}
