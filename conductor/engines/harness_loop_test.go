package engines

import (
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DoWhileSpec.

// allCompleted checks that every task of e's log COMPLETED.
func allCompleted(t *testing.T, e *conductor.Execution) {
	t.Helper()
	for _, tr := range e.Tasks {
		assert.Equal(t, conductor.TaskCompleted, tr.Status, tr.Ref)
	}
}

// loopWorkers completes every integration task the loop definitions use.
func loopWorkers() conductor.Option {
	return workers(completing(nil), "integration_task_0", "integration_task_1", "integration_task_2", "integration_task_3")
}

// DoWhileSpec "Test workflow with 2 iterations of 3 system tasks".
func TestHarnessDoWhileSystemTasks(t *testing.T) {
	r := runHarness(t, harnessDef(t, "do_while_system_tasks"), map[string]any{"loop": 2}, loopWorkers())[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 8)
	allCompleted(t, r.Execution)
	iterations := map[string][]int{}
	for _, tr := range r.Tasks {
		iterations[tr.Type] = append(iterations[tr.Type], tr.Iteration)
	}
	assert.Equal(t, []int{1, 2}, iterations[conductor.TypeLambda])
	assert.Equal(t, []int{1, 1, 2, 2}, iterations[conductor.TypeJSONJQTransform])
	assert.Equal(t, []int{2}, iterations[conductor.TypeDoWhile])
	t1, _ := r.Task("integration_task_1")
	assert.Equal(t, 0, t1.Iteration) // outside the loop
	// In Conductor's order: the DO_WHILE, its two passes, then the task after it.
	assert.Equal(t, []string{"DO_WHILE", "LAMBDA", "JSON_JQ_TRANSFORM", "JSON_JQ_TRANSFORM", "LAMBDA", "JSON_JQ_TRANSFORM",
		"JSON_JQ_TRANSFORM", "SIMPLE"}, types(r.Execution))
}

// types lists the types of e's log entries.
func types(e *conductor.Execution) []string {
	var out []string
	for _, t := range e.Tasks {
		out = append(out, t.Type)
	}
	return out
}

// DoWhileSpec "Test workflow with a single iteration Do While task".
func TestHarnessDoWhileSingleIteration(t *testing.T) {
	r := runHarness(t, harnessDef(t, "do_while_integration_test"), map[string]any{"loop": 1}, loopWorkers())[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 6)
	allCompleted(t, r.Execution)
	for _, tr := range r.Tasks {
		assert.Equal(t, 1, tr.Iteration, tr.Ref)
	}
	assert.Equal(t, []string{"DO_WHILE", "SIMPLE", "FORK_JOIN", "SIMPLE", "SIMPLE", "JOIN"}, types(r.Execution))
	join, ok := r.Task("join__1") // Conductor's name of the JOIN of iteration 1
	require.True(t, ok)
	assert.Equal(t, conductor.TypeJoin, join.Type)
}

// DoWhileSpec "Test workflow with a single iteration Do While task with Sub workflow".
func TestHarnessDoWhileSubWorkflow(t *testing.T) {
	r := runHarness(t, harnessDef(t, "do_while_sub_workflow_integration_test"), map[string]any{"loop": 1}, loopWorkers(),
		harnessDefs(t, "simple_one_task_sub_workflow_integration_test"), conductor.WithWorker("simple_task_in_sub_wf", completing(nil)))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 7)
	allCompleted(t, r.Execution)
	st, _ := r.Task("st1")
	assert.Equal(t, conductor.TypeSubWorkflow, st.Type)
	assert.Equal(t, 1, st.Iteration)
}

// DoWhileSpec "Test workflow with multiple Do While tasks with multiple iterations".
func TestHarnessDoWhileMultiple(t *testing.T) {
	r := runHarness(t, harnessDef(t, "do_while_multiple_integration_test"), map[string]any{"loop": 2, "loop2": 1}, loopWorkers())[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 13)
	allCompleted(t, r.Execution)
	var loops []string
	for _, tr := range r.Tasks {
		if tr.Type == conductor.TypeDoWhile {
			loops = append(loops, tr.Ref)
		}
	}
	assert.Len(t, loops, 2)
}

// DoWhileSpec "Test workflow with a iteration Do While task as subtask of a forkjoin task".
func TestHarnessDoWhileInFork(t *testing.T) {
	r := runHarness(t, harnessDef(t, "do_while_as_subtask_integration_test"), map[string]any{"loop": 1}, loopWorkers())[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 6)
	allCompleted(t, r.Execution)
}

// DoWhileSpec "Test workflow with Do While task contains set variable task".
func TestHarnessDoWhileSetVariable(t *testing.T) {
	r := runHarness(t, harnessDef(t, "do_while_set_variable_fix"), map[string]any{"value": 2})[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 2)
	var sv conductor.TaskRun
	for _, tr := range r.Tasks {
		if tr.Type == conductor.TypeSetVariable {
			sv = tr
		}
	}
	assert.Equal(t, "0", sv.Input["value"])
}

// DoWhileSpec "Test workflow with Do While task contains decision task": each iteration's
// SWITCH case holds a WAIT, completed from outside; two iterations, nine tasks.
func TestHarnessDoWhileWithDecision(t *testing.T) {
	for _, s := range strategiesOf() {
		h := startHarness(t, s, harnessDef(t, "do_while_with_decision_task"), map[string]any{"list": []any{1, 2}})
		for range 2 {
			_, err := h.AwaitTask(t.Context(), "WaitTask")
			require.NoError(t, err)
			require.NoError(t, h.CompleteTask(t.Context(), "WaitTask", nil))
		}
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
		assert.Len(t, e.Tasks, 9)
		loop, _ := e.Task("LoopTask")
		assert.Equal(t, 2, loop.Iteration)
		allCompleted(t, e)
	}
}

// DoWhileSpec "Test DO_WHILE with 500 LAMBDA iterations completes without StackOverflowError"
// and "Test DO_WHILE iteration counter is correct at 500 iterations (issue #799)".
func TestHarnessDoWhile500Iterations(t *testing.T) {
	if testing.Short() {
		t.Skip("500 script iterations")
	}
	r := runHarness(t, harnessDef(t, "do_while_high_iteration_test"), map[string]any{"loop": 500})[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 501)
	// As Conductor lists them: the DO_WHILE first, then its 500 passes.
	assert.Equal(t, conductor.TypeDoWhile, r.Tasks[0].Type)
	assert.Equal(t, 500, r.Tasks[0].Iteration)
	assert.Equal(t, 1, r.Tasks[1].Iteration)
	assert.Equal(t, 500, r.Tasks[500].Iteration)

	r = runHarness(t, harnessDef(t, "do_while_iteration_fix_test"), map[string]any{"loop": 500})[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 501)
	assert.Equal(t, conductor.TypeDoWhile, r.Tasks[0].Type)
	assert.Equal(t, float64(0), r.Tasks[1].Output["result"])
	assert.Equal(t, float64(499), r.Tasks[500].Output["result"])
}
