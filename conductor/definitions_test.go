package conductor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real definitions of testdata/definitions (see its README), loaded and run as dry runs
// (WithEcho) under both strategies. The ones that need JavaScript or jq run in the engines
// module's tests; here they must fail to load with ErrNoEngine.

func loadDefs(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/definitions/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = data
	}
	return out
}

var needsEngine = map[string]bool{
	"do_while_integration_test": true, "do_while_set_variable_fix": true,
	"simple_json_jq_transform_integration_test": true, "simple_lambda_workflow_integration_test": true,
	"terminate_task_terminated_status_in_do_while_test": true, "do_while_iteration_fix_test": true,
	"do_while_five_loop_over_integration_test": true, "terminate_task_completed_workflow_integration_test": true,
	"sequential_json_jq_transform_integration_test": true, "json_jq_transform_result_integration_test": true,
}

func TestDefinitionsLoad(t *testing.T) {
	var all []*WorkflowDef
	for _, data := range loadDefs(t) {
		d, err := ParseWorkflow(data)
		require.NoError(t, err)
		all = append(all, d)
	}
	rt, err := New(WithEcho(), WithDefinitions(all...))
	require.NoError(t, err)
	for name, data := range loadDefs(t) {
		w, err := rt.Load(data)
		if needsEngine[name] {
			assert.ErrorIs(t, err, ErrNoEngine, name)
			continue
		}
		require.NoError(t, err, name)
		require.NoError(t, w.Close())
	}
}

func TestDefinitionsRun(t *testing.T) {
	defs := loadDefs(t)
	var all []*WorkflowDef
	for _, data := range defs {
		d, err := ParseWorkflow(data)
		require.NoError(t, err)
		all = append(all, d)
	}
	down := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
	dynamic := func(_ context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{
			"dynamicTasks": []any{
				map[string]any{"name": "integration_task_2", "taskReferenceName": "xdt1"},
				map[string]any{"name": "integration_task_3", "taskReferenceName": "xdt2"},
			},
			"dynamicTasksInput": map[string]any{"xdt1": map[string]any{"k1": "v1"}, "xdt2": map[string]any{"k2": in["p1"]}},
		}, nil
	}
	op := func(context.Context, map[string]any) (map[string]any, error) {
		return map[string]any{"op": "op-a"}, nil
	}
	tests := []struct {
		file   string
		input  map[string]any
		opts   []Option
		status Status
		refs   []string
		output map[string]any
	}{
		{file: "conditional_switch_task_workflow_integration_test", input: map[string]any{"param1": "nested", "param2": "one", "finalCase": "notify"},
			status: StatusCompleted, refs: []string{"conditional", "nestedCondition", "t1", "finalCase", "integration_task_4"}},
		{file: "conditional_switch_task_workflow_integration_test", input: map[string]any{"param1": "three"},
			status: StatusCompleted, refs: []string{"conditional", "t3", "finalCase"}},
		{file: "conditional_switch_task_workflow_integration_test", input: map[string]any{"param1": "other"},
			status: StatusCompleted, refs: []string{"conditional", "t10", "finalCase"}},
		{file: "decision_and_fork_join_integration_test", input: map[string]any{"case": "c", "param1": "a", "param2": "b"},
			status: StatusCompleted, refs: []string{"forkTask", "decisionTask", "t1", "t10", "joinTask", "t2", "t20"}},
		{file: "dynamic_fork_join_integration_test", input: map[string]any{"param1": "a", "param2": "b"},
			opts:   []Option{WithWorker("integration_task_1", dynamic)},
			status: StatusCompleted, refs: []string{"dt1", "dynamicfanouttask", "xdt1", "xdt2", "dynamicfanouttask_join", "task4"}},
		{file: "encode_and_deploy", input: map[string]any{"fileLocation": "s3://in/cat.mov"},
			opts: []Option{
				WithWorker("encode", func(_ context.Context, in map[string]any) (map[string]any, error) {
					return map[string]any{"encodeLocation": in["fileLocation"].(string) + ".mp4"}, nil
				}),
				WithWorker("deploy", func(_ context.Context, in map[string]any) (map[string]any, error) {
					return map[string]any{"location": "https://cdn/" + in["fileLocation"].(string)}, nil
				})},
			status: StatusCompleted, refs: []string{"encode", "d1"}, output: map[string]any{"cdn_url": "https://cdn/s3://in/cat.mov.mp4"}},
		{file: "fork_join_integration_test", input: map[string]any{"param1": "a"},
			status: StatusCompleted, refs: []string{"fanouttask", "t1", "t2", "fanouttask_join", "t3", "t4"}},
		{file: "kitchensink_wf2", input: map[string]any{"mod": 3, "oddEven": 1},
			status: StatusCompleted, refs: []string{"task_5", "task_28", "forkx", "task_10", "task_20", "join", "task_11", "task_21", "task_30"},
			output: map[string]any{"mod": float64(3), "oddEven": float64(1)}},
		{file: "simple_decision_task_integration_test", input: map[string]any{"case": "nope"},
			status: StatusCompleted, refs: []string{"decisionTask", "t5", "t20"}},
		{file: "simple_one_task_sub_workflow_integration_test", status: StatusCompleted, refs: []string{"t1"}},
		{file: "simple_switch_task_integration_test", input: map[string]any{"case": "c"},
			status: StatusCompleted, refs: []string{"switchTask", "t1", "t2", "t20"}},
		{file: "simple_workflow_1_integration_test", input: map[string]any{"param1": "a", "param2": "b"},
			opts:   []Option{WithWorker("integration_task_1", op)},
			status: StatusCompleted, refs: []string{"t1", "t2"}, output: map[string]any{"o1": "a", "o2": nil, "o3": "op-a"}},
		{file: "simple_workflow_3_integration_test", input: map[string]any{"param1": "a"},
			status: StatusCompleted, refs: []string{"t1", "t2", "t3"}},
		{file: "simple_workflow_with_optional_task_integration_test", input: map[string]any{"param1": "a"},
			opts:   []Option{WithWorker("task_optional", down)},
			status: StatusCompleted, refs: []string{"t1", "t2"}, output: map[string]any{"o1": "a", "o2": nil, "o3": nil}},
		{file: "switch_and_terminate_integration_test", input: map[string]any{"case": "one", "param1": "a"},
			opts:   []Option{WithWorker("integration_task_3", op)},
			status: StatusCompleted, refs: []string{"t1", "switch", "t2", "t3"}},
		{file: "switch_and_terminate_integration_test", input: map[string]any{"case": "two", "param1": "a"},
			opts:   []Option{WithWorker("integration_task_1", op)},
			status: StatusFailed, refs: []string{"t1", "switch", "terminate0"}, output: map[string]any{"output": "op-a"}},
		{file: "workflow_with_sub_workflow_1_integration_test", input: map[string]any{"param1": "a", "subwf": "sub_workflow"},
			opts:   []Option{WithDefinitions(all...)},
			status: StatusCompleted, refs: []string{"t1", "t2"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := runBoth(t, string(defs[tt.file]), tt.input, append([]Option{WithEcho()}, tt.opts...)...)
			require.Equal(t, tt.status, e.Status, e.Reason)
			assert.Equal(t, tt.refs, refs(e))
			if tt.output != nil {
				assert.Equal(t, tt.output, e.Output)
			}
		})
	}
}
