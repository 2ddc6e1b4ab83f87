package temporal

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/baton-go/baton"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// This file is the workflow: one message's journey. It is deterministic: every decision comes
// from the message's state — the workflow's input and its activities' results, both recorded
// in its history — through Baton's own step code (the host's Step, which runs the action and
// asks the core's next-step logic where the message goes, and baton.Inspect, which only reads
// the state); time is the workflow's (workflow.Now, workflow.NewTimer), never the machine's.

// Names under which the workflow and the step activity are registered.
const (
	// WorkflowName is the workflow type of a message.
	WorkflowName = "baton.Message"
	// ActivityName is the activity type of a step or a compensation.
	ActivityName = "baton.Step"
)

// Change IDs for workflow.GetVersion. A change to what the workflow does between activities
// that would make an old history replay differently gets a new version here, and the workflow
// keeps the old path for the histories recorded before it: TestReplay replays histories
// recorded by every version (testdata/histories).
const (
	changeLoop = "baton.loop"
	loopV1     = workflow.Version(1) // continue as new after opts.continueAfter actions only
	// loopV2 continues as new also when the run's history passes MaxHistoryBytes, or when the
	// server suggests it: a message's state grows with its log, so with long slips a count of
	// actions alone let one run's history grow with the square of its steps (a 3,000-step slip
	// passed the server's 50 MB limit, which terminates the workflow without compensation);
	// and a cancellation awaits the running step's result instead of cancelling its activity.
	loopV2 = workflow.Version(2)
	// loopV3 cuts the running step short again when the workflow is cancelled: the step's
	// activity is cancelled, and the activity ends the step's context (marked
	// baton.WithStepCancellation), so the step fails with the cancellation as in process and
	// its own result is awaited. The message's timer cancels the activity too, as before: the
	// step's context carries the message's deadline and has ended on it by the time the
	// cancellation reaches the worker (with its next heartbeat), so the first cause — the
	// timeout — stands; on a worker whose clock lags the server's by more than that, the timer
	// cuts the step at the server's time, and the step fails with the cancellation. With local
	// steps (WithLocalSteps) neither cancels the local activity, whose cancellation would
	// abandon the step's result: the step ends on its own context's deadline, or runs to its
	// end, and the next step fails with the cancellation.
	loopV3  = workflow.Version(3)
	loopMax = loopV3
)

// MaxHistoryBytes is the size of its history past which a message's workflow run continues as
// new before its next action (from loopV2 on), whatever WithContinueAsNewAfter says: well below
// the server's default limits (a warning at 10 MB, the workflow terminated at 50 MB). A run
// takes at least one action, so a message whose state alone is larger still progresses.
const MaxHistoryBytes = 4 << 20

// messageInput is a message workflow's input: the hand-off the client sent (or, after
// continue-as-new, the one the last run reached), the message's deadline, and what earlier runs
// of the same workflow ID did.
type messageInput struct {
	Env      baton.Envelope
	Deadline time.Time `json:",omitzero"` // the message's deadline; zero without one
	Actions  int       `json:",omitzero"` // actions taken by earlier runs
	Stopped  bool      `json:",omitzero"` // an earlier run was cancelled
	// Local makes every action a local activity (WithLocalSteps in the submitting process).
	Local bool `json:",omitzero"`
	// ContinueAfter is WithContinueAsNewAfter of the submitting process: a run continues as
	// new after that many actions. It travels with the message so that every worker — and a
	// replay — decides alike whatever its own option says; zero (messages submitted before it
	// travelled) leaves it to the worker's option, as does a run recorded by loop v1 or v2,
	// whose worker ignored it.
	ContinueAfter int `json:",omitzero"`
	// Trace is what WithPropagation's inject wrote of the submitting context (its trace
	// context): every step's activity gets it.
	Trace map[string][]string `json:",omitempty"`

	bad string // why the input did not decode (UnmarshalJSON); "" when it did
}

// UnmarshalJSON decodes a message workflow's input as the JSON it is sent as. Input that does
// not decode (a workflow started by hand with something else) is not an error here, which the
// SDK would fail the workflow with before it runs, giving no sign of bad input: it is kept in
// bad, and the workflow fails with ErrBadInput.
func (in *messageInput) UnmarshalJSON(b []byte) error {
	type input messageInput // its fields, not this method
	var p input
	if err := json.Unmarshal(b, &p); err != nil {
		*in = messageInput{bad: err.Error()}
		return nil
	}
	*in = messageInput(p)
	return nil
}

// check returns the error, matching ErrBadInput, of an input that holds no message.
func (in *messageInput) check() error {
	switch {
	case in.bad != "":
		return badInput(fmt.Errorf("baton/temporal: the message workflow's input does not decode: %s", in.bad))
	case len(in.Env.State) == 0:
		return badInput(errors.New("baton/temporal: the message workflow's input holds no message state"))
	}
	return nil
}

// messageOutput is a message workflow's result: the finished message's hand-off (Stage "").
type messageOutput struct {
	Env baton.Envelope
}

// stepInput is the step activity's input: the pending action of Env.
type stepInput struct {
	Env baton.Envelope
	// Fail, when set, says why the pending action is not run but failed (baton.Host.Fail):
	// failCancelled (never for a compensation), or failLost.
	Fail string `json:",omitzero"`
	// Trace is the message's messageInput.Trace, for WithPropagation's extract.
	Trace map[string][]string `json:",omitempty"`
	// Cancels says that a cancellation of the activity ends the step's context
	// (baton.WithStepCancellation; loopV3 on). Without it (an activity of a loopV1 or loopV2
	// workflow) the step runs on, as it did under those versions.
	Cancels bool `json:",omitzero"`
}

