package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// orderFlow is a workflow with a SWITCH, a FORK_JOIN and its JOIN, and a task whose reference
// name is hostile.
const orderFlow = `{
  "name": "order_flow", "version": 2,
  "tasks": [
    {"name": "check", "taskReferenceName": "check", "type": "SIMPLE", "inputParameters": {"order": "${workflow.input.order}"}},
    {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param",
     "expression": "kind", "inputParameters": {"kind": "${workflow.input.kind}"},
     "decisionCases": {"express": [{"name": "fly", "taskReferenceName": "fly", "type": "SIMPLE"}]},
     "defaultCase": [{"name": "truck", "taskReferenceName": "truck", "type": "SIMPLE"}]},
    {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
      [{"name": "bill", "taskReferenceName": "bill", "type": "SIMPLE"}],
      [{"name": "mail", "taskReferenceName": "HOSTILE", "type": "SIMPLE"}]]},
    {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["bill", "HOSTILE"]}
  ]
}`

func hostileDef(t testing.TB) []byte {
	b, err := jsonString(hostile)
	require.NoError(t, err)
	return []byte(strings.ReplaceAll(orderFlow, `"HOSTILE"`, b))
}

// workflow compiles orderFlow under strategy s with the dashboard's observer; the worker "bill"
// calls hold, when set, before it returns.
func workflow(t testing.TB, d *Dashboard, s baton.Strategy, hold func(ctx context.Context) error) *conductor.Workflow {
	t.Helper()
	echo := func(name string) conductor.Worker {
		return func(ctx context.Context, in map[string]any) (map[string]any, error) {
			if name == "bill" && hold != nil {
				if err := hold(ctx); err != nil {
					return nil, err
				}
			}
			if in["order"] == "bad" {
				return nil, errors.New("rejected: " + hostile)
			}
			return map[string]any{"by": name, "echo": in["order"]}, nil
		}
	}
	rt, err := conductor.New(conductor.WithStrategy(s),
		conductor.WithWorker("check", echo("check")), conductor.WithWorker("fly", echo("fly")),
		conductor.WithWorker("truck", echo("truck")), conductor.WithWorker("bill", echo("bill")),
		conductor.WithWorker("mail", echo("mail")),
		conductor.WithPipelineOptions(baton.WithObserver(d.Observer())))
	require.NoError(t, err)
	w, err := rt.Load(hostileDef(t))
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	require.NoError(t, d.AddWorkflow(w))
	return w
}

// Finished executions show their path and each task's status, input and output; a failed
// one its reason.
func TestWorkflowExecutions(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			d := newDashboard(t)
			w := workflow(t, d, s, nil)
			ctx := context.Background()
			_, err := d.Run(ctx, w, map[string]any{"order": hostile, "kind": "express"}, conductor.WithWorkflowID("ok-1"))
			require.NoError(t, err)
			_, err = d.Run(ctx, w, map[string]any{"order": "bad"}, conductor.WithWorkflowID("bad-1"))
			require.ErrorIs(t, err, conductor.ErrTaskFailed)

			x, err := d.Execution("order_flow/v2", "ok-1")
			require.NoError(t, err)
			assert.Equal(t, "COMPLETED", x.Status)
			assert.False(t, x.Running)
			assert.Equal(t, []string{"check", "route", "fly", "fork", "bill", hostile, "join"}, x.Path)
			assert.Equal(t, hostile, x.Input["order"])
			fly := x.Tasks[2]
			assert.Equal(t, "fly", fly.Ref)
			assert.Equal(t, "COMPLETED", fly.Status)
			assert.Equal(t, map[string]any{"by": "fly", "echo": nil}, fly.Output)
			assert.Equal(t, hostile, x.Tasks[0].Input["order"])

			x, err = d.Execution("order_flow/v2", "bad-1")
			require.NoError(t, err)
			assert.Equal(t, "FAILED", x.Status)
			assert.Contains(t, x.Reason, hostile)
			assert.Equal(t, "FAILED", x.Tasks[0].Status)

			st := d.State()
			require.Len(t, st.Workflows, 1)
			ws := st.Workflows[0]
			assert.Equal(t, "order_flow/v2", ws.Name)
			assert.Equal(t, []ExecutionSummary{{"bad-1", "FAILED", x.Reason}, {"ok-1", "COMPLETED", ""}}, ws.Recent)
			task := func(ref string) TaskState {
				for _, ts := range ws.Tasks {
					if ts.Ref == ref {
						return ts
					}
				}
				t.Fatalf("no task %q", ref)
				return TaskState{}
			}
			assert.Equal(t, int64(1), task("check").Processed)
			assert.Equal(t, int64(1), task("check").Failed)
			assert.Equal(t, int64(1), task(hostile).Processed)

			_, err = d.Execution("order_flow/v2", "nope")
			assert.ErrorIs(t, err, ErrUnknown)
			assert.ErrorIs(t, d.AddWorkflow(w), ErrDuplicate)
		})
	}
}

