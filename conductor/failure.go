package conductor

import (
	"errors"
	"strings"
)

// The failure workflow, as Conductor starts one (WorkflowExecutor.terminateWorkflow): when a
// run whose definition names a failureWorkflow ends FAILED, TIMED_OUT or TERMINATED — by a task
// failing, a timeout or a TERMINATE task, not by its caller cancelling it — the failure workflow
// is started, without being waited for, on the run's input plus
//
//	workflowId      the failed run's id
//	reason          its reasonForIncompletion
//	failureStatus   its status
//	failureTaskId   the task id of the task that ended it (the failed task, or the TERMINATE)
//	failedWorkflow  the failed run: workflowId, workflowName, workflowVersion, status, input,
//	                output, variables, reasonForIncompletion, correlationId and tasks
//
// with the run's correlation id, and the run's output gets "conductor.failure_workflow": its
// workflow id (Runtime.Lookup finds it), or, when it cannot start, a sentence saying why, as
// Conductor writes it. The failure workflow is registered with WithDefinitions; a name
// starting with "$" ("$workflow.input.x", "${workflow.input.x}") is taken from the run's input
// key x, and when that is missing, no failure workflow starts.

// failureOutputKey is the output key Conductor gives the failure workflow's id.
const failureOutputKey = "conductor.failure_workflow"

// startFailureWorkflow starts the failure workflow of the run e, which ended with err, if its
// definition names one, and records it in e.Output.
func (w *Workflow) startFailureWorkflow(ri *runInfo, e *Execution, failedTask string) {
	name := w.def.FailureWorkflow
	if strings.TrimSpace(name) == "" {
		return
	}
	if strings.HasPrefix(name, "$") {
		// Conductor takes the third path component as the input key: "${workflow.input.x}".
		parts := strings.Split(strings.Trim(name, "${}"), ".")
		name = ""
		if len(parts) >= 3 {
			name, _ = ri.input[parts[2]].(string)
		}
		if strings.TrimSpace(name) == "" {
			return // Conductor starts none when the input names none
		}
	}
	input := copyMap(ri.input)
	if input == nil {
		input = map[string]any{}
	}
	input["workflowId"] = e.WorkflowID
	input["reason"] = e.Reason
	input["failureStatus"] = string(e.Status)
	if failedTask != "" {
		if tr, ok := e.Task(failedTask); ok && tr.TaskID != "" {
			input["failureTaskId"] = tr.TaskID
		}
	}
	input["failedWorkflow"] = executionModel(e, ri.correlationID)
	if e.Output == nil {
		e.Output = map[string]any{}
	}
	child, err := w.child(name, w.def.FailureWorkflowVersion)
	if err == nil {
		var h *Handle
		if h, err = child.Start(child.quit.context(), input, WithCorrelationID(ri.correlationID)); err == nil {
			e.Output[failureOutputKey] = h.ID()
			return
		}
	}
	e.Output[failureOutputKey] = "Error workflow " + name + " failed to start.  reason: " + err.Error()
}

// failedTaskOf is the reference name of the task that ended a run that failed with err, or
// ended by TERMINATE task end ("" when neither says).
func failedTaskOf(err error, end *termination) string {
	if end != nil {
		return end.task
	}
	var te *TaskError
	if errors.As(err, &te) {
		return te.Task
	}
	return ""
}

// executionModel is e as JSON values, with Conductor's field names.
func executionModel(e *Execution, correlationID string) map[string]any {
	tasks := make([]any, 0, len(e.Tasks))
	for _, t := range e.Tasks {
		tasks = append(tasks, map[string]any{
			"taskType": t.Type, "referenceTaskName": t.Ref, "taskDefName": t.Name, "taskId": t.TaskID,
			"status": string(t.Status), "inputData": copyMap(t.Input), "outputData": copyMap(t.Output),
			"iteration": float64(t.Iteration), "retryCount": float64(max(t.Attempts-1, 0)),
			"reasonForIncompletion": t.Reason,
		})
	}
	return map[string]any{
		"workflowId": e.WorkflowID, "workflowName": e.Name, "workflowVersion": float64(e.Version),
		"status": string(e.Status), "input": copyMap(e.Input), "output": copyMap(e.Output),
		"variables": copyMap(e.Variables), "reasonForIncompletion": e.Reason,
		"correlationId": correlationID, "tasks": tasks,
	}
}
