package temporal

import (
	"path/filepath"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/temporal/internal/fixture"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplay replays the workflow histories recorded against a real server
// (testdata/histories, recorded by the e2e module's TestRecordHistories) with the current
// workflow code: a change that would make a recorded message's workflow decide differently —
// one not guarded by workflow.GetVersion — fails it with a nondeterminism error. The files
// are named by the loop version that recorded them (v1-*, v2-*): each version's are kept.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	e, _ := testEngine(t, nil)
	p, err := baton.New(fixture.Stages(), append([]baton.Option{baton.WithEngine(e)}, fixture.Options()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(e.message, workflow.RegisterOptions{Name: WorkflowName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
