package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/baton-go/baton/dashboard"
)

// review is a workflow whose HUMAN task "approve" waits for an update.
const review = `{"name": "review", "version": 1, "tasks": [
  {"name": "check", "taskReferenceName": "check", "type": "NOOP"},
  {"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}]}`

// reviewWorkflow loads review with d's Observer, so that its running executions show, and
// adds it to d.
func reviewWorkflow(d *dashboard.Dashboard) *conductor.Workflow {
	rt, _ := conductor.New(conductor.WithPipelineOptions(baton.WithObserver(d.Observer())))
	w, err := rt.Load([]byte(review))
	if err != nil {
		panic(err)
	}
	if err := d.AddWorkflow(w); err != nil {
		panic(err)
	}
	return w
}

// AddPipeline shows a pipeline under the name it was built with; a name is added once.
func ExampleDashboard_AddPipeline() {
	d, _ := dashboard.New()
	defer d.Close()
	p, _ := baton.New([]baton.Stage[string]{
		baton.Func("parse", func(_ context.Context, s string) (string, error) { return s, nil }),
		baton.Func("store", func(_ context.Context, s string) (string, error) { return s, nil }),
	}, baton.WithName("ingest"), baton.WithObserver(d.Observer()))
	defer p.Close()
	fmt.Println(d.AddPipeline("ingest", p))
	err := d.AddPipeline("ingest", p)
	fmt.Println(errors.Is(err, dashboard.ErrDuplicate))
	p.Process(context.Background(), "line 1")
	for _, ps := range d.State().Pipelines {
		fmt.Println(ps.Name, ps.Strategy, len(ps.Stages), ps.Stages[1].Name, ps.Stages[1].Processed)
	}
	// Output:
	// <nil>
	// true
	// ingest orchestrated 2 store 1
}

// Observer feeds the dashboard a pipeline's events: the hand-offs and the messages. A
// pipeline built without it shows its Stats only.
func ExampleDashboard_Observer() {
	d, _ := dashboard.New()
	defer d.Close()
	stage := baton.Func("work", func(_ context.Context, v int) (int, error) { return v, nil })
	seen, _ := baton.New([]baton.Stage[int]{stage}, baton.WithName("seen"), baton.WithObserver(d.Observer()))
	defer seen.Close()
	unseen, _ := baton.New([]baton.Stage[int]{stage}, baton.WithName("unseen"))
	defer unseen.Close()
	_ = d.AddPipeline("seen", seen)
	_ = d.AddPipeline("unseen", unseen)
	for i := range 3 {
		seen.Process(context.Background(), i)
		unseen.Process(context.Background(), i)
	}
	for _, ps := range d.State().Pipelines {
		m, _ := d.Messages(ps.Name, 10)
		fmt.Println(ps.Name, ps.Stages[0].Processed, len(ps.Edges), len(m.Recent))
	}
	// Output:
	// seen 3 2 3
	// unseen 3 0 0
}

// Messages lists a pipeline's messages, newest first, each with its timeline.
func ExampleDashboard_Messages() {
	d, _ := dashboard.New()
	defer d.Close()
	p := checkout(d, "orders")
	defer p.Close()
	for _, v := range []int{2, 3, 4} {
		p.Process(context.Background(), v)
	}
	m, _ := d.Messages("orders", 10)
	fmt.Println(m.Pipeline, len(m.InFlight), len(m.Recent), len(m.Failed))
	for _, msg := range m.Recent {
		fmt.Println("recent", msg.ID, msg.Path, len(msg.Timeline))
	}
	fmt.Println("failed", m.Failed[0].ID, m.Failed[0].Timeline[1].Outcome)
	_, err := d.Messages("nope", 10)
	fmt.Println(errors.Is(err, dashboard.ErrUnknown))
	// Output:
	// orders 0 2 1
	// recent 3 [pay] 3
	// recent 1 [pay] 3
	// failed 2 failed
	// true
}

// Run runs a workflow and records its execution, which Execution and State then show.
func ExampleDashboard_Run() {
	d, _ := dashboard.New()
	defer d.Close()
	rt, _ := conductor.New(conductor.WithEcho())
	w, _ := rt.Load([]byte(`{"name": "greet", "version": 2, "tasks": [{"name": "hello", "taskReferenceName": "hello",
	  "inputParameters": {"who": "${workflow.input.who}"}}]}`))
	defer w.Close()
	_ = d.AddWorkflow(w)
	e, err := d.Run(context.Background(), w, map[string]any{"who": "ada"}, conductor.WithWorkflowID("g-1"))
	fmt.Println(e.Status, err)
	x, _ := d.Execution("greet/v2", "g-1")
	fmt.Println(x.Status, x.Running, x.Tasks[0].Ref, x.Tasks[0].Output["who"])
	fmt.Println(d.State().Workflows[0].Recent[0].WorkflowID)
	// Output:
	// COMPLETED <nil>
	// COMPLETED false hello ada
	// g-1
}

