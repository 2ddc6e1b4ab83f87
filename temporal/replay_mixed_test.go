package temporal

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/temporal/internal/fixture"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayV2WithContinueAfterInInput replays a history recorded by loop v2 whose input
// carries ContinueAfter, as a message submitted by an upgraded process (which puts its
// WithContinueAsNewAfter in the input) and run by a worker not yet upgraded (which ignores
// the field and continues as new after its own option) records it. The v2 worker's decisions
// are in the history: the current code must make the same ones, whatever the input says.
func TestReplayV2WithContinueAfterInInput(t *testing.T) {
	e, _ := testEngine(t, nil)
	p, err := baton.New(fixture.Stages(), append([]baton.Option{baton.WithEngine(e)}, fixture.Options()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, name := range []string{"v1-order-2.json", "v2-order-2.json"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "histories", name))
			if err != nil {
				t.Fatal(err)
			}
			var h map[string]any
			if err := json.Unmarshal(b, &h); err != nil {
				t.Fatal(err)
			}
			start := h["events"].([]any)[0].(map[string]any)["workflowExecutionStartedEventAttributes"].(map[string]any)
			pl := start["input"].(map[string]any)["payloads"].([]any)[0].(map[string]any)
			data, err := base64.StdEncoding.DecodeString(pl["data"].(string))
			if err != nil {
				t.Fatal(err)
			}
			var in map[string]any
			if err := json.Unmarshal(data, &in); err != nil {
				t.Fatal(err)
			}
			in["ContinueAfter"] = 1 // the submitter's option; the v2 worker's was the default
			data, _ = json.Marshal(in)
			pl["data"] = base64.StdEncoding.EncodeToString(data)
			b, _ = json.Marshal(h)
			f := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "ContinueAfter") {
				t.Fatal("input not rewritten")
			}
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(e.message, workflow.RegisterOptions{Name: WorkflowName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
