package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/baton-go/baton/dashboard"
)

// A pipeline fed to the dashboard through its Observer, the dashboard mounted under a prefix.
func Example() {
	d, _ := dashboard.New()
	defer d.Close()
	stages := []baton.Stage[int]{
		baton.Func("double", func(_ context.Context, v int) (int, error) { return 2 * v, nil }),
		baton.Func("check", func(_ context.Context, v int) (int, error) {
			if v > 4 {
				return v, errors.New("too big")
			}
			return v, nil
		}),
	}
	p, _ := baton.New(stages, baton.WithName("numbers"), baton.WithObserver(d.Observer()))
	defer p.Close()
	d.AddPipeline("numbers", p)
	for i := 1; i <= 3; i++ {
		p.Process(context.Background(), i)
	}

	mux := http.NewServeMux()
	mux.Handle("/debug/baton/", http.StripPrefix("/debug/baton", d))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, _ := http.Get(srv.URL + "/debug/baton/api/state")
	res.Body.Close()
	fmt.Println(res.Status)
	for _, e := range d.State().Pipelines[0].Edges {
		fmt.Printf("%s → %s: %d\n", e.From, e.To, e.Count)
	}
	// Output:
	// 200 OK
	// check → ✓ done: 2
	// check → ✗ failed: 1
	// double → check: 3
	// ▶ in → double: 3
}

// Messages are found by their key; their timeline says what happened.
func ExampleDashboard_Find() {
	d, _ := dashboard.New()
	defer d.Close()
	p, _ := baton.New([]baton.Stage[string]{
		baton.Func("greet", func(_ context.Context, v string) (string, error) { return "hello " + v, nil }),
	}, baton.WithName("greeter"), baton.WithObserver(d.Observer()), baton.WithKey(func(v string) string { return v }))
	defer p.Close()
	d.AddPipeline("greeter", p)
	r := p.ProcessResult(context.Background(), "ada")
	dashboard.RecordResult(d, "greeter", r)

	found, _ := d.Find("greeter", 0, "ada", 10)
	m := found[0]
	fmt.Println(m.ID, m.Key, m.Value, m.Path)
	for _, s := range m.Timeline {
		fmt.Println(strings.TrimSpace(s.Kind + " " + s.Stage + " " + s.Outcome))
	}
	// Output:
	// 1 ada hello ada [greet]
	// step started greet
	// step ended greet succeeded
	// message finished
}

// RecordResult attaches a message's final value to what the dashboard shows of it.
func ExampleRecordResult() {
	d, _ := dashboard.New()
	defer d.Close()
	p, _ := baton.New([]baton.Stage[int]{baton.Func("inc", func(_ context.Context, v int) (int, error) { return v + 1, nil })},
		baton.WithName("inc"), baton.WithObserver(d.Observer()))
	defer p.Close()
	d.AddPipeline("inc", p)
	fmt.Println(dashboard.RecordResult(d, "inc", p.ProcessResult(context.Background(), 41)))
	m, _ := d.Messages("inc", 10)
	fmt.Println(m.Recent[0].Value)
	// Output:
	// true
	// 42
}

// A Conductor workflow: its running executions through the Observer, its finished ones
// recorded by Run, and its definition as a diagram.
func ExampleDashboard_AddWorkflow() {
	d, _ := dashboard.New()
	defer d.Close()
	rt, _ := conductor.New(
		conductor.WithWorker("hello", func(_ context.Context, in map[string]any) (map[string]any, error) {
			return map[string]any{"greeting": fmt.Sprint("hello ", in["name"])}, nil
		}),
		conductor.WithPipelineOptions(baton.WithObserver(d.Observer())))
	w, _ := rt.Load([]byte(`{"name": "greet", "version": 1, "tasks": [
		{"name": "hello", "taskReferenceName": "hello", "inputParameters": {"name": "${workflow.input.name}"}}]}`))
	defer w.Close()
	d.AddWorkflow(w)
	d.Run(context.Background(), w, map[string]any{"name": "ada"}, conductor.WithWorkflowID("run-1"))

	x, _ := d.Execution("greet/v1", "run-1")
	fmt.Println(x.Status, x.Path, x.Tasks[0].Output["greeting"])
	fmt.Println(strings.Contains(dashboard.Diagram(w.Definition(), nil), `data-ref="hello"`))
	// Output:
	// COMPLETED [hello] hello ada
	// true
}

// RecordExecution keeps an execution the program ran itself.
func ExampleDashboard_RecordExecution() {
	d, _ := dashboard.New(dashboard.WithExecutions(10))
	defer d.Close()
	rt, _ := conductor.New(conductor.WithEcho())
	w, _ := rt.Load([]byte(`{"name": "echo", "tasks": [{"name": "e", "taskReferenceName": "e"}]}`))
	defer w.Close()
	d.AddWorkflow(w)
	e, _ := w.Run(context.Background(), map[string]any{"x": 1}, conductor.WithWorkflowID("id-1"))
	fmt.Println(d.RecordExecution(e), d.State().Workflows[0].Recent[0].WorkflowID)
	// Output: <nil> id-1
}

// Actions are refused unless enabled.
func ExampleWithActions() {
	ro, _ := dashboard.New()
	defer ro.Close()
	rec := httptest.NewRecorder()
	ro.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/complete", nil))
	fmt.Println(rec.Code)
	// Output: 403
}
