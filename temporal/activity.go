package temporal

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/baton-go/baton"
	"go.temporal.io/sdk/activity"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// This file is the step activity: one action of Baton's step code (a step with its attempts,
// backoff and timeouts, or a compensation) on one message. Everything the action decides —
// retries, timeouts, a panic to an error, an optional step tolerated, the slip's revisions,
// the next stage — is decided by the core inside the activity and returned in the hand-off, so
// Temporal retries an activity only when it ended without a result (its worker was lost).

// step runs the pending action of in.Env and returns the next hand-off. It heartbeats while
// the action runs, so that a killed worker is noticed within the heartbeat timeout and the
// action run again on another; the heartbeats also bring the workflow's cancellation, which
// ends the context the host's Step is given.
func (e *Engine) step(ctx context.Context, in stepInput) (stepOutput, error) {
	env := in.Env
	env.Local = env.Origin == e.origin // submitted through this very pipeline: its context applies
	sctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	sctx = e.opts.propagation.extract(sctx, in.Trace) // the submitter's trace: propagate.go
	var wg sync.WaitGroup
	done := make(chan struct{})
	defer func() { close(done); wg.Wait() }()
	wg.Go(func() { e.watch(ctx, done, cancel) })
	var next baton.Envelope
	var err error
	switch in.Fail {
	case "":
		if in.Cancels {
			sctx = baton.WithStepCancellation(sctx)
		}
		next, err = e.host.Step(sctx, env)
	case failCancelled:
		next, err = e.host.Fail(sctx, env, errCancelled)
	default:
		next, err = e.host.Fail(sctx, env, errLost)
	}
	if err != nil {
		if errors.Is(err, baton.ErrEngine) {
			return stepOutput{}, badInput(err)
		}
		return stepOutput{}, err
	}
	next.Local = false // the process that runs the next action decides
	return stepOutput{Env: next}, nil
}

// watch heartbeats for the running action until done, and cancels the context given to the
// host's Step when the activity's ends — a cancellation by the workflow, or by its message's
// timer — but not when it ends because the worker stops: the action is then left to finish
// within the worker's stop timeout. The step sees that context end only when the workflow
// marked its input Cancels (loopV3 on); the step of a loopV1 or loopV2 workflow runs on, as
// under those versions. A timer's cancellation comes after the step's own context has ended on
// the same deadline (its cause, the timeout, stands) unless this worker's clock lags.
func (e *Engine) watch(ctx context.Context, done <-chan struct{}, cancel context.CancelCauseFunc) {
	tick := time.NewTicker(max(e.opts.heartbeat/4, 10*time.Millisecond))
	defer tick.Stop()
	stopping := activity.GetWorkerStopChannel(ctx)
	cancelled := ctx.Done()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			activity.RecordHeartbeat(ctx)
		case <-stopping:
			stopping = nil
			<-done // the worker stops: let the action finish (or be abandoned at the stop timeout)
			return
		case <-cancelled:
			// The workflow cancelled the action: the step's context ends, and the step with
			// it, failing with the cancellation. Heartbeating on keeps the activity alive until
			// the step returns and its result comes back — without, the heartbeat timeout
			// would fail the activity and the workflow would take the step for lost
			// (baton.ErrEngine, not context.Canceled).
			cancelled = nil
			cancel(errCancelled)
		}
	}
}

// activityOptions are the options of every step activity. A step's own retries, backoff and
// timeouts are Baton's, inside the activity; Temporal retries the activity only when it ended
// without a result — its worker died or stopped (the heartbeat timeout) — and never on bad
// input.
func (e *Engine) activityOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: 24 * time.Hour,
		HeartbeatTimeout:    e.opts.heartbeat,
		WaitForCancellation: true,
		RetryPolicy: &sdktemporal.RetryPolicy{
			InitialInterval:        100 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumAttempts:        int32(e.opts.attempts),
			MaximumInterval:        2 * time.Second,
			NonRetryableErrorTypes: []string{errBadInputType},
		},
	}
}

// execute1 schedules the action in as the step activity, or with local as a local activity
// (WithLocalSteps) running the same function. Both are named by ActivityName, the type the
// history records: a local activity named by its function would be recorded under the name the
// function is registered with in the worker, and a replayer, which registers no activity,
// would name it otherwise and fail the replay.
func (e *Engine) execute1(ctx workflow.Context, local bool, in stepInput) workflow.Future {
	if local {
		return workflow.ExecuteLocalActivity(ctx, ActivityName, in)
	}
	return workflow.ExecuteActivity(ctx, ActivityName, in)
}

// localActivityOptions are activityOptions for a local activity: no heartbeat (a lost worker
// is noticed at the workflow task's timeout).
func (e *Engine) localActivityOptions() workflow.LocalActivityOptions {
	o := e.activityOptions()
	return workflow.LocalActivityOptions{StartToCloseTimeout: o.StartToCloseTimeout, RetryPolicy: o.RetryPolicy}
}
