package temporal

import (
	"context"
	"errors"
	"go.temporal.io/sdk/log"
	"log/slog"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// testEngine returns an engine whose messages' workflows run on the SDK's test environment
// (in this process, on its virtual clock for the workflow's timers), each in an environment of
// its own, and counts the workflow runs (continue-as-new makes more than one per message).
// setup, when set, is given each environment before its workflow runs.
func testEngine(t *testing.T, setup func(*testsuite.TestWorkflowEnvironment), opts ...Option) (*Engine, *atomic.Int64) {
	t.Helper()
	o := newOptions(append([]Option{WithoutWorker(), WithOrigin("test")}, opts...))
	if err := o.err(); err != nil {
		t.Fatal(err)
	}
	e := newEngine(nil, o)
	var runs atomic.Int64
	e.start = func(_ context.Context, so client.StartWorkflowOptions, in messageInput) (client.WorkflowRun, error) {
		return &testRun{t: t, e: e, id: so.ID, in: in, setup: setup, runs: &runs}, nil
	}
	return e, &runs
}

// testRun is a workflow run on the test environment: Get runs it, and its continuations.
type testRun struct {
	t     *testing.T
	e     *Engine
	id    string
	in    messageInput
	setup func(*testsuite.TestWorkflowEnvironment)
	runs  *atomic.Int64
}

func (r *testRun) GetID() string                  { return r.id }
func (r *testRun) GetRunID() string               { return "" }
func (r *testRun) GetFirstExecutionRunID() string { return "" }

func (r *testRun) Get(ctx context.Context, valuePtr any) error {
	return r.GetWithOptions(ctx, valuePtr, client.WorkflowRunGetOptions{})
}

func (r *testRun) GetWithOptions(_ context.Context, valuePtr any, _ client.WorkflowRunGetOptions) error {
	in := r.in
	for {
		r.runs.Add(1)
		var s testsuite.WorkflowTestSuite
		s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
		env := s.NewTestWorkflowEnvironment()
		env.RegisterWorkflowWithOptions(r.e.message, workflow.RegisterOptions{Name: WorkflowName})
		env.RegisterActivityWithOptions(r.e.step, activity.RegisterOptions{Name: ActivityName})
		if r.setup != nil {
			r.setup(env)
		}
		env.ExecuteWorkflow(WorkflowName, in)
		if !env.IsWorkflowCompleted() {
			return errors.New("the workflow did not complete")
		}
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			in = messageInput{}
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		return env.GetWorkflowResult(valuePtr)
	}
}
