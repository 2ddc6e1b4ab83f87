package engines

import (
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// JsonJQTransformSpec.

// JsonJQTransformSpec "Test workflow with json jq transform task succeeds".
func TestHarnessJQ(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_json_jq_transform_integration_test"), map[string]any{
		"in1": map[string]any{"array": []any{"a", "b"}}, "in2": map[string]any{"array": []any{"c", "d"}}})[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 1)
	assert.Equal(t, conductor.TaskCompleted, r.Tasks[0].Status)
	assert.Contains(t, r.Tasks[0].Output, "result")
	assert.Contains(t, r.Tasks[0].Output, "resultList")
	assert.Equal(t, map[string]any{"out": []any{"a", "b", "c", "d"}}, r.Tasks[0].Output["result"])
}

// JsonJQTransformSpec "Test workflow with json jq transform task fails": the query indexes a
// string; the task fails, and the run with it. (Conductor's reason is jackson-jq's text,
// 'Cannot index string with string "array"'; gojq words it its own way.)
func TestHarnessJQFails(t *testing.T) {
	r := runHarness(t, harnessDef(t, "simple_json_jq_transform_integration_test"), map[string]any{"in1": "a", "in2": "b"})[0]
	assert.Equal(t, conductor.StatusFailed, r.Status)
	require.Len(t, r.Tasks, 1)
	assert.Equal(t, conductor.TaskFailed, r.Tasks[0].Status)
	assert.Equal(t, conductor.TypeJSONJQTransform, r.Tasks[0].Type)
	assert.NotEmpty(t, r.Tasks[0].Reason)
	in, _ := r.Tasks[0].Input["input"].(map[string]any)
	assert.Equal(t, "a", in["in1"]) // the failed task shows its input
}

// JsonJQTransformSpec "Test json jq transform task with nested json object succeeds".
func TestHarnessJQNested(t *testing.T) {
	in := map[string]any{
		"method": "POST", "body": map[string]any{"name": "Beary Beariston", "title": "the Brown Bear"},
		"requestTransform":  `{name: (.body.name + " you are " + .body.title) }`,
		"responseTransform": `{result: "reply: " + .response.body.message}`,
	}
	r := runHarness(t, harnessDef(t, "sequential_json_jq_transform_integration_test"), in)[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 2)
	allCompleted(t, r.Execution)
	res1, _ := r.Tasks[0].Output["result"].(map[string]any)
	assert.Equal(t, "POST", res1["method"])
	assert.Equal(t, in["requestTransform"], res1["requestTransform"])
	assert.Equal(t, in["responseTransform"], res1["responseTransform"])
	res2, _ := r.Tasks[1].Output["result"].(map[string]any)
	assert.Equal(t, "Beary Beariston you are the Brown Bear", res2["name"])
}

// JsonJQTransformSpec "Test json jq transform task with different json object results
// succeeds".
func TestHarnessJQResults(t *testing.T) {
	r := runHarness(t, harnessDef(t, "json_jq_transform_result_integration_test"), map[string]any{"requestedAction": "redeliver"})[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	require.Len(t, r.Tasks, 4)
	allCompleted(t, r.Execution)
	assert.Equal(t, "CREATE", r.Tasks[0].Output["result"])
	assert.Equal(t, conductor.TypeDecision, r.Tasks[1].Type)
	assert.Equal(t, "CREATE", r.Tasks[1].Input["case"])
	list, _ := r.Tasks[2].Output["result"].([]any)
	assert.Len(t, list, 3)
	assert.Contains(t, list, "redeliver")
	assert.Equal(t, "true", r.Tasks[3].Input["case"])
}
