package engines

import (
	"context"
	"fmt"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ForkJoinSpec.

// statuses maps each task of e's log to its latest status.
func statuses(e *conductor.Execution) map[string]conductor.TaskStatus {
	out := map[string]conductor.TaskStatus{}
	for _, t := range e.Tasks {
		out[t.Ref] = t.Status
	}
	return out
}

// noRetries is a task definition of name without retries, as the specs' updateTaskDef gives.
func noRetries(names ...string) conductor.Option {
	var tds []*conductor.TaskDef
	for _, n := range names {
		tds = append(tds, &conductor.TaskDef{Name: n, ResponseTimeoutSeconds: 120})
	}
	return conductor.WithTaskDefs(tds...)
}

// ForkJoinSpec "Test a simple workflow with fork join success flow".
func TestHarnessForkJoinSuccess(t *testing.T) {
	r := runHarness(t, harnessDef(t, "fork_join_integration_test"), nil,
		workers(completing(nil), "integration_task_1", "integration_task_2", "integration_task_3", "integration_task_4"))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, map[string]conductor.TaskStatus{"fanouttask": conductor.TaskCompleted, "t1": conductor.TaskCompleted,
		"t2": conductor.TaskCompleted, "t3": conductor.TaskCompleted, "fanouttask_join": conductor.TaskCompleted, "t4": conductor.TaskCompleted}, statuses(r.Execution))
	assert.Equal(t, []string{"fanouttask", "t1", "t2", "fanouttask_join", "t3", "t4"}, refsOf(r.Execution))
	join, _ := r.Task("fanouttask_join")
	assert.Equal(t, []any{"t3", "t2"}, join.Input["joinOn"])
}

// ForkJoinSpec "Test a simple workflow with fork join failure flow": integration_task_2 fails
// without retries while integration_task_3 runs; the run fails, t3 and the JOIN are CANCELED.
func TestHarnessForkJoinFailure(t *testing.T) {
	for _, s := range strategiesOf() {
		started := make(chan struct{})
		h := startHarness(t, s, harnessDef(t, "fork_join_integration_test"), nil, noRetries("integration_task_2"),
			workers(completing(nil), "integration_task_1", "integration_task_4"),
			conductor.WithWorker("integration_task_3", func(ctx context.Context, in map[string]any) (map[string]any, error) {
				close(started)
				return blockingWorker(ctx, in)
			}),
			conductor.WithWorker("integration_task_2", func(ctx context.Context, _ map[string]any) (map[string]any, error) {
				<-started
				return nil, assert.AnError
			}))
		e, _ := h.Wait(t.Context())
		assert.Equal(t, conductor.StatusFailed, e.Status, e.Reason)
		assert.Equal(t, map[string]conductor.TaskStatus{"fanouttask": conductor.TaskCompleted, "t1": conductor.TaskCompleted,
			"t2": conductor.TaskFailed, "t3": conductor.TaskCanceled, "fanouttask_join": conductor.TaskCanceled}, statuses(e))
		assert.Len(t, e.Tasks, 5)
		// In Conductor's order: the JOIN after the branches' first tasks.
		assert.Equal(t, []string{"fanouttask", "t1", "t2", "fanouttask_join", "t3"}, refsOf(e))
	}
}

// refsOf lists the reference names of e's log entries.
func refsOf(e *conductor.Execution) []string {
	var out []string
	for _, t := range e.Tasks {
		out = append(out, t.Ref)
	}
	return out
}

// ForkJoinSpec "Test a simple workflow with fork join permissive failure flow": the permissive
// t1 fails, t2 completes, the JOIN fails and so does the run; t3 never runs.
func TestHarnessForkJoinPermissiveFailure(t *testing.T) {
	r := runHarness(t, harnessDef(t, "fork_join_permissive_integration_test"), nil, noRetries("integration_task_1"),
		conductor.WithWorker("integration_task_1", failingWorker("Failed...")),
		workers(completing(nil), "integration_task_2", "integration_task_3"))[0]
	assert.Equal(t, conductor.StatusFailed, r.Status, r.Reason)
	assert.Equal(t, map[string]conductor.TaskStatus{"fanouttask": conductor.TaskCompleted, "t1": conductor.TaskFailed,
		"t2": conductor.TaskCompleted, "fanouttask_join": conductor.TaskFailed}, statuses(r.Execution))
	assert.Len(t, r.Tasks, 4)
}

