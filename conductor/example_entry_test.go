package conductor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
)

// WithWorker registers the Go function behind the SIMPLE tasks of one name.
func ExampleWithWorker() {
	upper := func(_ context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{"text": strings.ToUpper(in["text"].(string))}, nil
	}
	rt, _ := conductor.New(conductor.WithWorker("upper", upper))
	wf, _ := rt.Load([]byte(`{"name": "shout", "tasks": [{"name": "upper", "taskReferenceName": "u",
	  "inputParameters": {"text": "${workflow.input.text}"}}], "outputParameters": {"text": "${u.output.text}"}}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"text": "hello"})
	fmt.Println(run.Output["text"])
	// Output: HELLO
}

// WithWorkers registers several workers at once, by task name.
func ExampleWithWorkers() {
	rt, _ := conductor.New(conductor.WithWorkers(map[string]conductor.Worker{
		"encode": encode,
		"deploy": deploy,
	}))
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"fileLocation": "s3://videos/dog.mov"})
	fmt.Println(run.Status, run.Output["cdn_url"])
	// Output: COMPLETED https://cdn.example.com/videos/dog.mp4
}

// WithEcho dry-runs a definition without its workers: each SIMPLE task outputs its resolved
// input. Without it, a task without a worker fails the load.
func ExampleWithEcho() {
	rt, _ := conductor.New()
	_, err := rt.Load([]byte(encodeAndDeploy))
	fmt.Println(errors.Is(err, conductor.ErrNoWorker))

	rt, _ = conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"fileLocation": "s3://a.mov"})
	e, _ := run.Task("encode")
	fmt.Println(run.Status, e.Output)
	// Output:
	// true
	// COMPLETED map[fileLocation:s3://a.mov]
}

// WithStrategy compiles definitions to choreographed pipelines: a goroutine per task, and the
// same results as orchestrated.
func ExampleWithStrategy() {
	rt, _ := conductor.New(conductor.WithStrategy(baton.Choreographed),
		conductor.WithWorker("encode", encode), conductor.WithWorker("deploy", deploy))
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"fileLocation": "s3://videos/cat.mov"})
	fmt.Println(wf.Stats().Strategy, run.Status, run.Output["cdn_url"])
	// Output: choreographed COMPLETED https://cdn.example.com/videos/cat.mp4
}

// Under choreography with WithConcurrency(1), the worker of a task runs one call at a time,
// however many runs go on at once.
func ExampleWithConcurrency() {
	var running, most atomic.Int32
	slow := func(_ context.Context, in map[string]any) (map[string]any, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		return in, nil
	}
	rt, _ := conductor.New(conductor.WithStrategy(baton.Choreographed), conductor.WithConcurrency(1),
		conductor.WithWorker("slow", slow))
	wf, _ := rt.Load([]byte(`{"name": "one_at_a_time", "tasks": [{"name": "slow", "taskReferenceName": "s"}]}`))
	defer wf.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { _, _ = wf.Run(context.Background(), nil) })
	}
	wg.Wait()
	fmt.Println("at most", most.Load(), "at once; runs:", wf.Stats().Tasks[0].Processed)
	// Output: at most 1 at once; runs: 4
}

// WithWorkflowID names a run; its task ids derive from it.
func ExampleWithWorkflowID() {
	rt, _ := conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"fileLocation": "f.mov"}, conductor.WithWorkflowID("order-7"))
	fmt.Println(run.WorkflowID)
	for _, t := range run.Tasks {
		fmt.Println(t.TaskID)
	}
	// Output:
	// order-7
	// order-7/encode
	// order-7/d1
}

// WithCorrelationID sets ${workflow.correlationId}, which sub-workflows share.
func ExampleWithCorrelationID() {
	rt, _ := conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(`{"name": "tagged", "tasks": [{"name": "t", "taskReferenceName": "t",
	  "inputParameters": {"cid": "${workflow.correlationId}"}}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), nil, conductor.WithCorrelationID("customer-12"))
	fmt.Println(run.Output["cid"])
	// Output: customer-12
}

// WithDefinitions registers the definitions SUB_WORKFLOW tasks run; a task that gives no
// version runs the highest one.
func ExampleWithDefinitions() {
	child := func(version int) *conductor.WorkflowDef {
		return &conductor.WorkflowDef{Name: "greet", Version: version, Tasks: []*conductor.WorkflowTask{{
			Name: "say", TaskReferenceName: "say", Type: "SET_VARIABLE",
			InputParameters: map[string]any{"v": version},
		}}, OutputParameters: map[string]any{"text": fmt.Sprintf("hello from v%d, ${workflow.input.who}", version)}}
	}
	rt, _ := conductor.New(conductor.WithDefinitions(child(1), child(2)))
	wf, err := rt.Load([]byte(`{"name": "parent", "tasks": [
	  {"name": "latest", "taskReferenceName": "latest", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "greet"},
	   "inputParameters": {"who": "${workflow.input.who}"}},
	  {"name": "first", "taskReferenceName": "first", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "greet", "version": 1},
	   "inputParameters": {"who": "${workflow.input.who}"}}],
	  "outputParameters": {"latest": "${latest.output.text}", "first": "${first.output.text}"}}`))
	if err != nil {
		panic(err)
	}
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"who": "ada"})
	fmt.Println(run.Output["latest"])
	fmt.Println(run.Output["first"])
	// Output:
	// hello from v2, ada
	// hello from v1, ada
}

// WithMaxDepth(1) lets a workflow run a sub-workflow, but not a sub-workflow of that one.
func ExampleWithMaxDepth() {
	leaf := &conductor.WorkflowDef{Name: "leaf", Version: 1, Tasks: []*conductor.WorkflowTask{{
		Name: "n", TaskReferenceName: "n", Type: "NOOP"}}}
	middle := &conductor.WorkflowDef{Name: "middle", Version: 1, Tasks: []*conductor.WorkflowTask{{
		Name: "leaf", TaskReferenceName: "leaf", Type: "SUB_WORKFLOW",
		SubWorkflowParam: &conductor.SubWorkflowParams{Name: "leaf"}}}}
	rt, _ := conductor.New(conductor.WithDefinitions(leaf, middle), conductor.WithMaxDepth(1))
	for _, name := range []string{"leaf", "middle"} {
		wf, _ := rt.Load([]byte(`{"name": "top", "tasks": [{"name": "sub", "taskReferenceName": "sub",
		  "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "` + name + `"}}]}`))
		run, err := wf.Run(context.Background(), nil)
		wf.Close()
		fmt.Println(name, run.Status, errors.Is(err, conductor.ErrLimit))
	}
	// Output:
	// leaf COMPLETED false
	// middle FAILED true
}

// WithMaxIterations caps a DO_WHILE: here a loop over items, one iteration per item.
func ExampleWithMaxIterations() {
	rt, _ := conductor.New(conductor.WithMaxIterations(3))
	wf, _ := rt.Load([]byte(`{"name": "each", "tasks": [{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
	  "items": "${workflow.input.items}", "loopOver": [{"name": "step", "taskReferenceName": "step", "type": "NOOP"}]}]}`))
	defer wf.Close()
	for _, items := range [][]any{{"a", "b", "c"}, {"a", "b", "c", "d"}} {
		run, err := wf.Run(context.Background(), map[string]any{"items": items})
		fmt.Println(len(items), "items:", run.Status, errors.Is(err, conductor.ErrLimit))
	}
	// Output:
	// 3 items: COMPLETED false
	// 4 items: FAILED true
}
