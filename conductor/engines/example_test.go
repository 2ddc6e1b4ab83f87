package engines_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// A script that allocates without bound is stopped by its memory limit, with an error
// matching conductor.ErrLimit; one that makes a huge string at once, before it allocates.
func ExampleJavaScript_memoryLimit() {
	rt, _ := conductor.New(conductor.WithJavaScript(&engines.JavaScript{MaxMemory: 32 << 20}), conductor.WithScriptTimeout(time.Minute))
	for _, script := range []string{"var s = 'x'; while (true) { s = s + s; }", "'x'.repeat(1e9)"} {
		def := `{"name": "hostile", "tasks": [{"name": "s", "taskReferenceName": "s", "type": "INLINE",
		  "inputParameters": {"evaluatorType": "javascript", "expression": "` + script + `"}}]}`
		wf, _ := rt.Load([]byte(def))
		run, err := wf.Run(context.Background(), nil)
		wf.Close()
		fmt.Println(run.Status, errors.Is(err, conductor.ErrLimit), strings.Contains(run.Reason, "RangeError"))
	}
	// Output:
	// FAILED true false
	// FAILED false true
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
