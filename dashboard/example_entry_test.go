package dashboard_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/baton-go/baton/dashboard"
)

// checkout is a pipeline named name, observed by d, whose "pay" stage fails on odd values.
func checkout(d *dashboard.Dashboard, name string) *baton.Pipeline[int] {
	p, err := baton.New([]baton.Stage[int]{
		baton.Func("pay", func(_ context.Context, v int) (int, error) {
			if v%2 == 1 {
				return v, fmt.Errorf("card declined for order %d", v)
			}
			return v, nil
		}),
	}, baton.WithName(name), baton.WithObserver(d.Observer()))
	if err != nil {
		panic(err)
	}
	if err := d.AddPipeline(name, p); err != nil {
		panic(err)
	}
	return p
}

// New returns a dashboard configured by its options; an invalid one is an error matching
// ErrInvalid.
func ExampleNew() {
	d, err := dashboard.New(dashboard.WithTitle("Shop"), dashboard.WithRecent(500), dashboard.WithInterval(2*time.Second))
	fmt.Println(d.State().Title, err)
	_ = d.Close()

	_, err = dashboard.New(dashboard.WithInterval(time.Millisecond), dashboard.WithRecent(-1))
	fmt.Println(errors.Is(err, dashboard.ErrInvalid))
	fmt.Println(err)
	// Output:
	// Shop <nil>
	// true
	// dashboard: invalid argument: WithInterval(1ms): below 50ms
	// WithRecent(-1): negative
}

// WithTitle names the page and State.
func ExampleWithTitle() {
	d, _ := dashboard.New(dashboard.WithTitle("Orders"))
	defer d.Close()
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(d.State().Title, strings.Contains(rec.Body.String(), "<title>Orders dashboard</title>"))
	// Output: Orders true
}

// WithRecent bounds the finished messages kept per pipeline: here the last two of five.
func ExampleWithRecent() {
	d, _ := dashboard.New(dashboard.WithRecent(2))
	defer d.Close()
	p := checkout(d, "orders")
	defer p.Close()
	for _, v := range []int{2, 4, 6, 8, 10} {
		p.Process(context.Background(), v)
	}
	m, _ := d.Messages("orders", 10)
	for _, msg := range m.Recent {
		fmt.Println(msg.ID, msg.Done, msg.Path)
	}
	// Output:
	// 5 true [pay]
	// 4 true [pay]
}

// WithFailed keeps failed messages in a ring of their own, so that a burst of successes does
// not push them out of sight.
func ExampleWithFailed() {
	d, _ := dashboard.New(dashboard.WithRecent(1), dashboard.WithFailed(1))
	defer d.Close()
	p := checkout(d, "orders")
	defer p.Close()
	for _, v := range []int{1, 3, 2, 4, 6} {
		p.Process(context.Background(), v)
	}
	m, _ := d.Messages("orders", 10)
	fmt.Println("recent:", m.Recent[0].ID, len(m.Recent))
	fmt.Println("failed:", m.Failed[0].ID, len(m.Failed), m.Failed[0].Error)
	// Output:
	// recent: 5 1
	// failed: 2 1 baton: stage "pay" failed after 1 attempt(s): card declined for order 3
}

// WithExecutions bounds the recorded executions kept per workflow: the oldest goes first.
func ExampleWithExecutions() {
	d, _ := dashboard.New(dashboard.WithExecutions(2))
	defer d.Close()
	rt, _ := conductor.New(conductor.WithEcho())
	w, _ := rt.Load([]byte(`{"name": "echo", "tasks": [{"name": "e", "taskReferenceName": "e"}]}`))
	defer w.Close()
	_ = d.AddWorkflow(w)
	for _, id := range []string{"a", "b", "c"} {
		_, _ = d.Run(context.Background(), w, nil, conductor.WithWorkflowID(id))
	}
	for _, x := range d.State().Workflows[0].Recent {
		fmt.Println(x.WorkflowID, x.Status)
	}
	_, err := d.Execution("echo/v1", "a")
	fmt.Println(errors.Is(err, dashboard.ErrUnknown))
	// Output:
	// c COMPLETED
	// b COMPLETED
	// true
}

// WithInterval sets how often api/stream sends State to an open page, as server-sent
// events; it sends one at once.
func ExampleWithInterval() {
	d, _ := dashboard.New(dashboard.WithInterval(50 * time.Millisecond))
	srv := httptest.NewServer(d)
	defer srv.Close()
	defer d.Close() // ends the stream, before the server closes
	res, err := http.Get(srv.URL + "/api/stream")
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	fmt.Println(res.Header.Get("Content-Type"))
	lines := bufio.NewScanner(res.Body)
	for events := 0; events < 2 && lines.Scan(); {
		line := lines.Text()
		if strings.HasPrefix(line, "data: ") {
			events++
			line = "data: {...}"
		}
		fmt.Println(line)
	}
	// Output:
	// text/event-stream
	// retry: 50
	// event: state
	// data: {...}
	//
	// retry: 50
	// event: state
	// data: {...}
}

// Diagram draws a definition as SVG, each task a group naming its ref, coloured by the
// status given.
func ExampleDiagram() {
	def, _ := conductor.ParseWorkflow([]byte(`{"name": "ship", "tasks": [
	  {"name": "pack", "taskReferenceName": "pack"},
	  {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param", "expression": "k",
	   "inputParameters": {"k": "${workflow.input.kind}"},
	   "decisionCases": {"express": [{"name": "fly", "taskReferenceName": "fly"}]},
	   "defaultCase": [{"name": "drive", "taskReferenceName": "drive"}]}]}`))
	svg := dashboard.Diagram(def, map[string]string{"pack": "COMPLETED", "route": "COMPLETED", "drive": "IN_PROGRESS"})
	fmt.Println(strings.HasPrefix(svg, "<svg"))
	for _, g := range regexp.MustCompile(`<g class="([^"]*)" data-ref="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		fmt.Println(g[2], g[1])
	}
	// Output:
	// true
	// pack task st-COMPLETED
	// route task st-COMPLETED
	// fly task
	// drive task st-IN_PROGRESS
}

// Close ends the live streams of open pages and refuses new ones; the rest of the dashboard
// keeps working.
func ExampleDashboard_Close() {
	d, _ := dashboard.New()
	srv := httptest.NewServer(d)
	defer srv.Close()
	res, _ := http.Get(srv.URL + "/api/stream")
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() && lines.Text() != "" { // the first event
	}
	fmt.Println(d.Close(), d.Close())
	for lines.Scan() { // the stream has ended: nothing more comes
		fmt.Println("unexpected:", lines.Text())
	}
	res.Body.Close()

	res, _ = http.Get(srv.URL + "/api/stream") // refused
	res.Body.Close()
	fmt.Println(res.StatusCode)
	res, _ = http.Get(srv.URL + "/api/state") // still served
	res.Body.Close()
	fmt.Println(res.StatusCode)
	// Output:
	// <nil> <nil>
	// 500
	// 200
}
