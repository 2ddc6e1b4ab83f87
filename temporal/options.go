package temporal

import (
	"errors"
	"fmt"
	"github.com/baton-go/baton"
	"time"

	"go.temporal.io/sdk/worker"
)

// Option configures a Temporal engine's client side (New) or worker (NewWorker). Options are
// values: one given to several calls means the same to each.
type Option func(*options)

type options struct {
	taskQueue     string
	idPrefix      string
	heartbeat     time.Duration
	continueAfter int
	attempts      int
	origin        string
	noWorker      bool
	keyIdentity   bool
	localSteps    bool
	worker        worker.Options
	propagation   propagation // propagate.go
	errs          []error
}

// Defaults.
const (
	// DefaultTaskQueue is the task queue of the workflows and activities when WithTaskQueue is
	// not given.
	DefaultTaskQueue = "baton"
	// DefaultHeartbeat is the heartbeat timeout of a step's activity: a worker killed mid-step
	// is noticed, and the step retried on another worker, within about this long.
	DefaultHeartbeat = 2 * time.Second
	// DefaultContinueAfter is how many actions a message's workflow run takes before it
	// continues as new, which bounds its history (about six events and one message state per
	// action); a run also continues as new once its history passes MaxHistoryBytes.
	DefaultContinueAfter = 500
	// DefaultAttempts is how many times a step's activity is tried when it ends without a
	// result (its worker died or stopped) before the step fails with baton.ErrEngine.
	DefaultAttempts = 10
)

func newOptions(opts []Option) options {
	o := options{taskQueue: DefaultTaskQueue, idPrefix: "baton-", heartbeat: DefaultHeartbeat, continueAfter: DefaultContinueAfter, attempts: DefaultAttempts}
	for i, opt := range opts {
		if opt == nil {
			o.errs = append(o.errs, fmt.Errorf("option %d is nil", i))
			continue
		}
		opt(&o)
	}
	return o
}

func (o *options) err() error {
	if len(o.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", baton.ErrInvalidPipeline, errors.Join(o.errs...))
}

// WithTaskQueue sets the Temporal task queue the message workflows and step activities use
// (DefaultTaskQueue by default). The clients and workers of one pipeline must name the same
// queue; different pipelines must use different queues.
func WithTaskQueue(q string) Option {
	return func(o *options) {
		if q == "" {
			o.errs = append(o.errs, errors.New("WithTaskQueue: empty task queue"))
			return
		}
		o.taskQueue = q
	}
}

// WithWorkflowIDPrefix sets the prefix of the message workflows' IDs ("baton-" by default):
// a message's workflow ID is the prefix, the pipeline's origin and the message's ID (or its
// key: WithKeyAsIdentity).
func WithWorkflowIDPrefix(p string) Option {
	return func(o *options) { o.idPrefix = p }
}

// WithHeartbeat sets the heartbeat timeout of a step's activity (DefaultHeartbeat): how soon a
// lost worker's step is retried elsewhere, and how soon a running step learns that its message
// was cancelled (heartbeats carry the cancellation: about a quarter of it).
func WithHeartbeat(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.errs = append(o.errs, fmt.Errorf("WithHeartbeat: %v is not positive", d))
			return
		}
		o.heartbeat = d
	}
}

// WithContinueAsNewAfter sets how many actions (steps and compensations) a message's workflow
// run takes before it continues as new with the message state (DefaultContinueAfter), so that
// a long slip does not grow one history without bound. It is the submitting process's choice:
// it travels in the workflow's input, so workers (and replays) with another setting decide
// alike.
func WithContinueAsNewAfter(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.errs = append(o.errs, fmt.Errorf("WithContinueAsNewAfter: %d is less than 1", n))
			return
		}
		o.continueAfter = n
	}
}

// WithWorkerOptions gives a worker the Temporal SDK's worker options (concurrency, pollers,
// stop timeout, interceptors …). It has no effect on New.
func WithWorkerOptions(w worker.Options) Option {
	return func(o *options) { o.worker = w }
}

// WithKeyAsIdentity makes a message's key (baton.WithKey) its identity: its workflow ID is
// the prefix and the key, so submitting a message whose key was submitted before — from any
// process — starts nothing and gives the result of that first workflow (running or finished,
// as long as the server keeps it). Without it a key is only a label, as in process, and the
// workflow ID is the pipeline's origin and the message's ID.
func WithKeyAsIdentity() Option {
	return func(o *options) { o.keyIdentity = true }
}

// WithActivityAttempts sets how many times a step's activity is tried when it ends without a
// result — its worker died, or stopped before the step finished — before the step fails with
// an error matching baton.ErrEngine (DefaultAttempts); 0 means without limit. A step's own
// failures are not counted here: they are Baton's, decided by the stage's retry policy.
func WithActivityAttempts(n int) Option {
	return func(o *options) {
		if n < 0 {
			o.errs = append(o.errs, fmt.Errorf("WithActivityAttempts: %d is negative", n))
			return
		}
		o.attempts = n
	}
}

// WithOrigin names the pipeline among those submitting to the same task queue: with a message's
// ID it makes the message's workflow ID when the message has no key. By default each engine
// gets a random origin, so two processes never share workflow IDs.
func WithOrigin(name string) Option {
	return func(o *options) {
		if name == "" {
			o.errs = append(o.errs, errors.New("WithOrigin: empty name"))
			return
		}
		o.origin = name
	}
}

// WithoutWorker makes the engine a client only: its process submits messages and receives
// their results, and hosts no stage (no worker polls its task queue).
func WithoutWorker() Option {
	return func(o *options) { o.noWorker = true }
}

// WithLocalSteps makes the messages this process submits run their steps and compensations as
// local activities: in the worker that runs the message's workflow, recorded in its history as
// a marker when the workflow task completes, with no activity task through the server. A
// message's steps then cost one workflow task each, or fewer, instead of an activity task and
// a workflow task (see the README for the figures). The choice is made by the submitting
// process and kept in the workflow's input, so it holds for the message's whole run on every
// worker, and workers need nothing. The price: a worker killed mid-step is noticed at the
// workflow task's timeout (10 s), not the heartbeat timeout (WithHeartbeat), and another
// worker then runs the step again; a step running when the message is cancelled runs to its
// end (cancelling a local activity would abandon its result), and the next fails with the
// cancellation. And a cancellation that reaches the server while the workflow task that ran
// local steps completes the workflow makes the server refuse that completion (UnhandledCommand)
// and the steps' results recorded with it: the workflow runs again from its last recorded step
// with the cancellation in view, so the steps of the refused task are neither recorded nor
// compensated, though they ran. Do not use it for messages whose workflows are cancelled.
func WithLocalSteps() Option {
	return func(o *options) { o.localSteps = true }
}
