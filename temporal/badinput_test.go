package temporal

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/baton-go/baton"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// TestUndecodableWorkflowInput: a message workflow started with input that is not a message —
// the wrong JSON, a value of another type, none — fails at once with an error matching
// ErrBadInput (through WorkflowError, with baton.ErrEngine), not with the SDK's decoding error.
func TestUndecodableWorkflowInput(t *testing.T) {
	e, _ := testEngine(t, nil)
	p, err := baton.New([]baton.Stage[order]{step("a")}, baton.WithEngine(e))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for name, input := range map[string][]any{
		"a string":            {"not a message"},
		"a number":            {42},
		"an envelope string":  {map[string]any{"Env": "x"}},
		"a state of the type": {map[string]any{"Env": map[string]any{"State": 7}}},
		"no state":            {map[string]any{"Env": map[string]any{"Stage": "a"}}},
		"null":                {nil},
		"no input":            {},
	} {
		t.Run(name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflowWithOptions(e.message, workflow.RegisterOptions{Name: WorkflowName})
			env.ExecuteWorkflow(WorkflowName, input...)
			if !env.IsWorkflowCompleted() {
				t.Fatal("the workflow did not complete")
			}
			err := env.GetWorkflowError()
			if err == nil {
				t.Fatal("the workflow succeeded")
			}
			if werr := WorkflowError(err); !errors.Is(werr, ErrBadInput) || !errors.Is(werr, baton.ErrEngine) {
				t.Fatalf("error %v: want ErrBadInput and baton.ErrEngine", werr)
			}
		})
	}
}
