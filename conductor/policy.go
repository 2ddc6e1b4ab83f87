package conductor

import (
	"errors"
	"fmt"
	"time"

	"github.com/baton-go/baton"
)

// Policy returns the Baton stage options that carry out a task definition's policies, given
// the unit of its *Seconds fields (time.Second in Conductor):
//
//   - retryCount n: n+1 attempts in all (a workflow task's own retryCount overrides it);
//   - retryLogic FIXED (the default): retryDelaySeconds between attempts (baton.FixedBackoff);
//     LINEAR_BACKOFF: retryDelaySeconds × backoffScaleFactor × n after the n-th failure
//     (baton.LinearBackoff); EXPONENTIAL_BACKOFF: retryDelaySeconds × 2^(n-1)
//     (baton.ExponentialBackoff);
//   - timeoutSeconds > 0: each attempt's deadline (baton.AttemptTimeout), as timeoutPolicy
//     says: RETRY retries a timed-out attempt like a failed one (a task whose last attempt
//     timed out times the run out: TIMED_OUT, as in Conductor); TIME_OUT_WF (the default)
//     does not retry it, and the run times out at once; ALERT_ONLY sets no deadline (Conductor
//     only counts the timeout);
//   - optional (a workflow task's field): baton.Optional.
//
// td may be nil (no definition: one attempt, no timeout). It fails on negative numbers and
// unknown retry logic.
func Policy(td *TaskDef, retryCount *int, optional bool, unit time.Duration) ([]baton.StageOption, error) {
	pol, timeout, err := retryPolicy(td, retryCount, unit)
	if err != nil {
		return nil, err
	}
	var opts []baton.StageOption
	if optional {
		opts = append(opts, baton.Optional())
	}
	opts = append(opts, baton.Retry(pol))
	if timeout > 0 {
		opts = append(opts, baton.AttemptTimeout(timeout))
	}
	return opts, nil
}

// retryPolicy is the retry policy and attempt timeout of a task definition (see Policy).
func retryPolicy(td *TaskDef, retryCount *int, unit time.Duration) (baton.RetryPolicy, time.Duration, error) {
	var d TaskDef
	if td != nil {
		d = *td
	}
	if retryCount != nil {
		d.RetryCount = *retryCount
	}
	var none baton.RetryPolicy
	switch {
	case d.RetryCount < 0:
		return none, 0, fmt.Errorf("%w: retryCount %d is negative", ErrMalformed, d.RetryCount)
	case d.RetryDelaySeconds < 0:
		return none, 0, fmt.Errorf("%w: retryDelaySeconds %d is negative", ErrMalformed, d.RetryDelaySeconds)
	case d.TimeoutSeconds < 0:
		return none, 0, fmt.Errorf("%w: timeoutSeconds %d is negative", ErrMalformed, d.TimeoutSeconds)
	case d.BackoffScaleFactor < 0:
		return none, 0, fmt.Errorf("%w: backoffScaleFactor %d is negative", ErrMalformed, d.BackoffScaleFactor)
	}
	if d.TimeoutPolicy == "ALERT_ONLY" {
		d.TimeoutSeconds = 0 // Conductor alerts, and lets the task run on
	}
	attempts := d.RetryCount + 1
	delay := time.Duration(d.RetryDelaySeconds) * unit
	var pol baton.RetryPolicy
	switch d.RetryLogic {
	case "", "FIXED":
		pol = baton.FixedBackoff(attempts, delay)
	case "LINEAR_BACKOFF":
		pol = baton.LinearBackoff(attempts, delay*time.Duration(max(1, d.BackoffScaleFactor)))
	case "EXPONENTIAL_BACKOFF":
		pol = baton.ExponentialBackoff(attempts, delay, 0)
	default:
		return none, 0, fmt.Errorf("%w: retryLogic %q (want FIXED, LINEAR_BACKOFF or EXPONENTIAL_BACKOFF)", ErrMalformed, d.RetryLogic)
	}
	if timesOutWorkflow(&d) {
		pol.Retryable = func(err error) bool { return !errors.Is(err, baton.ErrTimeout) }
	}
	return pol, time.Duration(d.TimeoutSeconds) * unit, nil
}

// timesOutWorkflow reports whether a timeout of a task under td times the workflow out.
func timesOutWorkflow(td *TaskDef) bool {
	return td != nil && td.TimeoutSeconds > 0 && (td.TimeoutPolicy == "" || td.TimeoutPolicy == "TIME_OUT_WF")
}

// policy sets the task's stage options from its task definition: the inline taskDefinition,
// else one registered by name.
func (c *compiler) policy(ct *ctask) {
	td := ct.wt.TaskDefinition
	if td == nil {
		td = c.cfg.taskDefs[ct.name]
	}
	opts, err := Policy(td, ct.wt.RetryCount, ct.wt.Optional || ct.wt.Permissive, time.Second)
	if err != nil {
		field := "taskDefinition"
		if ct.wt.TaskDefinition == nil && ct.wt.RetryCount != nil {
			field = "retryCount"
		}
		c.fail(ct.ref, field, err)
		return
	}
	ct.opts = opts
	ct.timeoutWF = timesOutWorkflow(td)
	_, ct.timeout, _ = retryPolicy(td, ct.wt.RetryCount, time.Second)
}
