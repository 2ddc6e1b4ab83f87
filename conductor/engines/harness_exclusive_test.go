package engines

import (
	"context"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
)

// ExclusiveJoinSpec: the EXCLUSIVE_JOIN outputs the output of the last task of the case that
// ran; each worker outputs {"taskReferenceName": its ref}.
func TestHarnessExclusiveJoin(t *testing.T) {
	names := map[string]string{"integration_task_1": "task1", "integration_task_2": "task2", "integration_task_3": "task3",
		"integration_task_4": "task4", "integration_task_5": "task5"}
	ws := map[string]conductor.Worker{}
	for n, ref := range names {
		ws[n] = func(context.Context, map[string]any) (map[string]any, error) {
			return map[string]any{"taskReferenceName": ref}, nil
		}
	}
	tests := []struct {
		name  string
		input map[string]any
		tasks int
		from  string
	}{
		{"the default decision is run", map[string]any{"decision_1": "null"}, 3, "task1"},
		{"decision_1 true, decision_2 null", map[string]any{"decision_1": "true", "decision_2": "null"}, 5, "task2"},
		{"decision_1 and decision_2 true", map[string]any{"decision_1": "true", "decision_2": "true"}, 6, "task3"},
		{"decision_1 false, decision_3 default", map[string]any{"decision_1": "false", "decision_3": "null"}, 5, "task4"},
		{"decision_1 false, decision_3 true", map[string]any{"decision_1": "false", "decision_3": "true"}, 6, "task5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runHarness(t, harnessDef(t, "exclusive_join_integration_test"), tt.input, conductor.WithWorkers(ws))[0]
			assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
			assert.Len(t, r.Tasks, tt.tasks, "%v", summary(r.Execution))
			allCompleted(t, r.Execution)
			last := r.Tasks[len(r.Tasks)-1]
			assert.Equal(t, conductor.TypeExclusiveJoin, last.Type)
			assert.Equal(t, tt.from, last.Output["taskReferenceName"])
		})
	}
}
