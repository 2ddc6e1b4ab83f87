package engines

import (
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Conductor's behaviours (issue 15) that need the engines, on Conductor's own definitions
// (../testdata/definitions) where it has them, each run under both strategies.

func lambdaResults(e *conductor.Execution, ref string) []any {
	var out []any
	for _, t := range e.Tasks {
		if t.Ref == ref {
			out = append(out, t.Output["result"])
		}
	}
	return out
}

// DoWhileSpec "Test workflow with Do While task contains loop over task that use iteration in
// script expression": ${loopTask['iteration']} is the current iteration.
func TestLoopIterationInScripts(t *testing.T) {
	e := runBoth(t, definition(t, "do_while_iteration_fix_test"), map[string]any{"loop": 2})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Len(t, e.Tasks, 3)
	assert.Equal(t, []any{float64(0), float64(1)}, lambdaResults(e, "form_uri"))
}

// DoWhileSpec "Test workflow with 2 iterations of five tasks".
func TestFiveTaskLoop(t *testing.T) {
	e := runBoth(t, definition(t, "do_while_five_loop_over_integration_test"), map[string]any{"loop": 2})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Len(t, e.Tasks, 2*5+2)
	jq, _ := e.Task("jq_add_location")
	assert.Equal(t, map[string]any{"out": map[string]any{"locationId": "some location id"}}, jq.Output["result"])
	loop, _ := e.Task("loopTask")
	assert.Equal(t, 2, loop.Iteration)
}

// LambdaAndTerminateTaskSpec "Test workflow with a terminate task when the status is
// completed": the TERMINATE's workflowOutput is the output, and the reason says who ended it.
func TestTerminateCompleted(t *testing.T) {
	e := runBoth(t, definition(t, "terminate_task_completed_workflow_integration_test"), map[string]any{"a": 1})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Len(t, e.Tasks, 2)
	assert.Equal(t, map[string]any{"result": map[string]any{"testvalue": true}}, e.Output)
	assert.Contains(t, e.Reason, "Workflow is COMPLETED by TERMINATE task")
}

// A TERMINATE with status TERMINATED inside a DO_WHILE without a loopCondition (one iteration)
// ends the run TERMINATED.
func TestTerminateInLoop(t *testing.T) {
	e := runBoth(t, definition(t, "terminate_task_terminated_status_in_do_while_test"), nil)
	assert.Equal(t, conductor.StatusTerminated, e.Status, e.Reason)
	assert.Equal(t, "Workflow terminated by TERMINATE task in DO_WHILE loop", e.Reason)
	// Its LAMBDA's body returns nothing (its function's value is not returned): null, as in
	// Conductor, which wraps the body the same way.
	assert.Equal(t, []any{nil}, lambdaResults(e, "lambda_ref"))
}

// Scripts written for GraalJS call Java's List and Map methods on their input.
func TestJavaMethodsInScripts(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"i","taskReferenceName":"i","type":"INLINE","inputParameters":{
	  "evaluatorType":"graaljs","list":"${workflow.input.list}","m":"${workflow.input.m}",
	  "expression":"var out = []; for (var k = 0; k < $.list.size(); k++) { out.push($.list.get(k) * 2); } ({doubled: out, empty: $.list.isEmpty(), has: $.list.contains(2), hasA: $.m.containsKey('a'), a: $.m.get('a'), none: $.m.get('zz'), keys: $.m.keySet(), n: $.m.size(), len: $.list.length, json: JSON.stringify($.m)})"}}]}`
	e := runBoth(t, def, map[string]any{"list": []any{1, 2, 3}, "m": map[string]any{"b": 2, "a": "x"}})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{
		"doubled": []any{float64(2), float64(4), float64(6)}, "empty": false, "has": true, "hasA": true, "a": "x", "none": nil,
		"keys": []any{"a", "b"}, "n": float64(2), "len": float64(3), "json": `{"a":"x","b":2}`,
	}, e.Output["result"])

	// An input key named like a method keeps its value; descriptors and proxies still work.
	def = `{"name":"w","tasks":[{"name":"i","taskReferenceName":"i","type":"INLINE","inputParameters":{
	  "evaluatorType":"javascript","size":"big",
	  "expression":"var o = {}; Object.defineProperty(o, 'x', {value: 1, enumerable: true}); var p = new Proxy({}, {}); [$.size, o.x, p.y === undefined]"}}]}`
	e = runBoth(t, def, nil)
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, []any{"big", float64(1), true}, e.Output["result"])
}

// JSONPath queries in expressions: wildcards, filters, deep scan, slices, and jayway's
// functions, as Conductor (jayway) evaluates them.
func TestJSONPathExpressions(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"work","taskReferenceName":"a","inputParameters":{
	  "names":"${workflow.input.items[*].name}",
	  "cheap":"${workflow.input.items[?(@.price < 10)].name}",
	  "deep":"${workflow.input..price}",
	  "first2":"${workflow.input.items[0:2].name}",
	  "count":"${workflow.input.items.length()}",
	  "countNames":"${workflow.input.items[*].name.length()}",
	  "none":"${workflow.input.items[?(@.price > 100)].name}",
	  "text":"cheap: ${workflow.input.items[?(@.price < 10)].name}"}}],
	  "outputParameters":{"names":"${a.input.names}","all":"${a.input}"}}`
	in := map[string]any{"items": []any{
		map[string]any{"name": "pen", "price": 2}, map[string]any{"name": "book", "price": 20}, map[string]any{"name": "cup", "price": 5}}}
	e := runBoth(t, def, in)
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{
		"names": []any{"pen", "book", "cup"}, "cheap": []any{"pen", "cup"}, "deep": []any{float64(2), float64(20), float64(5)},
		"first2": []any{"pen", "book"}, "count": float64(3), "countNames": float64(3), "none": []any{},
		"text": "cheap: [pen, cup]",
	}, e.Output["all"])

	// A query RFC 9535 refuses is refused at load, naming the task and field.
	rt, err := conductor.New(append(Options(), conductor.WithEcho())...)
	require.NoError(t, err)
	_, err = rt.Load([]byte(`{"name":"w","tasks":[{"name":"work","taskReferenceName":"a","inputParameters":{"x":"${workflow.input.items[?(@.name =~ /p.*/)]}"}}]}`))
	assert.ErrorIs(t, err, conductor.ErrBadExpression)
	var de *conductor.DefinitionError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "inputParameters.x", de.Field)
}

