package conductor

import (
	"errors"

	"github.com/baton-go/baton"
)

// toleratedStatus is the status of a task whose failure Baton tolerated (after its retries): an
// optional task is COMPLETED_WITH_ERRORS; a permissive one keeps its failure's status (FAILED,
// or TIMED_OUT), as in Conductor, and fails the run at its end or its JOIN (see
// Workflow.permissiveFailure, joinTask).
func toleratedStatus(ct *ctask, err error) TaskStatus {
	if ct == nil || ct.wt == nil || !ct.wt.Permissive || ct.wt.Optional {
		return TaskCompletedWithErrors
	}
	if errors.Is(err, baton.ErrTimeout) {
		return TaskTimedOut
	}
	return TaskFailed
}
