package conductor_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton/conductor"
)

// goScripts is a toy JavaScript and jq engine for the examples: each source it knows is a Go
// function of the program's input. The engines module has real ones.
type goScripts map[string]func(ctx context.Context, in map[string]any) (any, error)

func (g goScripts) CompileJavaScript(src string) (conductor.Program, error) { return g.compile(src) }

func (g goScripts) CompileJQ(query string) (conductor.Program, error) { return g.compile(query) }

func (g goScripts) compile(src string) (conductor.Program, error) {
	fn, ok := g[src]
	if !ok {
		return nil, fmt.Errorf("unknown script %q", src)
	}
	return goProgram(fn), nil
}

type goProgram func(ctx context.Context, in map[string]any) (any, error)

func (p goProgram) Run(ctx context.Context, in any) (any, error) { return p(ctx, in.(map[string]any)) }

// WithJavaScript gives INLINE tasks (and JavaScript conditions) an engine; without one, their
// definitions do not load.
func ExampleWithJavaScript() {
	def := []byte(`{"name": "add", "tasks": [{"name": "sum", "taskReferenceName": "sum", "type": "INLINE",
	  "inputParameters": {"evaluatorType": "javascript", "expression": "$.a + $.b", "a": "${workflow.input.a}", "b": 2}}],
	  "outputParameters": {"sum": "${sum.output.result}"}}`)
	rt, _ := conductor.New()
	_, err := rt.Load(def)
	fmt.Println(errors.Is(err, conductor.ErrNoEngine))

	js := goScripts{"$.a + $.b": func(_ context.Context, in map[string]any) (any, error) {
		return in["a"].(float64) + in["b"].(float64), nil
	}}
	rt, _ = conductor.New(conductor.WithJavaScript(js))
	wf, _ := rt.Load(def)
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"a": 40})
	fmt.Println(run.Output["sum"])
	// Output:
	// true
	// 42
}

// WithJQ gives JSON_JQ_TRANSFORM tasks an engine: the task outputs the program's first
// result and the list of all of them.
func ExampleWithJQ() {
	jq := goScripts{"[.items[].price] | add": func(_ context.Context, in map[string]any) (any, error) {
		total := 0.0
		for _, it := range in["items"].([]any) {
			total += it.(map[string]any)["price"].(float64)
		}
		return []any{total}, nil // a jq program returns all its results
	}}
	rt, _ := conductor.New(conductor.WithJQ(jq))
	wf, _ := rt.Load([]byte(`{"name": "total", "tasks": [{"name": "sum", "taskReferenceName": "sum", "type": "JSON_JQ_TRANSFORM",
	  "inputParameters": {"queryExpression": "[.items[].price] | add", "items": "${workflow.input.items}"}}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"items": []any{
		map[string]any{"price": 3}, map[string]any{"price": 4.5}}})
	fmt.Println(run.Output["result"], run.Output["resultList"])
	// Output: 7.5 [7.5]
}

// A script that runs past WithScriptTimeout fails its task, and the run, with ErrLimit.
func ExampleWithScriptTimeout() {
	js := goScripts{"while (true) {}": func(ctx context.Context, _ map[string]any) (any, error) {
		<-ctx.Done() // an engine stops when the context is done
		return nil, ctx.Err()
	}}
	rt, _ := conductor.New(conductor.WithJavaScript(js), conductor.WithScriptTimeout(20*time.Millisecond))
	wf, _ := rt.Load([]byte(`{"name": "spin", "tasks": [{"name": "s", "taskReferenceName": "s", "type": "INLINE",
	  "inputParameters": {"evaluatorType": "javascript", "expression": "while (true) {}"}}]}`))
	defer wf.Close()
	run, err := wf.Run(context.Background(), nil)
	fmt.Println(run.Status, errors.Is(err, conductor.ErrLimit))
	// Output: FAILED true
}

// WithTaskDefs gives the tasks of a name their policy: here two retries, so a worker that
// fails twice still completes; each earlier attempt has a log entry of its own.
func ExampleWithTaskDefs() {
	var calls atomic.Int32
	flaky := func(_ context.Context, _ map[string]any) (map[string]any, error) {
		if calls.Add(1) <= 2 {
			return nil, errors.New("connection reset")
		}
		return map[string]any{"ok": true}, nil
	}
	defs, _ := conductor.ParseTaskDefs([]byte(`[{"name": "flaky", "retryCount": 2, "retryLogic": "FIXED", "retryDelaySeconds": 0}]`))
	rt, _ := conductor.New(conductor.WithWorker("flaky", flaky), conductor.WithTaskDefs(defs...))
	wf, _ := rt.Load([]byte(`{"name": "retry", "tasks": [{"name": "flaky", "taskReferenceName": "f"}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), nil)
	fmt.Println(run.Status)
	for _, t := range run.Tasks {
		fmt.Println(t.Ref, t.Status, t.Attempts, t.Err)
	}
	// Output:
	// COMPLETED
	// f FAILED 1 connection reset
	// f FAILED 2 connection reset
	// f COMPLETED 3 <nil>
}

// AwaitTask returns the task once it waits for an update; once the execution has ended, it
// fails with ErrNotWaiting.
func ExampleHandle_AwaitTask() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, map[string]any{"doc": "contract.pdf"}, conductor.WithWorkflowID("a-1"))
	task, err := h.AwaitTask(ctx, "review")
	fmt.Println(task.Ref, task.Type, task.TaskID, task.Input["doc"], err)
	_ = h.CompleteTask(ctx, "review", nil)
	_, _ = h.Wait(ctx)
	_, err = h.AwaitTask(ctx, "review")
	fmt.Println(errors.Is(err, conductor.ErrNotWaiting))
	// Output:
	// review HUMAN a-1/review contract.pdf <nil>
	// true
}

// CompleteTask completes a waiting task with the output given, which later tasks and the
// run's outputParameters see.
func ExampleHandle_CompleteTask() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, map[string]any{"doc": "q3-report"})
	_, _ = h.AwaitTask(ctx, "review")
	err := h.CompleteTask(ctx, "review", map[string]any{"approved": true, "note": "ship it"})
	fmt.Println(err)
	run, _ := h.Wait(ctx)
	review, _ := run.Task("review")
	fmt.Println(review.Status, run.Status, run.Output["approved"], run.Output["note"])
	// Output:
	// <nil>
	// COMPLETED COMPLETED true ship it
}

// Done is closed when the execution ends: a select tells whether it still runs.
func ExampleHandle_Done() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, nil)
	_, _ = h.AwaitTask(ctx, "review")
	ended := func() bool {
		select {
		case <-h.Done():
			return true
		default:
			return false
		}
	}
	fmt.Println("ended:", ended())
	_ = h.CompleteTask(ctx, "review", nil)
	<-h.Done()
	fmt.Println("ended:", ended())
	// Output:
	// ended: false
	// ended: true
}

// ID is the workflow id given with WithWorkflowID, or else a random UUID.
func ExampleHandle_ID() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	named, _ := wf.Start(ctx, nil, conductor.WithWorkflowID("invoice-9"))
	random, _ := wf.Start(ctx, nil)
	fmt.Println(named.ID(), len(random.ID())) // wf.Close terminates both waiting runs
	// Output: invoice-9 36
}

// Workflow tells which workflow an execution found by its id runs.
func ExampleHandle_Workflow() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	_, _ = wf.Start(context.Background(), nil, conductor.WithWorkflowID("doc-3"))
	h, _ := rt.Lookup("doc-3")
	fmt.Println(h.Workflow() == wf, h.Workflow().Name())
	// Output: true approval
}