// A DO_WHILE over items with a JavaScript condition on loopItem.
func TestDoWhileItemsWithCondition(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"l","taskReferenceName":"l","type":"DO_WHILE","items":"${workflow.input.list}",
	  "loopCondition":"$.loopItem != 'stop'","loopOver":[{"name":"work","taskReferenceName":"b","inputParameters":{"item":"${l.output.loopItem}"}}]}]}`
	e := runBoth(t, def, map[string]any{"list": []any{"a", "stop", "c"}})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	var got []any
	for _, tr := range e.Tasks {
		if tr.Ref == "b" {
			got = append(got, tr.Input["item"])
		}
	}
	assert.Equal(t, []any{"a", "stop"}, got)
}

// JsonJQTransformSpec "Test json jq transform task with nested json object succeeds".
func TestSequentialJQ(t *testing.T) {
	in := map[string]any{
		"method": "POST", "body": map[string]any{"name": "Beary Beariston", "title": "the Brown Bear"},
		"requestTransform":  `{name: (.body.name + " you are " + .body.title) }`,
		"responseTransform": `{result: "reply: " + .response.body.message}`,
	}
	e := runBoth(t, definition(t, "sequential_json_jq_transform_integration_test"), in)
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	require.Len(t, e.Tasks, 2)
	r1 := e.Tasks[0].Output["result"].(map[string]any)
	assert.Equal(t, "POST", r1["method"])
	assert.Equal(t, in["requestTransform"], r1["requestTransform"])
	assert.Equal(t, "Beary Beariston you are the Brown Bear", e.Tasks[1].Output["result"].(map[string]any)["name"])
}

// JsonJQTransformSpec "Test json jq transform task with different json object results
// succeeds": jq results feed DECISIONs, whose input records the case.
func TestJQResultsFeedDecisions(t *testing.T) {
	e := runBoth(t, definition(t, "json_jq_transform_result_integration_test"), map[string]any{"requestedAction": "redeliver"})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	require.Len(t, e.Tasks, 4)
	assert.Equal(t, "CREATE", e.Tasks[0].Output["result"])
	assert.Equal(t, conductor.TypeDecision, e.Tasks[1].Type)
	assert.Equal(t, "CREATE", e.Tasks[1].Input["case"])
	assert.Len(t, e.Tasks[2].Output["result"], 3)
	assert.Contains(t, e.Tasks[2].Output["result"], "redeliver")
	assert.Equal(t, "true", e.Tasks[3].Input["case"])
}
