package conductor

import (
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
//   - timeoutSeconds > 0: each attempt's deadline (baton.AttemptTimeout);
//   - optional (a workflow task's field): baton.Optional.
//
// td may be nil (no definition: one attempt, no timeout). It fails on negative numbers and
// unknown retry logic.
func Policy(td *TaskDef, retryCount *int, optional bool, unit time.Duration) ([]baton.StageOption, error) {
	var opts []baton.StageOption
	if optional {
		opts = append(opts, baton.Optional())
	}
	var d TaskDef
	if td != nil {
		d = *td
	}
	if retryCount != nil {
		d.RetryCount = *retryCount
	}
	switch {
	case d.RetryCount < 0:
		return nil, fmt.Errorf("%w: retryCount %d is negative", ErrMalformed, d.RetryCount)
	case d.RetryDelaySeconds < 0:
		return nil, fmt.Errorf("%w: retryDelaySeconds %d is negative", ErrMalformed, d.RetryDelaySeconds)
	case d.TimeoutSeconds < 0:
		return nil, fmt.Errorf("%w: timeoutSeconds %d is negative", ErrMalformed, d.TimeoutSeconds)
	case d.BackoffScaleFactor < 0:
		return nil, fmt.Errorf("%w: backoffScaleFactor %d is negative", ErrMalformed, d.BackoffScaleFactor)
	}
	attempts := d.RetryCount + 1
	delay := time.Duration(d.RetryDelaySeconds) * unit
	switch d.RetryLogic {
	case "", "FIXED":
		opts = append(opts, baton.Retry(baton.FixedBackoff(attempts, delay)))
	case "LINEAR_BACKOFF":
		opts = append(opts, baton.Retry(baton.LinearBackoff(attempts, delay*time.Duration(max(1, d.BackoffScaleFactor)))))
	case "EXPONENTIAL_BACKOFF":
		opts = append(opts, baton.Retry(baton.ExponentialBackoff(attempts, delay, 0)))
	default:
		return nil, fmt.Errorf("%w: retryLogic %q (want FIXED, LINEAR_BACKOFF or EXPONENTIAL_BACKOFF)", ErrMalformed, d.RetryLogic)
	}
	if d.TimeoutSeconds > 0 {
		opts = append(opts, baton.AttemptTimeout(time.Duration(d.TimeoutSeconds)*unit))
	}
	return opts, nil
}

// policy sets the task's stage options from its task definition: the inline taskDefinition,
// else one registered by name.
func (c *compiler) policy(ct *ctask) {
	td := ct.wt.TaskDefinition
	if td == nil {
		td = c.cfg.taskDefs[ct.name]
	}
	opts, err := Policy(td, ct.wt.RetryCount, ct.wt.Optional, c.cfg.unit)
	if err != nil {
		field := "taskDefinition"
		if ct.wt.TaskDefinition == nil && ct.wt.RetryCount != nil {
			field = "retryCount"
		}
		c.fail(ct.ref, field, err)
		return
	}
	ct.opts = opts
	ct.timeoutWF = td != nil && td.TimeoutSeconds > 0 && (td.TimeoutPolicy == "" || td.TimeoutPolicy == "TIME_OUT_WF")
}