// ForkJoinSpec "Test fork join with sub workflows containing optional tasks": both optional
// SUB_WORKFLOWs fail (their task fails): each is COMPLETED_WITH_ERRORS, so is the JOIN, and the
// run completes.
func TestHarnessForkJoinOptionalSubWorkflows(t *testing.T) {
	r := runHarness(t, harnessDef(t, "fork_join_with_optional_sub_workflow_forks_integration_test"),
		map[string]any{"param1": "p1 value", "param2": "p2 value"},
		harnessDefs(t, "simple_one_task_sub_workflow_integration_test"),
		conductor.WithWorker("simple_task_in_sub_wf", failingWorker("Failed....")))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, map[string]conductor.TaskStatus{"fanouttask": conductor.TaskCompleted, "st1": conductor.TaskCompletedWithErrors,
		"st2": conductor.TaskCompletedWithErrors, "fanouttask_join": conductor.TaskCompletedWithErrors}, statuses(r.Execution))
	assert.Len(t, r.Tasks, 4)
	join, _ := r.Task("fanouttask_join")
	assert.Equal(t, []any{"st1", "st2"}, join.Input["joinOn"])
	for _, ref := range []string{"st1", "st2"} {
		st, _ := r.Task(ref)
		id, _ := st.Output["subWorkflowId"].(string)
		sub := waitRun(t, r.rt, id)
		assert.Equal(t, conductor.StatusFailed, sub.Status)
		require.Len(t, sub.Tasks, 1)
		assert.Equal(t, conductor.TaskFailed, sub.Tasks[0].Status)
	}
}

// nestedWorkers completes the tasks of the nested fork definitions.
func nestedWorkers() conductor.Option {
	var names []string
	for i := 1; i <= 20; i++ {
		names = append(names, fmt.Sprintf("integration_task_%d", i))
	}
	return workers(completing(nil), names...)
}

// ForkJoinSpec "Test nested fork join workflow success flow".
func TestHarnessNestedForkJoin(t *testing.T) {
	r := runHarness(t, harnessDef(t, "nested_fork_join_integration_test"), map[string]any{"case": "a"}, nestedWorkers())[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Len(t, r.Tasks, 13)
	allCompleted(t, r.Execution)
	// ForkJoinSpec's order: fork1, t11, fork2, t12, t13, join2 (joinOn t14, t20), join1 ...
	assert.Equal(t, []string{"fork1", "t11", "fork2", "t12", "t13", "join2", "join1"}, refsOf(r.Execution)[:7])
	join2, _ := r.Task("join2")
	assert.Equal(t, []any{"t14", "t20"}, join2.Input["joinOn"])
	join1, _ := r.Task("join1")
	assert.Equal(t, []any{"t11", "join2"}, join1.Input["joinOn"])
}

// ForkJoinSpec "Test nested workflow which contains a sub workflow task".
func TestHarnessNestedForkJoinWithSubWorkflow(t *testing.T) {
	r := runHarness(t, harnessDef(t, "nested_fork_join_with_sub_workflow_integration_test"), map[string]any{"case": "a"}, nestedWorkers(),
		harnessDefs(t, "simple_workflow_1_integration_test"))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Len(t, r.Tasks, 14)
	allCompleted(t, r.Execution)
	sw, _ := r.Task("sw1")
	id, _ := sw.Output["subWorkflowId"].(string)
	sub := waitRun(t, r.rt, id)
	assert.Equal(t, []string{"t1:SIMPLE:COMPLETED", "t2:SIMPLE:COMPLETED"}, summary(sub))
}