// A running execution shows, through the observer's events, the path it has taken so far and
// the task it is in.
func TestRunningExecution(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			d := newDashboard(t)
			in, release := make(chan struct{}), make(chan struct{})
			w := workflow(t, d, s, func(ctx context.Context) error {
				close(in)
				<-release
				return nil
			})
			done := make(chan error)
			go func() {
				_, err := d.Run(context.Background(), w, map[string]any{"order": "o"}, conductor.WithWorkflowID("run-1"))
				done <- err
			}()
			<-in
			ws := d.State().Workflows[0]
			assert.Equal(t, []ExecutionSummary{{WorkflowID: "run-1", Status: "RUNNING"}}, ws.Running)
			x, err := d.Execution("order_flow/v2", "run-1")
			require.NoError(t, err)
			assert.True(t, x.Running)
			assert.Equal(t, []string{"check", "route", "truck", "fork"}, x.Path)
			assert.Equal(t, "COMPLETED", x.Tasks[0].Status)
			assert.Equal(t, "IN_PROGRESS", x.Tasks[3].Status, "the fork waits for its branches")
			close(release)
			require.NoError(t, <-done)
			x, err = d.Execution("order_flow/v2", "run-1")
			require.NoError(t, err)
			assert.False(t, x.Running)
			assert.Equal(t, "COMPLETED", x.Status)
		})
	}
}

// The diagram is well-formed SVG with a node per task, coloured by an execution's statuses,
// and every text of the definition escaped.
func TestDiagram(t *testing.T) {
	def, err := conductor.ParseWorkflow(hostileDef(t))
	require.NoError(t, err)
	def.Tasks = append(def.Tasks, &conductor.WorkflowTask{Name: "loop", TaskReferenceName: "loop", Type: conductor.TypeDoWhile,
		LoopCondition: hostile, LoopOver: []*conductor.WorkflowTask{{Name: "again", TaskReferenceName: "again"}}})
	svg := Diagram(def, map[string]string{"check": "COMPLETED", "route": "FAILED", hostile: `"><script>`})
	xmlWellFormed(t, svg)
	assert.NotContains(t, svg, "<script")
	assert.NotContains(t, svg, "<img")
	for _, ref := range []string{"check", "route", "fly", "truck", "fork", "bill", "join", "loop", "again"} {
		assert.Contains(t, svg, fmt.Sprintf(`data-ref="%s"`, ref))
	}
	assert.Contains(t, svg, `class="task st-COMPLETED" data-ref="check"`)
	assert.Contains(t, svg, `class="task st-FAILED" data-ref="route"`)
	assert.Contains(t, svg, `class="loop"`, "the loop's frame")
	assert.Contains(t, svg, `class="edge back arrow"`, "the loop's arrow back")
	assert.Contains(t, svg, `>express</text>`, "the switch's case")
	assert.Contains(t, svg, `>branch 2</text>`, "the fork's branch")
}

// A waiting HUMAN task of an execution started by Start is completed from the page's action,
// with an output, when actions are enabled; the execution then ends and is recorded.
func TestCompleteWaitingTask(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			d := newDashboard(t, WithActions())
			rt, err := conductor.New(conductor.WithStrategy(s), conductor.WithPipelineOptions(baton.WithObserver(d.Observer())))
			require.NoError(t, err)
			w, err := rt.Load([]byte(`{"name": "approve", "version": 1, "tasks": [
				{"name": "ask", "taskReferenceName": "ask", "type": "HUMAN", "inputParameters": {"who": "${workflow.input.who}"}}],
				"outputParameters": {"ok": "${ask.output.approved}"}}`))
			require.NoError(t, err)
			defer w.Close()
			require.NoError(t, d.AddWorkflow(w))
			h, err := d.Start(context.Background(), w, map[string]any{"who": hostile}, conductor.WithWorkflowID("ap-1"))
			require.NoError(t, err)
			_, err = h.AwaitTask(context.Background(), "ask")
			require.NoError(t, err)

			x, err := d.Execution("approve/v1", "ap-1")
			require.NoError(t, err)
			require.True(t, x.Running)
			require.Len(t, x.Pending, 1)
			assert.Equal(t, "HUMAN", x.Pending[0].Type)
			assert.Equal(t, hostile, x.Pending[0].Input["who"])

			post := func(query, body string) (int, string) {
				req := httptest.NewRequest(http.MethodPost, "/api/complete?"+query, strings.NewReader(body))
				req.Header.Set(actionHeader, "1")
				rec := httptest.NewRecorder()
				d.ServeHTTP(rec, req)
				return rec.Code, rec.Body.String()
			}
			code, body := post("workflow=approve/v1&id=ap-1&task=ask&status=COMPLETED", `[1]`)
			assert.Equal(t, http.StatusBadRequest, code, body)
			code, body = post("workflow=approve/v1&id=ap-1&task=nope&status=COMPLETED", ``)
			assert.Equal(t, http.StatusConflict, code, body)
			code, body = post("workflow=approve/v1&id=ap-1&task=ask&status=COMPLETED", `{"approved": true}`)
			require.Equal(t, http.StatusOK, code, body)
			e, err := h.Wait(context.Background())
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"ok": true}, e.Output)
			st := d.State() // records the ended execution
			assert.Equal(t, []ExecutionSummary{{WorkflowID: "ap-1", Status: "COMPLETED"}}, st.Workflows[0].Recent)
			x, err = d.Execution("approve/v1", "ap-1")
			require.NoError(t, err)
			assert.Equal(t, "COMPLETED", x.Status)
			assert.Equal(t, map[string]any{"approved": true}, x.Tasks[0].Output)
			code, _ = post("workflow=approve/v1&id=ap-1&task=ask&status=COMPLETED", ``)
			assert.Equal(t, http.StatusNotFound, code, "no longer running")
		})
	}
}