// Start starts an execution the dashboard follows: while it runs, Execution shows its path
// and its waiting tasks; once it has ended, its record.
func ExampleDashboard_Start() {
	d, _ := dashboard.New()
	defer d.Close()
	w := reviewWorkflow(d)
	defer w.Close()
	ctx := context.Background()
	h, _ := d.Start(ctx, w, nil, conductor.WithWorkflowID("r-1"))
	_, _ = h.AwaitTask(ctx, "approve")
	x, _ := d.Execution("review/v1", "r-1")
	fmt.Println(x.Status, x.Running, x.Path, x.Pending[0].Ref, x.Pending[0].Type)

	_ = h.CompleteTask(ctx, "approve", map[string]any{"ok": true})
	_, _ = h.Wait(ctx)
	x, _ = d.Execution("review/v1", "r-1")
	fmt.Println(x.Status, x.Running, x.Path, x.Output["ok"])
	// Output:
	// RUNNING true [check approve] approve HUMAN
	// COMPLETED false [check approve] true
}

// Execution finds an execution by its workflow's "name/vN" and its workflow id.
func ExampleDashboard_Execution() {
	d, _ := dashboard.New()
	defer d.Close()
	w := reviewWorkflow(d)
	defer w.Close()
	ctx := context.Background()
	h, _ := d.Start(ctx, w, map[string]any{"doc": "plan.md"}, conductor.WithWorkflowID("r-2"))
	_, _ = h.AwaitTask(ctx, "approve")
	_ = h.FailTask(ctx, "approve", "not yet")
	_, _ = h.Wait(ctx)
	x, err := d.Execution("review/v1", "r-2")
	fmt.Println(x.Workflow, x.WorkflowID, x.Status, x.Input["doc"], err)
	for _, t := range x.Tasks {
		fmt.Println(" ", t.Ref, t.Type, t.Status)
	}
	_, err = d.Execution("review/v1", "r-3")
	fmt.Println(errors.Is(err, dashboard.ErrUnknown))
	// Output:
	// review/v1 r-2 FAILED plan.md <nil>
	//   check NOOP COMPLETED
	//   approve HUMAN FAILED
	// true
}

// State is a snapshot of every pipeline and workflow, as api/state serves it.
func ExampleDashboard_State() {
	d, _ := dashboard.New(dashboard.WithTitle("Ops"))
	defer d.Close()
	p := checkout(d, "orders")
	defer p.Close()
	p.Process(context.Background(), 2)
	w := reviewWorkflow(d)
	defer w.Close()

	st := d.State()
	fmt.Println(st.Title, st.Actions)
	for _, ps := range st.Pipelines {
		fmt.Println("pipeline", ps.Name, ps.Timed, ps.Stages[0].Name, ps.Stages[0].Processed)
	}
	for _, ws := range st.Workflows {
		fmt.Println("workflow", ws.Name, ws.Levels, len(ws.Tasks), ws.Tasks[1].Type)
	}
	// Output:
	// Ops false
	// pipeline orders true pay 1
	// workflow review/v1 [review/v1] 2 HUMAN
}

// ServeHTTP serves the page and its JSON API; here called directly with httptest.
func ExampleDashboard_ServeHTTP() {
	d, _ := dashboard.New()
	defer d.Close()
	w := reviewWorkflow(d)
	defer w.Close()
	get := func(method, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		return rec
	}
	rec := get(http.MethodGet, "/")
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	rec = get(http.MethodGet, "/api/state")
	var st dashboard.State
	_ = json.Unmarshal(rec.Body.Bytes(), &st)
	fmt.Println(rec.Code, st.Workflows[0].Name)
	rec = get(http.MethodGet, "/api/diagram.svg?workflow=review/v1")
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	rec = get(http.MethodGet, "/api/execution?workflow=review/v1&id=nope")
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	rec = get(http.MethodDelete, "/api/state")
	fmt.Println(rec.Code)
	// Output:
	// 200 text/html; charset=utf-8
	// 200 review/v1
	// 200 image/svg+xml
	// 404 {"error":"dashboard: not found: execution \"nope\""}
	// 405
}
