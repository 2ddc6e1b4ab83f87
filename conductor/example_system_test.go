package conductor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/baton-go/baton/conductor"
)

const approval = `{"name": "approval", "version": 1, "tasks": [
  {"name": "review", "taskReferenceName": "review", "type": "HUMAN", "inputParameters": {"doc": "${workflow.input.doc}"}},
  {"name": "publish", "taskReferenceName": "publish", "type": "NOOP"}
], "outputParameters": {"approved": "${review.output.approved}", "note": "${review.output.note}"}}`

// Start a run, wait for its HUMAN task to be pending, complete it from outside, and wait for
// the end.
func ExampleWorkflow_Start() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, map[string]any{"doc": "q3-report"}, conductor.WithWorkflowID("run-1"))
	task, _ := h.AwaitTask(ctx, "review")
	fmt.Println(task.Type, task.Input["doc"])
	_ = h.CompleteTask(ctx, "review", map[string]any{"approved": true})
	run, err := h.Wait(ctx)
	fmt.Println(run.Status, run.Output["approved"], err)
	// Output:
	// HUMAN q3-report
	// COMPLETED true <nil>
}

// Find a running execution by its workflow id, as another part of a program (an HTTP handler
// receiving a reviewer's answer) would.
func ExampleRuntime_Lookup() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	_, _ = wf.Start(ctx, nil, conductor.WithWorkflowID("order-42"))

	h, err := rt.Lookup("order-42")
	if err != nil {
		panic(err)
	}
	_, _ = h.AwaitTask(ctx, "review")
	_ = h.CompleteTask(ctx, "review", map[string]any{"approved": false})
	run, _ := h.Wait(ctx)
	fmt.Println(h.ID(), run.Status, run.Output["approved"])
	_, err = rt.Lookup("order-43")
	fmt.Println(errors.Is(err, conductor.ErrNoExecution))
	// Output:
	// order-42 COMPLETED false
	// true
}

// IN_PROGRESS updates add to a waiting task's output without completing it.
func ExampleHandle_UpdateTask() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, nil)
	_, _ = h.AwaitTask(ctx, "review")
	_ = h.UpdateTask(ctx, conductor.TaskUpdate{Ref: "review", Status: conductor.UpdateInProgress, Output: map[string]any{"note": "looks fine"}})
	fmt.Println(h.Pending()[0].Output["note"])
	_ = h.UpdateTask(ctx, conductor.TaskUpdate{Ref: "review", Status: conductor.UpdateCompleted, Output: map[string]any{"approved": true}})
	run, _ := h.Wait(ctx)
	fmt.Println(run.Output["approved"], run.Output["note"])
	err := h.CompleteTask(ctx, "review", nil) // it has ended
	fmt.Println(errors.Is(err, conductor.ErrNotWaiting))
	// Output:
	// looks fine
	// true looks fine
	// true
}

// A failed update fails the task, and the run with it.
func ExampleHandle_FailTask() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, nil)
	_, _ = h.AwaitTask(ctx, "review")
	_ = h.FailTask(ctx, "review", "rejected by legal")
	run, err := h.Wait(ctx)
	fmt.Println(run.Status, errors.Is(err, conductor.ErrTaskFailed))
	fmt.Println(strings.Contains(run.Reason, "rejected by legal"))
	// Output:
	// FAILED true
	// true
}

// Pending lists the tasks waiting for an update: here a WAIT without duration, which waits
// for a signal.
func ExampleHandle_Pending() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(`{"name": "signal", "tasks": [{"name": "s", "taskReferenceName": "signal", "type": "WAIT"}]}`))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, nil, conductor.WithWorkflowID("w-1"))
	_, _ = h.AwaitTask(ctx, "signal")
	for _, p := range h.Pending() {
		fmt.Println(p.Ref, p.Type, p.TaskID)
	}
	_ = h.CompleteTask(ctx, "signal", nil)
	<-h.Done()
	fmt.Println(len(h.Pending()))
	// Output:
	// signal WAIT w-1/signal
	// 0
}

// Orkes' AI task types, or any type of one's own, run with a registered handler.
func ExampleWithTaskHandler() {
	chat := func(_ context.Context, t *conductor.TaskRequest) (map[string]any, error) {
		return map[string]any{"result": "echo: " + t.Input["prompt"].(string)}, nil // call a model here
	}
	def := `{"name": "ask", "tasks": [{"name": "chat", "taskReferenceName": "chat", "type": "LLM_CHAT_COMPLETE",
	  "inputParameters": {"llmProvider": "openai", "model": "gpt-4o", "prompt": "${workflow.input.q}"}}],
	  "outputParameters": {"answer": "${chat.output.result}"}}`

	rt, _ := conductor.New()
	_, err := rt.Load([]byte(def))
	fmt.Println(errors.Is(err, conductor.ErrNoHandler))

	rt, _ = conductor.New(conductor.WithTaskHandler("LLM_CHAT_COMPLETE", chat))
	wf, _ := rt.Load([]byte(def))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"q": "hello"})
	fmt.Println(run.Output["answer"])
	// Output:
	// true
	// echo: hello
}

