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