// stepOutput is the step activity's result: the next hand-off.
type stepOutput struct {
	Env baton.Envelope
}

// Why a pending action is failed rather than run.
const (
	failCancelled = "cancelled" // the message's workflow was cancelled
	failLost      = "lost"      // the action's activity failed on every attempt: its workers kept dying
)

// message is the workflow function of a message: it runs the message's pending action as an
// activity, applies the hand-off the activity returns (the slip's revisions and the next stage
// with it), and repeats until the message is finished. A cancellation of the workflow, or the
// message's deadline (a workflow timer, not Temporal's execution timeout, which would skip
// compensation), cuts the running step short (its activity is cancelled and its result
// awaited; see loopV3 for local steps); after a cancellation the next forward step fails with
// it instead of running.
// Compensation then runs, in reverse, each as an activity in a context disconnected from the
// cancellation. After opts.continueAfter actions, or once its history passes MaxHistoryBytes
// (or the server suggests it), a run continues as new with the hand-off it reached, so a long
// slip does not grow one history without bound.
func (e *Engine) message(ctx workflow.Context, in messageInput) (messageOutput, error) {
	version := workflow.GetVersion(ctx, changeLoop, workflow.DefaultVersion, loopMax)
	if err := in.check(); err != nil {
		return messageOutput{}, err
	}
	if version == workflow.DefaultVersion {
		// No history predates loopV1; a change to the loop adds loopV2 and keeps this path.
		return messageOutput{}, badInput(errors.New("baton/temporal: a message workflow of no known version"))
	}
	// Activities run in a context the workflow's cancellation does not reach: the workflow
	// decides when to cut a running step short, and compensation runs whatever happens.
	base, _ := workflow.NewDisconnectedContext(ctx)
	base = workflow.WithActivityOptions(base, e.activityOptions())

	var timer workflow.Future
	if !in.Deadline.IsZero() {
		tctx, cancelTimer := workflow.WithCancel(ctx)
		defer cancelTimer()
		timer = workflow.NewTimer(tctx, max(in.Deadline.Sub(workflow.Now(ctx)), time.Millisecond))
	}
	env, stopped, local := in.Env, in.Stopped, in.Local
	continueAfter := e.opts.continueAfter
	if in.ContinueAfter > 0 && version >= loopV3 {
		// Not before loopV3: a run recorded by an older worker (which ignored the field, and
		// continued as new after its own option) is replayed as it decided.
		continueAfter = in.ContinueAfter
	}
	if local {
		base = workflow.WithLocalActivityOptions(base, e.localActivityOptions())
	}
	for actions := 0; env.Stage != ""; actions++ {
		info, err := baton.Inspect(e.host, env)
		if err != nil {
			return messageOutput{}, badInput(err)
		}
		if ctx.Err() != nil {
			stopped = true
		}
		if actions >= continueAfter || version >= loopV2 && actions > 0 && historyFull(ctx) {
			next := in
			next.Env, next.Actions, next.Stopped = env, in.Actions+actions, stopped
			return messageOutput{}, workflow.NewContinueAsNewError(ctx, WorkflowName, next)
		}
		forward := !info.Compensating
		actx, cancel := workflow.WithCancel(base)
		in := stepInput{Env: env, Trace: in.Trace, Cancels: version >= loopV3}
		if stopped && forward {
			in.Fail = failCancelled
		}
		fut := e.execute1(actx, local, in)
		if forward && !stopped {
			cut := false
			sel := workflow.NewSelector(base)
			sel.AddFuture(fut, func(workflow.Future) {})
			// In loopV2 a cancellation did not cancel the running step's activity but awaited
			// its result: the core's Host.Step did not end a running step on its context, and
			// a cancelled activity that stopped heartbeating had its heartbeat timeout take
			// the step for lost (baton.ErrEngine). From loopV3 on the activity keeps
			// heartbeating and ends the step's context (see its watch). Either way the next
			// forward step fails with the cancellation.
			sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
				stopped, cut = true, version < loopV2 || version >= loopV3 && !local
			})
			if timer != nil && !timer.IsReady() {
				sel.AddFuture(timer, func(workflow.Future) { cut = version < loopV3 || !local })
			}
			for !fut.IsReady() && !cut && !stopped {
				sel.Select(base)
			}
			if cut {
				cancel() // the step sees its context end; its result is awaited below
			}
		}
		var out stepOutput
		err = fut.Get(base, &out)
		cancel()
		var canceled *sdktemporal.CanceledError
		var app *sdktemporal.ApplicationError
		switch {
		case err == nil:
			env = out.Env
		case errors.As(err, &canceled):
			// The step's activity ended without a result: the message is as before it, and the
			// next action runs it again (after a cancellation: fails it).
		case errors.As(err, &app) && app.Type() == errBadInputType:
			return messageOutput{}, err
		case in.Fail == "":
			// Every attempt of the activity failed without a result (its workers kept dying):
			// the action fails, so that the message is compensated and gets its result rather
			// than being stranded.
			in.Fail = failLost
			if err = e.execute1(base, local, in).Get(base, &out); err != nil {
				return messageOutput{}, err
			}
			env = out.Env
		default:
			return messageOutput{}, err
		}
	}
	return messageOutput{Env: env}, nil
}

// historyFull reports whether the current run's history is past MaxHistoryBytes or the server
// suggests continuing as new. Both come from the history itself (each workflow task's start
// event records them), so a replay reads the same.
func historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetCurrentHistorySize() > MaxHistoryBytes || info.GetContinueAsNewSuggested()
}