// EVENT tasks publish to the sink given.
func ExampleWithEventSink() {
	sink := func(_ context.Context, e *conductor.Event) error {
		fmt.Println(e.Queue, e.Payload["orderId"], e.Payload["workflowType"])
		return nil // publish to a broker here
	}
	rt, _ := conductor.New(conductor.WithEventSink(sink))
	wf, _ := rt.Load([]byte(`{"name": "orders", "tasks": [{"name": "notify", "taskReferenceName": "notify", "type": "EVENT",
	  "sink": "conductor", "inputParameters": {"orderId": "${workflow.input.id}"}}]}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"id": "o-7"})
	fmt.Println(run.Status)
	// Output:
	// conductor:orders:notify o-7 orders
	// COMPLETED
}

// HTTP tasks use the client given (here, against a test server).
func ExampleWithHTTPClient() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, `{"got": %q, "auth": %q}`, body, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	rt, _ := conductor.New(conductor.WithHTTPClient(srv.Client()))
	wf, _ := rt.Load([]byte(`{"name": "call", "tasks": [{"name": "post", "taskReferenceName": "post", "type": "HTTP",
	  "inputParameters": {"uri": "${workflow.input.url}", "method": "POST", "headers": {"Authorization": "Bearer t"}, "body": {"n": 1}}}],
	  "outputParameters": {"status": "${post.output.response.statusCode}", "body": "${post.output.response.body}"}}`))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"url": srv.URL})
	fmt.Println(run.Status, run.Output["status"], run.Output["body"])
	// Output:
	// COMPLETED 200 map[auth:Bearer t got:{"n":1}]
}

// A dynamic fork wider than the limit fails before starting any task.
func ExampleWithMaxForkWidth() {
	rt, _ := conductor.New(conductor.WithEcho(), conductor.WithMaxForkWidth(2))
	wf, _ := rt.Load([]byte(`{"name": "fan", "tasks": [
	  {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN_DYNAMIC", "dynamicForkTasksParam": "t", "dynamicForkTasksInputParamName": "i",
	   "inputParameters": {"t": "${workflow.input.tasks}", "i": {}}},
	  {"name": "j", "taskReferenceName": "j", "type": "JOIN"}]}`))
	defer wf.Close()
	var tasks []any
	for i := range 3 {
		tasks = append(tasks, map[string]any{"name": "work", "taskReferenceName": fmt.Sprint("w", i)})
	}
	run, err := wf.Run(context.Background(), map[string]any{"tasks": tasks})
	fmt.Println(run.Status, errors.Is(err, conductor.ErrLimit))
	// Output:
	// FAILED true
}

// A script whose output is larger than the limit fails its task.
func ExampleWithMaxOutputSize() {
	rt, _ := conductor.New(conductor.WithJavaScript(listJS{}), conductor.WithMaxOutputSize(1<<10))
	wf, _ := rt.Load([]byte(`{"name": "big", "tasks": [{"name": "s", "taskReferenceName": "s", "type": "INLINE",
	  "inputParameters": {"evaluatorType": "javascript", "expression": "a big list"}}]}`))
	defer wf.Close()
	run, err := wf.Run(context.Background(), nil)
	fmt.Println(run.Status, errors.Is(err, conductor.ErrLimit))
	// Output:
	// FAILED true
}

// listJS is a JavaScript engine whose every program returns a list of 1000 strings.
type listJS struct{}

func (listJS) CompileJavaScript(string) (conductor.Program, error) { return listJS{}, nil }

func (listJS) Run(context.Context, any) (any, error) {
	out := make([]any, 1000)
	for i := range out {
		out[i] = "item"
	}
	return out, nil
}

// At most two runs wait at the HUMAN task at once; a third queues for it.
func ExampleWithMaxWaiting() {
	rt, _ := conductor.New(conductor.WithMaxWaiting(2))
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	var hs []*conductor.Handle
	for i := range 3 {
		h, _ := wf.Start(ctx, nil, conductor.WithWorkflowID(fmt.Sprint("r", i)))
		hs = append(hs, h)
	}
	var wg sync.WaitGroup
	for _, h := range hs { // each completes once it waits; which two wait first is a race
		wg.Go(func() {
			_, _ = h.AwaitTask(ctx, "review")
			_ = h.CompleteTask(ctx, "review", map[string]any{"approved": true})
		})
	}
	wg.Wait()
	for _, h := range hs {
		run, _ := h.Wait(ctx)
		fmt.Println(h.ID(), run.Status)
	}
	// Unordered output:
	// r0 COMPLETED
	// r1 COMPLETED
	// r2 COMPLETED
}

// Lookup finds the last finished runs too, as many as kept.
func ExampleWithRetainedRuns() {
	rt, _ := conductor.New(conductor.WithEcho(), conductor.WithRetainedRuns(1))
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	for _, id := range []string{"a", "b"} {
		_, _ = wf.Run(context.Background(), map[string]any{"fileLocation": "f.mov"}, conductor.WithWorkflowID(id))
	}
	_, errA := rt.Lookup("a")
	hb, errB := rt.Lookup("b")
	run, _ := hb.Wait(context.Background())
	fmt.Println(errors.Is(errA, conductor.ErrNoExecution), errB, run.Status)
	// Output:
	// true <nil> COMPLETED
}

// Wait honours its context: the run goes on when it gives up.
func ExampleHandle_Wait() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	h, _ := wf.Start(context.Background(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Wait(ctx)
	fmt.Println(err)
	_, _ = h.AwaitTask(context.Background(), "review")
	_ = h.CompleteTask(context.Background(), "review", nil)
	run, _ := h.Wait(context.Background())
	fmt.Println(run.Status)
	// Output:
	// context canceled
	// COMPLETED
}
