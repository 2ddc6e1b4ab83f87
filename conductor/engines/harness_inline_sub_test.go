package engines

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// InlineSubWorkflowFromExpressionSpec "Sub-workflow definition from a String expression runs a
// complex DO_WHILE with SWITCH, INLINE, and SIMPLE tasks": a SIMPLE task outputs a workflow
// definition, which the SUB_WORKFLOW after it runs (workflowDefinition: an expression).
func TestHarnessInlineSubWorkflowFromExpression(t *testing.T) {
	const sub = `{"name":"complex_dynamic_plan_wf","version":1,"schemaVersion":2,"timeoutPolicy":"ALERT_ONLY","timeoutSeconds":0,
	  "inputParameters":["iterations","threshold"],
	  "outputParameters":{"loopsDone":"${final_result.output.result.loopsDone}","allDone":"${final_result.output.result.allDone}"},
	  "tasks":[
	    {"name":"do_loop","taskReferenceName":"do_loop","type":"DO_WHILE",
	     "inputParameters":{"iters":"${workflow.input.iterations}","threshold":"${workflow.input.threshold}"},
	     "loopCondition":"$.do_loop['iteration'] < $.iters",
	     "loopOver":[
	       {"name":"compute","taskReferenceName":"compute","type":"INLINE","inputParameters":{"evaluatorType":"javascript",
	        "expression":"function f() { return $.iteration * $.threshold; } f();","iteration":"${do_loop.output.iteration}","threshold":"${workflow.input.threshold}"}},
	       {"name":"route","taskReferenceName":"route","type":"SWITCH","evaluatorType":"javascript","expression":"$.product > $.threshold",
	        "inputParameters":{"product":"${compute.output.result}","threshold":"${workflow.input.threshold}"},
	        "decisionCases":{"true":[{"name":"integration_task_1","taskReferenceName":"high_task","type":"SIMPLE",
	          "inputParameters":{"product":"${compute.output.result}","category":"high"}}]},
	        "defaultCase":[{"name":"low_result","taskReferenceName":"low_result","type":"INLINE","inputParameters":{"evaluatorType":"javascript",
	          "expression":"function f() { return {label: \"low\", product: $.product}; } f();","product":"${compute.output.result}"}}]}]},
	    {"name":"final_result","taskReferenceName":"final_result","type":"INLINE","inputParameters":{"evaluatorType":"javascript",
	     "expression":"function f() { return {loopsDone: $.loopsDone, allDone: true}; } f();","loopsDone":"${do_loop.output.iteration}"}}]}`
	const parent = `{"name":"test_inline_subwf_expr_parent_wf","version":1,"schemaVersion":2,"ownerEmail":"test@harness.com",
	  "inputParameters":["iterations","threshold"],
	  "outputParameters":{"loopsDone":"${exec.output.loopsDone}","allDone":"${exec.output.allDone}"},
	  "tasks":[
	    {"name":"integration_task_1","taskReferenceName":"wf_builder","type":"SIMPLE",
	     "inputParameters":{"tp1":"${workflow.input.threshold}","tp2":"${workflow.input.iterations}"}},
	    {"name":"exec_plan","taskReferenceName":"exec","type":"SUB_WORKFLOW",
	     "inputParameters":{"threshold":"${workflow.input.threshold}","iterations":"${workflow.input.iterations}"},
	     "subWorkflowParam":{"name":"complex_dynamic_plan_wf","version":1,"workflowDefinition":"${wf_builder.output.result}"}}]}`
	var subDef map[string]any
	require.NoError(t, json.Unmarshal([]byte(sub), &subDef))
	var highInputs []map[string]any
	worker := func(_ context.Context, in map[string]any) (map[string]any, error) {
		if in["category"] == "high" {
			highInputs = append(highInputs, in)
			return map[string]any{"label": "high", "done": true}, nil
		}
		return map[string]any{"result": subDef}, nil
	}
	r := runHarness(t, parent, map[string]any{"iterations": 2, "threshold": 5}, conductor.WithWorker("integration_task_1", worker))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	assert.Equal(t, []string{"wf_builder:SIMPLE:COMPLETED", "exec:SUB_WORKFLOW:COMPLETED"}, summary(r.Execution))
	assert.Equal(t, map[string]any{"loopsDone": float64(2), "allDone": true}, r.Output)
	require.Len(t, highInputs, 2) // one per strategy: iteration 2 alone is "high"
	assert.Equal(t, float64(10), highInputs[0]["product"])
}
