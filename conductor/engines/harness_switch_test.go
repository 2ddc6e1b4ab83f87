package engines

import (
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
)

// SwitchTaskSpec and DecisionTaskSpec: which tasks run, in which case, and what the SWITCH
// (evaluationResult) and DECISION (caseOutput) tasks output.

func TestHarnessSwitchAndDecision(t *testing.T) {
	all := workers(completing(nil), "integration_task_1", "integration_task_2", "integration_task_3", "integration_task_4",
		"integration_task_5", "integration_task_10", "integration_task_20")
	tests := []struct {
		spec, def string
		input     map[string]any
		log       []string
		results   map[string][]any // ref -> evaluationResult / caseOutput
	}{
		{spec: "SwitchTaskSpec simple switch", def: "simple_switch_task_integration_test",
			input: map[string]any{"param1": "p1", "param2": "p2", "case": "c"},
			log:   []string{"switchTask:SWITCH:COMPLETED", "t1:SIMPLE:COMPLETED", "t2:SIMPLE:COMPLETED", "t20:SIMPLE:COMPLETED"}},
		{spec: "SwitchTaskSpec switch leading to a fork join", def: "switch_and_fork_join_integration_test",
			input: map[string]any{"param1": "p1", "param2": "p2", "case": "c"}},
		{spec: "SwitchTaskSpec default case", def: "conditional_switch_task_workflow_integration_test",
			input:   map[string]any{"param1": "xxx", "param2": "two"},
			log:     []string{"conditional:SWITCH:COMPLETED", "t10:SIMPLE:COMPLETED", "finalCase:SWITCH:COMPLETED"},
			results: map[string][]any{"conditional": {"xxx"}, "finalCase": {"null"}}},
		{spec: "SwitchTaskSpec nested one", def: "conditional_switch_task_workflow_integration_test",
			input:   map[string]any{"param1": "nested", "param2": "one"},
			log:     []string{"conditional:SWITCH:COMPLETED", "nestedCondition:SWITCH:COMPLETED", "t1:SIMPLE:COMPLETED", "finalCase:SWITCH:COMPLETED"},
			results: map[string][]any{"conditional": {"nested"}, "nestedCondition": {"one"}, "finalCase": {"null"}}},
		{spec: "SwitchTaskSpec nested two", def: "conditional_switch_task_workflow_integration_test",
			input:   map[string]any{"param1": "nested", "param2": "two"},
			log:     []string{"conditional:SWITCH:COMPLETED", "nestedCondition:SWITCH:COMPLETED", "t2:SIMPLE:COMPLETED", "finalCase:SWITCH:COMPLETED"},
			results: map[string][]any{"nestedCondition": {"two"}}},
		{spec: "SwitchTaskSpec three", def: "conditional_switch_task_workflow_integration_test",
			input:   map[string]any{"param1": "three", "param2": "two", "finalCase": "notify"},
			log:     []string{"conditional:SWITCH:COMPLETED", "t3:SIMPLE:COMPLETED", "finalCase:SWITCH:COMPLETED", "integration_task_4:SIMPLE:COMPLETED"},
			results: map[string][]any{"conditional": {"three"}, "finalCase": {"notify"}}},
		{spec: "SwitchTaskSpec no default case", def: "switch_with_no_default_case_integration_test",
			input: map[string]any{"param1": "p1", "param2": "p2"}},
		{spec: "DecisionTaskSpec simple decision", def: "simple_decision_task_integration_test",
			input: map[string]any{"param1": "p1", "param2": "p2", "case": "c"},
			log:   []string{"decisionTask:DECISION:COMPLETED", "t1:SIMPLE:COMPLETED", "t2:SIMPLE:COMPLETED", "t20:SIMPLE:COMPLETED"}},
		{spec: "DecisionTaskSpec decision leading to a fork join", def: "decision_and_fork_join_integration_test",
			input: map[string]any{"param1": "p1", "param2": "p2", "case": "c"}},
		{spec: "DecisionTaskSpec default case", def: "conditional_task_workflow_integration_test",
			input:   map[string]any{"param1": "xxx", "param2": "two"},
			log:     []string{"conditional:DECISION:COMPLETED", "t10:SIMPLE:COMPLETED", "finalCase:DECISION:COMPLETED"},
			results: map[string][]any{"conditional": {"xxx"}, "finalCase": {"null"}}},
		{spec: "DecisionTaskSpec nested two", def: "conditional_task_workflow_integration_test",
			input:   map[string]any{"param1": "nested", "param2": "two"},
			log:     []string{"conditional:DECISION:COMPLETED", "nestedCondition:DECISION:COMPLETED", "t2:SIMPLE:COMPLETED", "finalCase:DECISION:COMPLETED"},
			results: map[string][]any{"conditional": {"nested"}, "nestedCondition": {"two"}, "finalCase": {"null"}}},
		{spec: "DecisionTaskSpec three", def: "conditional_task_workflow_integration_test",
			input:   map[string]any{"param1": "three", "param2": "two", "finalCase": "notify"},
			log:     []string{"conditional:DECISION:COMPLETED", "t3:SIMPLE:COMPLETED", "finalCase:DECISION:COMPLETED", "integration_task_4:SIMPLE:COMPLETED"},
			results: map[string][]any{"conditional": {"three"}, "finalCase": {"notify"}}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r := runHarness(t, harnessDef(t, tt.def), tt.input, all)[0]
			assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
			allCompleted(t, r.Execution)
			if tt.log != nil {
				assert.Equal(t, tt.log, summary(r.Execution))
			}
			for ref, want := range tt.results {
				task, _ := r.Task(ref)
				key := "evaluationResult"
				if task.Type == conductor.TypeDecision {
					key = "caseOutput"
				}
				assert.Equal(t, want, task.Output[key], ref)
			}
		})
	}
}
