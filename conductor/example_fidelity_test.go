package conductor_test

import (
	"context"
	"fmt"

	"github.com/baton-go/baton/conductor"
)

// A secret reaches the worker, but the run's log keeps the expression as written; an
// environment variable is resolved where it is named.
func ExampleWithSecrets() {
	connect := func(_ context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{"dsn": in["dsn"]}, nil // the worker sees the secret
	}
	rt, _ := conductor.New(conductor.WithWorker("connect", connect),
		conductor.WithEnv(conductor.LookupMap(map[string]string{"REGION": "eu-west-1"})),
		conductor.WithSecrets(conductor.LookupMap(map[string]string{"DB_PASSWORD": "s3cr3t"})))
	wf, _ := rt.Load([]byte(`{"name": "db", "tasks": [{"name": "connect", "taskReferenceName": "c",
	  "inputParameters": {"dsn": "app:${workflow.secrets.DB_PASSWORD}@db.${workflow.env.REGION}"}}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), nil)
	c, _ := run.Task("c")
	fmt.Println(run.Output["dsn"])
	fmt.Println(c.Input["dsn"])
	// Output:
	// app:s3cr3t@db.eu-west-1
	// app:${workflow.secrets.DB_PASSWORD}@db.eu-west-1
}

// An expression naming a task the definition does not have loads, as in Conductor, with a
// warning; it is null when it runs.
func ExampleWorkflow_Warnings() {
	rt, _ := conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(`{"name": "typo", "tasks": [{"name": "a", "taskReferenceName": "a",
	  "inputParameters": {"x": "${encdoe.output.location}"}}]}`))
	defer wf.Close()
	for _, w := range wf.Warnings() {
		fmt.Println(w)
	}
	run, _ := wf.Run(context.Background(), nil)
	fmt.Println(run.Output) // no outputParameters: the last task's output
	// Output:
	// conductor: workflow "typo": task "a": inputParameters.x: reference to an unknown task: ${encdoe.output.location} names "encdoe", which is not a task of the definition: it is null when it runs, as in Conductor
	// map[x:<nil>]
}

// WithJSONPath gives expressions JSONPath queries beyond plain paths; the engines module has one
// (engines.JSONPath, in engines.Options). Here, a toy engine that knows one query.
func ExampleWithJSONPath() {
	rt, _ := conductor.New(conductor.WithEcho(), conductor.WithJSONPath(toyJSONPath{}))
	wf, _ := rt.Load([]byte(`{"name": "q", "tasks": [{"name": "a", "taskReferenceName": "a",
	  "inputParameters": {"names": "${workflow.input.items[*].name}"}}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"items": []any{
		map[string]any{"name": "pen"}, map[string]any{"name": "cup"}}})
	fmt.Println(run.Output["names"])
	// Output: [pen cup]
}

type toyJSONPath struct{}

func (toyJSONPath) CompileJSONPath(query string) (conductor.Query, error) {
	if query != "$.workflow.input.items[*].name" {
		return nil, fmt.Errorf("unknown query %s", query)
	}
	return toyQuery{}, nil
}

type toyQuery struct{}

func (toyQuery) Select(doc any) ([]any, bool) {
	var out []any
	for _, it := range doc.(map[string]any)["workflow"].(map[string]any)["input"].(map[string]any)["items"].([]any) {
		out = append(out, it.(map[string]any)["name"])
	}
	return out, false // indefinite: a list
}

// WithEnv alone: ${workflow.env.NAME}, and a path into a value that is JSON.
func ExampleWithEnv() {
	rt, _ := conductor.New(conductor.WithEcho(),
		conductor.WithEnv(conductor.LookupMap(map[string]string{"CFG": `{"db": {"port": 5432}}`})))
	wf, _ := rt.Load([]byte(`{"name": "env", "tasks": [{"name": "a", "taskReferenceName": "a",
	  "inputParameters": {"port": "${workflow.env.CFG.db.port}"}}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), nil)
	fmt.Println(run.Output["port"])
	// Output: 5432
}

// LookupMap makes a Lookup of a map.
func ExampleLookupMap() {
	look := conductor.LookupMap(map[string]string{"REGION": "eu-west-1"})
	v, ok := look("REGION")
	fmt.Println(v, ok)
	// Output: eu-west-1 true
}

// A JSON error inside a task names the task.
func ExampleWorkflowTask_UnmarshalJSON() {
	_, err := conductor.ParseWorkflow([]byte(`{"name": "w", "tasks": [
	  {"name": "encode", "taskReferenceName": "e", "retryCount": "three"}]}`))
	fmt.Println(err)
	// Output: conductor: workflow "w": task "e": json: malformed definition: field retryCount: a JSON string where int is wanted
}

// A SUB_WORKFLOW's workflowDefinition may be an expression: the child is its value when the
// task runs.
func ExampleSubWorkflowParams_UnmarshalJSON() {
	rt, _ := conductor.New(conductor.WithWorker("build", func(context.Context, map[string]any) (map[string]any, error) {
		return map[string]any{"def": map[string]any{"name": "child", "tasks": []any{
			map[string]any{"name": "greet", "taskReferenceName": "g", "type": "SET_VARIABLE", "inputParameters": map[string]any{"hi": "there"}}}}}, nil
	}))
	wf, err := rt.Load([]byte(`{"name": "parent", "tasks": [
	  {"name": "build", "taskReferenceName": "b"},
	  {"name": "run", "taskReferenceName": "r", "type": "SUB_WORKFLOW", "subWorkflowParam": {"workflowDefinition": "${b.output.def}"}}]}`))
	if err != nil {
		panic(err)
	}
	defer wf.Close()
	run, _ := wf.Run(context.Background(), nil, conductor.WithWorkflowID("p1"))
	fmt.Println(run.Status, run.Output["subWorkflowId"])
	// Output: COMPLETED p1/r
}
