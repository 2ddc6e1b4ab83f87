package engines

import (
	"context"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
)

// DynamicForkJoinSpec.

// forker is integration_task_1 of dynamic_fork_join_integration_test: it outputs the tasks to
// fork (integration_task_2 as xdt1, integration_task_3 as xdt2) and their inputs.
func forker(inputs map[string]any) conductor.Worker {
	return completing(map[string]any{
		"dynamicTasks": []any{
			map[string]any{"name": "integration_task_2", "taskReferenceName": "xdt1"},
			map[string]any{"name": "integration_task_3", "taskReferenceName": "xdt2"},
		},
		"dynamicTasksInput": inputs,
	})
}

var validForkInputs = map[string]any{"xdt1": map[string]any{"k1": "v1"}, "xdt2": map[string]any{"k2": "v2"}}

// DynamicForkJoinSpec "Test dynamic fork join success flow".
func TestHarnessDynamicForkJoin(t *testing.T) {
	r := runHarness(t, harnessDef(t, "dynamic_fork_join_integration_test"), nil,
		conductor.WithWorker("integration_task_1", forker(validForkInputs)),
		workers(completing(map[string]any{"ok1": "ov1"}), "integration_task_2", "integration_task_3"),
		conductor.WithWorker("integration_task_4", completing(nil)))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, map[string]conductor.TaskStatus{"dt1": conductor.TaskCompleted, "dynamicfanouttask": conductor.TaskCompleted,
		"xdt1": conductor.TaskCompleted, "xdt2": conductor.TaskCompleted, "dynamicfanouttask_join": conductor.TaskCompleted,
		"task4": conductor.TaskCompleted}, statuses(r.Execution))
	assert.Len(t, r.Tasks, 6)
	join, _ := r.Task("dynamicfanouttask_join")
	assert.Equal(t, []any{"xdt1", "xdt2"}, join.Input["joinOn"])
	assert.Equal(t, map[string]any{"xdt1": map[string]any{"ok1": "ov1"}, "xdt2": map[string]any{"ok1": "ov1"}}, join.Output)
	x1, _ := r.Task("xdt1")
	assert.Equal(t, "v1", x1.Input["k1"])
}

// DynamicForkJoinSpec "Test dynamic fork join failure of dynamic forked task flow".
func TestHarnessDynamicForkJoinFailure(t *testing.T) {
	for _, s := range strategiesOf() {
		started := make(chan struct{})
		h := startHarness(t, s, harnessDef(t, "dynamic_fork_join_integration_test"), nil, noRetries("integration_task_2"),
			conductor.WithWorker("integration_task_1", forker(validForkInputs)),
			conductor.WithWorker("integration_task_3", func(ctx context.Context, in map[string]any) (map[string]any, error) {
				close(started)
				return blockingWorker(ctx, in)
			}),
			conductor.WithWorker("integration_task_2", func(context.Context, map[string]any) (map[string]any, error) {
				<-started
				return nil, assert.AnError
			}),
			conductor.WithWorker("integration_task_4", completing(nil)))
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusFailed, e.Status, e.Reason)
		assert.Equal(t, map[string]conductor.TaskStatus{"dt1": conductor.TaskCompleted, "dynamicfanouttask": conductor.TaskCompleted,
			"xdt1": conductor.TaskFailed, "xdt2": conductor.TaskCanceled, "dynamicfanouttask_join": conductor.TaskCanceled}, statuses(e))
		assert.Len(t, e.Tasks, 5)
		join, _ := e.Task("dynamicfanouttask_join")
		assert.Equal(t, []any{"xdt1", "xdt2"}, join.Input["joinOn"])
	}
}

// DynamicForkJoinSpec "Test dynamic fork join empty output": the JOIN's output is empty.
func TestHarnessDynamicForkJoinEmptyOutput(t *testing.T) {
	r := runHarness(t, harnessDef(t, "dynamic_fork_join_integration_test"), nil,
		conductor.WithWorker("integration_task_1", forker(validForkInputs)),
		workers(completing(nil), "integration_task_2", "integration_task_3", "integration_task_4"))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Len(t, r.Tasks, 6)
	join, _ := r.Task("dynamicfanouttask_join")
	assert.Equal(t, conductor.TaskCompleted, join.Status)
	assert.Empty(t, join.Output)
	assert.Equal(t, []any{"xdt1", "xdt2"}, join.Input["joinOn"])
}

// DynamicForkJoinSpec "Test dynamic fork join fail when task input is invalid": the run fails
// and its only task is the one that output the tasks (Conductor never schedules the fork).
func TestHarnessDynamicForkJoinInvalidInput(t *testing.T) {
	r := runHarness(t, harnessDef(t, "dynamic_fork_join_integration_test"), nil,
		conductor.WithWorker("integration_task_1", forker(map[string]any{"xdt1": "v1", "xdt2": "v2"})),
		workers(completing(nil), "integration_task_2", "integration_task_3", "integration_task_4"))[0]
	assert.Equal(t, conductor.StatusFailed, r.Status, r.Reason)
	assert.Equal(t, []string{"dt1:SIMPLE:COMPLETED"}, summary(r.Execution))
}

// DynamicForkJoinSpec "Test dynamic fork join return failed workflow when start with invalid
// input": the fork is the first task; the run fails with no task.
func TestHarnessDynamicForkJoinInvalidStartInput(t *testing.T) {
	def := `{"name":"DynamicForkJoinStartTest","version":1,"ownerEmail":"test@harness.com","tasks":[
	  {"name":"dynamicfanouttask","taskReferenceName":"dynamicfanouttask","type":"FORK_JOIN_DYNAMIC",
	   "inputParameters":{"dynamicTasks":"${workflow.input.dynamicTasks}","dynamicTasksInput":"${workflow.input.dynamicTasksInput}"},
	   "dynamicForkTasksParam":"dynamicTasks","dynamicForkTasksInputParamName":"dynamicTasksInput"},
	  {"name":"join","taskReferenceName":"join","type":"JOIN"}]}`
	r := runHarness(t, def, map[string]any{
		"dynamicTasks": []any{
			map[string]any{"name": "integration_task_2", "taskReferenceName": "xdt1"},
			map[string]any{"name": "integration_task_3", "taskReferenceName": "xdt2"},
		},
		"dynamicTasksInput": map[string]any{"xdt1": "v1", "xdt2": "v2"},
	}, workers(completing(nil), "integration_task_2", "integration_task_3"))[0]
	assert.Equal(t, conductor.StatusFailed, r.Status, r.Reason)
	assert.Empty(t, r.Tasks)
}
