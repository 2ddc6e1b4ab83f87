package engines

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/require"
)

// Scenarios of Conductor's own integration tests (test-harness/src/test/groovy/.../integration,
// conductor-oss commit b54f0d4) on the definitions they load (test-harness/src/test/resources,
// copied into ../testdata/conductor-oss, see its README), each asserting what the Conductor
// spec asserts, under both strategies. The files harness_*_test.go hold them, spec by spec.

// harnessDef is the test-harness resource name.json.
func harnessDef(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "conductor-oss", "test-harness__src__test__resources__"+name+".json"))
	require.NoError(t, err)
	return string(data)
}

// harnessDefs parses the test-harness resources names, for WithDefinitions.
func harnessDefs(t *testing.T, names ...string) conductor.Option {
	t.Helper()
	var defs []*conductor.WorkflowDef
	for _, n := range names {
		d, err := conductor.ParseWorkflow([]byte(harnessDef(t, n)))
		require.NoError(t, err, n)
		defs = append(defs, d)
	}
	return conductor.WithDefinitions(defs...)
}

// harnessTaskDefs are the task definitions WorkflowTestUtil.taskDefinitions registers:
// integration_task_0 … 20 with one retry and 120 s timeouts, and the special ones the specs use.
func harnessTaskDefs() conductor.Option {
	var tds []*conductor.TaskDef
	for i := 0; i <= 20; i++ {
		tds = append(tds, &conductor.TaskDef{Name: fmt.Sprintf("integration_task_%d", i), RetryCount: 1, TimeoutSeconds: 120, ResponseTimeoutSeconds: 120})
	}
	for i := 0; i <= 4; i++ {
		tds = append(tds, &conductor.TaskDef{Name: fmt.Sprintf("integration_task_0_RT_%d", i), TimeoutSeconds: 120, ResponseTimeoutSeconds: 120})
	}
	tds = append(tds,
		&conductor.TaskDef{Name: "task_optional", RetryCount: 1, TimeoutSeconds: 5, TimeoutPolicy: "RETRY", ResponseTimeoutSeconds: 5},
		&conductor.TaskDef{Name: "simple_task_in_sub_wf"},
		&conductor.TaskDef{Name: "sub_workflow_task", RetryCount: 1, ResponseTimeoutSeconds: 5},
	)
	return conductor.WithTaskDefs(tds...)
}

// harnessRun is one run of a harness scenario: its execution and the Runtime it ran in (to
// look up the workflows it started).
type harnessRun struct {
	*conductor.Execution
	rt *conductor.Runtime
}

// runHarness runs def on input under both strategies, with the harness's task definitions and
// opts, checks that the strategies agree on status, reason, output and task log, and returns
// both runs. The workflows are closed when the test ends.
func runHarness(t *testing.T, def string, input map[string]any, opts ...conductor.Option) [2]harnessRun {
	t.Helper()
	var out [2]harnessRun
	for i, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		rt, err := conductor.New(append(append(Options(), conductor.WithStrategy(s), harnessTaskDefs()), opts...)...)
		require.NoError(t, err)
		w, err := rt.Load([]byte(def))
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, w.Close()) })
		e, _ := w.Run(context.Background(), input, conductor.WithWorkflowID("wf"), conductor.WithCorrelationID("corr"))
		require.NotNil(t, e)
		out[i] = harnessRun{e, rt}
	}
	a, b := out[0], out[1]
	require.Equal(t, a.Status, b.Status, "status")
	require.Equal(t, a.Reason, b.Reason, "reason")
	require.Equal(t, summary(a.Execution), summary(b.Execution), "task log")
	return out
}

// summary is a run's log as "ref:TYPE:STATUS" items.
func summary(e *conductor.Execution) []string {
	var out []string
	for _, t := range e.Tasks {
		out = append(out, t.Ref+":"+t.Type+":"+string(t.Status))
	}
	return out
}

// completing is a worker completing its task with output, as pollAndCompleteTask does.
func completing(output map[string]any) conductor.Worker {
	return func(context.Context, map[string]any) (map[string]any, error) { return output, nil }
}

// failingWorker is a worker failing its task, as pollAndFailTask does.
func failingWorker(reason string) conductor.Worker {
	return func(context.Context, map[string]any) (map[string]any, error) { return nil, fmt.Errorf("%s", reason) }
}

// workers registers w for each of the names.
func workers(w conductor.Worker, names ...string) conductor.Option {
	m := map[string]conductor.Worker{}
	for _, n := range names {
		m[n] = w
	}
	return conductor.WithWorkers(m)
}

// wait waits for the run id of rt to end.
func waitRun(t *testing.T, rt *conductor.Runtime, id string) *conductor.Execution {
	t.Helper()
	h, err := rt.Lookup(id)
	require.NoError(t, err)
	e, _ := h.Wait(context.Background())
	require.NotNil(t, e)
	return e
}

func strategiesOf() []baton.Strategy {
	return []baton.Strategy{baton.Orchestrated, baton.Choreographed}
}

// blockingWorker never completes its task by itself: it returns when its context ends.
func blockingWorker(ctx context.Context, _ map[string]any) (map[string]any, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

// startHarness starts def on input under strategy s, with the harness's task definitions and
// opts, and returns its Handle; the workflow is closed when the test ends.
func startHarness(t *testing.T, s baton.Strategy, def string, input map[string]any, opts ...conductor.Option) *conductor.Handle {
	t.Helper()
	h, _ := startHarnessIn(t, s, def, input, opts...)
	return h
}

// startHarnessIn is startHarness, returning the Runtime too.
func startHarnessIn(t *testing.T, s baton.Strategy, def string, input map[string]any, opts ...conductor.Option) (*conductor.Handle, *conductor.Runtime) {
	t.Helper()
	rt, err := conductor.New(append(append(Options(), conductor.WithStrategy(s), harnessTaskDefs()), opts...)...)
	require.NoError(t, err)
	w, err := rt.Load([]byte(def))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, w.Close()) })
	h, err := w.Start(t.Context(), input, conductor.WithWorkflowID("wf"))
	require.NoError(t, err)
	return h, rt
}
