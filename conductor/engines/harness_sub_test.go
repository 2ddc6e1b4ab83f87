package engines

import (
	"context"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SubWorkflowSpec.

// SubWorkflowSpec "Test terminating a subworkflow terminates parent workflow": the
// sub-workflow, terminated while its task runs, is TERMINATED with the reason given, its task
// CANCELED; the SUB_WORKFLOW task is CANCELED, and the parent TERMINATED with that reason.
func TestHarnessTerminateSubWorkflow(t *testing.T) {
	for _, s := range strategiesOf() {
		started := make(chan struct{})
		h, rt := startHarnessIn(t, s, harnessDef(t, "workflow_with_sub_workflow_1_integration_test"),
			map[string]any{"param1": "p1 value", "param2": "p2 value", "subwf": "sub_workflow"},
			harnessDefs(t, "simple_one_task_sub_workflow_integration_test"),
			workers(completing(map[string]any{"op": "task1.done"}), "integration_task_1", "integration_task_2"),
			conductor.WithWorker("simple_task_in_sub_wf", func(ctx context.Context, in map[string]any) (map[string]any, error) {
				close(started)
				return blockingWorker(ctx, in)
			}))
		<-started
		sub, err := rt.Lookup("wf/t2") // the SUB_WORKFLOW task's id
		require.NoError(t, err)
		const reason = "terminating from a test case"
		require.NoError(t, sub.Terminate(reason))
		se, _ := sub.Wait(t.Context())
		assert.Equal(t, conductor.StatusTerminated, se.Status)
		assert.Equal(t, reason, se.Reason)
		assert.Equal(t, []string{"t1:SIMPLE:CANCELED"}, summary(se))
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusTerminated, e.Status)
		assert.Contains(t, e.Reason, reason)
		assert.Equal(t, []string{"t1:SIMPLE:COMPLETED", "t2:SUB_WORKFLOW:CANCELED"}, summary(e))
		assert.ErrorIs(t, sub.Terminate(reason), conductor.ErrNotWaiting)
	}
}
