package conductor

import (
	"strconv"
	"strings"
)

// Status is the status of a run, as Conductor names it.
type Status string

// A run's statuses. Run returns a run that has ended, so never StatusRunning; expressions see
// ${workflow.status} as RUNNING while the run goes on.
const (
	StatusRunning    Status = "RUNNING"
	StatusCompleted  Status = "COMPLETED"
	StatusFailed     Status = "FAILED"
	StatusTerminated Status = "TERMINATED"
	StatusTimedOut   Status = "TIMED_OUT"
)

// TaskStatus is the status of one task execution in a run's log.
type TaskStatus string

// Task statuses.
const (
	TaskCompleted           TaskStatus = "COMPLETED"
	TaskCompletedWithErrors TaskStatus = "COMPLETED_WITH_ERRORS" // an optional task that failed
	TaskFailed              TaskStatus = "FAILED"
	TaskTimedOut            TaskStatus = "TIMED_OUT"
	TaskCanceled            TaskStatus = "CANCELED"
)

// TaskRun is one task execution in a run's log.
type TaskRun struct {
	Ref       string // taskReferenceName
	Name      string // task name (the worker's name for SIMPLE tasks)
	Type      string
	TaskID    string // deterministic: the workflow id, the ref and the iteration
	Status    TaskStatus
	Input     map[string]any // resolved input (nil for a task that failed before resolving it)
	Output    map[string]any
	Iteration int // the DO_WHILE iteration it ran in, from 1; 0 outside loops; a DO_WHILE's own: its last iteration
	Attempts  int // attempts made (retries + 1); an earlier attempt's: its number (see retries.go)
	// RetryCount is Conductor's retryCount: Attempts - 1. Each earlier attempt of a task tried
	// more than once has a log entry of its own before the task's, as in Conductor.
	RetryCount int
	// RetriedTaskID is the TaskID of the attempt this one retried ("" for a first attempt).
	RetriedTaskID string
	Reason        string // why it did not complete
	Err           error  // the last attempt's error, for FAILED, TIMED_OUT and COMPLETED_WITH_ERRORS
}

// Execution is a finished run: its status, output and per-task log.
type Execution struct {
	WorkflowID string
	Name       string
	Version    int
	Status     Status
	Input      map[string]any
	// Output is computed as Conductor does, whatever the run's status: the definition's
	// outputParameters, or without any the last task's output; a TERMINATE task's
	// workflowOutput replaces it.
	Output    map[string]any
	Variables map[string]any
	// Tasks is the per-task log in the order the tasks ended; fork branches appear after
	// their fork task, branch by branch, except those a JOIN did not wait for, which come
	// last, fork by fork. As in Conductor's task list, a DO_WHILE comes before its body, a
	// FORK_JOIN's JOIN after its branches' first tasks, and each earlier attempt of a retried
	// task is an entry of its own, before it (see order.go and retries.go).
	Tasks []TaskRun
	// Reason says why the run did not complete ("" when it did), or, as in Conductor, why a
	// TERMINATE task ended it, COMPLETED included.
	Reason string
	// Err is the error Run returned: nil when Status is StatusCompleted.
	Err error
}

// Task returns the latest log entry of the task ref, and whether there is one. Conductor's
// name of a task in a DO_WHILE iteration, "ref__N", finds the latest entry of ref in iteration
// N (unless a task is named so).
func (e *Execution) Task(ref string) (TaskRun, bool) {
	for i := len(e.Tasks) - 1; i >= 0; i-- {
		if e.Tasks[i].Ref == ref {
			return e.Tasks[i], true
		}
	}
	if k := strings.LastIndex(ref, "__"); k > 0 {
		if n, err := strconv.Atoi(ref[k+2:]); err == nil && n > 0 {
			for i := len(e.Tasks) - 1; i >= 0; i-- {
				if t := e.Tasks[i]; t.Ref == ref[:k] && t.Iteration == n {
					return t, true
				}
			}
		}
	}
	return TaskRun{}, false
}
