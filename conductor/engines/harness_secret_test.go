package engines

import (
	"testing"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
)

// InlineSecretSpec "secret is resolved for synchronous INLINE system task while stored input
// stays literal".
func TestHarnessInlineSecret(t *testing.T) {
	def := `{"name":"inline_secret_wf","version":1,"ownerEmail":"test@example.com","timeoutSeconds":3600,"timeoutPolicy":"ALERT_ONLY",
	  "tasks":[{"name":"inline_task","taskReferenceName":"inline_task_ref","type":"INLINE","inputParameters":{
	    "evaluatorType":"graaljs","expression":"(function () { return $.value1; })();","value1":"${workflow.secrets.SECRET}"}}]}`
	r := runHarness(t, def, nil, conductor.WithSecrets(conductor.LookupMap(map[string]string{"SECRET": "s3cr3t"})))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	task, ok := r.Task("inline_task_ref")
	assert.True(t, ok)
	assert.Equal(t, "s3cr3t", task.Output["result"])
	assert.Equal(t, "${workflow.secrets.SECRET}", task.Input["value1"])
}

// SubWorkflowSecretSpec "secret is resolved for a task running inside a sub-workflow while
// stored child input stays literal".
func TestHarnessSubWorkflowSecret(t *testing.T) {
	child, err := conductor.ParseWorkflow([]byte(`{"name":"child_secret_wf","version":1,"ownerEmail":"test@example.com","timeoutSeconds":3600,"timeoutPolicy":"ALERT_ONLY",
	  "tasks":[{"name":"child_inline_task","taskReferenceName":"child_inline_ref","type":"INLINE","inputParameters":{
	    "evaluatorType":"graaljs","expression":"(function () { return $.value1; })();","value1":"${workflow.secrets.SECRET}"}}]}`))
	if !assert.NoError(t, err) {
		return
	}
	parent := `{"name":"parent_secret_wf","version":1,"ownerEmail":"test@example.com","timeoutSeconds":3600,"timeoutPolicy":"ALERT_ONLY",
	  "tasks":[{"name":"subwf_task","taskReferenceName":"subwf_ref","type":"SUB_WORKFLOW","inputParameters":{},
	    "subWorkflowParam":{"name":"child_secret_wf","version":1}}]}`
	r := runHarness(t, parent, nil, conductor.WithDefinitions(child),
		conductor.WithSecrets(conductor.LookupMap(map[string]string{"SECRET": "s3cr3t"})))[0]
	assert.Equal(t, conductor.StatusCompleted, r.Status, r.Reason)
	sw, _ := r.Task("subwf_ref")
	id, _ := sw.Output["subWorkflowId"].(string)
	c := waitRun(t, r.rt, id)
	assert.Equal(t, conductor.StatusCompleted, c.Status)
	task, _ := c.Task("child_inline_ref")
	assert.Equal(t, "s3cr3t", task.Output["result"])
	assert.Equal(t, "${workflow.secrets.SECRET}", task.Input["value1"])
}
