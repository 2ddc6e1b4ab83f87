package engines_test

import (
	"context"
	"fmt"

	"github.com/baton-go/baton/conductor"
	"github.com/baton-go/baton/conductor/engines"
)

// Options installs JavaScript (goja) and jq (gojq) for DO_WHILE, SWITCH javascript, INLINE,
// LAMBDA and JSON_JQ_TRANSFORM tasks, and JSONPath (theory/jsonpath) for expressions.
func ExampleOptions() {
	rt, _ := conductor.New(engines.Options()...)
	wf, err := rt.Load([]byte(`{"name": "scripts", "tasks": [
	  {"name": "sum", "taskReferenceName": "sum", "type": "JSON_JQ_TRANSFORM",
	   "inputParameters": {"xs": "${workflow.input.xs}", "queryExpression": ".xs | add"}},
	  {"name": "grade", "taskReferenceName": "grade", "type": "LAMBDA",
	   "inputParameters": {"sum": "${sum.output.result}", "scriptExpression": "return $.sum > 5 ? 'high' : 'low'"}}],
	  "outputParameters": {"sum": "${sum.output.result}", "grade": "${grade.output.result}"}}`))
	if err != nil {
		panic(err)
	}
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"xs": []any{1, 2, 3}})
	fmt.Println(run.Status, run.Output["sum"], run.Output["grade"])
	// Output: COMPLETED 6 high
}

func ExampleJavaScript() {
	p, _ := (&engines.JavaScript{}).CompileJavaScript("$.a * 2")
	v, err := p.Run(context.Background(), map[string]any{"a": 21.0})
	fmt.Println(v, err)
	// Output: 42 <nil>
}

func ExampleJQ() {
	p, _ := (&engines.JQ{}).CompileJQ(".[] | select(. > 1)")
	v, err := p.Run(context.Background(), []any{1.0, 2.0, 3.0})
	fmt.Println(v, err)
	// Output: [2 3] <nil>
}

// JSONPath answers Conductor's JSONPath queries: wildcards, filters, deep scan, slices.
func ExampleJSONPath() {
	rt, _ := conductor.New(conductor.WithEcho(), conductor.WithJSONPath(engines.JSONPath{}))
	wf, _ := rt.Load([]byte(`{"name": "shop", "tasks": [{"name": "a", "taskReferenceName": "a",
	  "inputParameters": {"cheap": "${workflow.input.items[?(@.price < 10)].name}",
	                      "count": "${workflow.input.items.length()}"}}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"items": []any{
		map[string]any{"name": "pen", "price": 2}, map[string]any{"name": "book", "price": 20}}})
	fmt.Println(run.Output["cheap"], run.Output["count"])
	// Output: [pen] 2
}
