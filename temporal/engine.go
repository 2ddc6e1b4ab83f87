package temporal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/baton-go/baton"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Engine runs a pipeline's messages as Temporal workflows: it is the pipeline's engine
// (baton.WithEngine), so Process, Run, Stream, Close, Stats and Results are the pipeline's own,
// and every rule of a step is Baton's (see the package doc). In the process that submits a
// message it starts the message's workflow and gives the workflow's result back to the
// pipeline; in a process that hosts the stages (every engine but one made WithoutWorker) it
// runs a Temporal worker whose workflow drives messages and whose activity runs their steps.
//
// An Engine belongs to one pipeline. Its methods are the baton.Engine interface, called by
// that pipeline; they are safe for concurrent use.
type Engine struct {
	c      client.Client
	opts   options
	origin string

	mu     sync.Mutex
	host   baton.Host
	w      worker.Worker
	closed bool

	// start starts a message's workflow: the client's ExecuteWorkflow (tests put the SDK's
	// test environment here).
	start func(ctx context.Context, o client.StartWorkflowOptions, in messageInput) (client.WorkflowRun, error)

	waits  sync.WaitGroup // one per message whose result this process waits for
	ctx    context.Context
	cancel context.CancelFunc
}

var _ baton.Engine = (*Engine)(nil)

// New returns an engine that reaches the Temporal server through c, for one pipeline:
//
//	eng, err := temporal.New(c, temporal.WithTaskQueue("orders"))
//	p, err := baton.New(stages, baton.WithEngine(eng))
//
// Every process of the pipeline — clients and workers — builds it with the same stages,
// options and task queue. New fails, with an error matching baton.ErrInvalidPipeline, on a nil
// client or an invalid option. It starts nothing; the worker starts when the pipeline is made
// (baton.New attaches the engine) and stops when the pipeline is closed.
func New(c client.Client, opts ...Option) (*Engine, error) {
	o := newOptions(opts)
	if c == nil {
		o.errs = append(o.errs, errors.New("temporal.New: nil client"))
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	return newEngine(c, o), nil
}

// newEngine is New without its checks.
func newEngine(c client.Client, o options) *Engine {
	origin := o.origin
	if origin == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		origin = hex.EncodeToString(b[:])
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{c: c, opts: o, origin: origin, ctx: ctx, cancel: cancel}
	e.start = e.execute
	return e
}

// Strategy implements baton.Engine: a Temporal workflow is a central executor.
func (e *Engine) Strategy() baton.Strategy { return baton.Orchestrated }

// Attach implements baton.Engine: it binds the engine to its pipeline and, unless
// WithoutWorker, starts the worker hosting its stages.
func (e *Engine) Attach(h baton.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.host != nil {
		return errors.New("the Temporal engine is attached to a pipeline already")
	}
	e.host = h
	if e.opts.noWorker {
		return nil
	}
	wo := e.opts.worker
	if wo.WorkerStopTimeout == 0 {
		wo.WorkerStopTimeout = DefaultStopTimeout
	}
	w := worker.New(e.c, e.opts.taskQueue, wo)
	w.RegisterWorkflowWithOptions(e.message, workflow.RegisterOptions{Name: WorkflowName})
	w.RegisterActivityWithOptions(e.step, activity.RegisterOptions{Name: ActivityName})
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting the Temporal worker: %w", err)
	}
	e.w = w
	return nil
}

// DefaultStopTimeout is how long a worker's Stop waits for its running steps when
// worker.Options.WorkerStopTimeout is not set: the steps still running then are abandoned, and
// run again by another worker.
const DefaultStopTimeout = 30 * time.Second

// Send implements baton.Engine: it starts the message's workflow, whose ID is the message's
// identity (WorkflowID), and waits for its result in a goroutine of its own, which gives it to
// the pipeline. Starting a message whose workflow exists already — running or finished: the
// same key submitted twice under WithKeyAsIdentity — starts nothing: the message gets that
// workflow's result.
func (e *Engine) Send(ctx context.Context, env baton.Envelope) error {
	env.Origin = e.origin
	info, err := baton.Inspect(e.host, env)
	if err != nil {
		return err
	}
	id := e.WorkflowID(env.ID, env.Key)
	run, err := e.start(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                e.opts.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// The server hands the first workflow task to this process's worker in its reply
		// (eager start), not through its task queues: one hop fewer per message. Without a
		// local worker (WithoutWorker) the task is queued as before.
		EnableEagerStart: true,
	}, messageInput{Env: env, Deadline: info.Deadline, Trace: e.opts.propagation.inject(ctx), Local: e.opts.localSteps,
		ContinueAfter: e.opts.continueAfter})
	if err != nil {
		return fmt.Errorf("starting workflow %s: %w", id, err)
	}
	e.waits.Go(func() { e.await(run, env.ID) })
	return nil
}

// execute starts a message's workflow on the server; a workflow of that ID that exists already
// (running or closed) is the message's.
func (e *Engine) execute(ctx context.Context, o client.StartWorkflowOptions, in messageInput) (client.WorkflowRun, error) {
	run, err := e.c.ExecuteWorkflow(ctx, o, WorkflowName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return e.c.GetWorkflow(ctx, o.ID, ""), nil
	}
	return run, err
}

// await waits for the result of message id's workflow (following its continue-as-new runs)
// and gives it to the pipeline.
func (e *Engine) await(run client.WorkflowRun, id uint64) {
	var out messageOutput
	if err := run.Get(e.ctx, &out); err != nil {
		_ = e.host.Lost(id, WorkflowError(err))
		return
	}
	out.Env.ID = id // a message whose workflow existed gets that workflow's result
	out.Env.Local = true
	_ = e.host.Deliver(out.Env)
}

// WorkflowID returns the workflow ID of the message with the given ID and key (Result.ID,
// Result.Key): the prefix (WithWorkflowIDPrefix), the pipeline's origin (WithOrigin) and the
// ID — or, with WithKeyAsIdentity and a key, the prefix and the key. Cancelling that workflow
// (client.CancelWorkflow) stops the message as a cancelled context does in process: its
// running step is cut short, failing with context.Canceled (with WithLocalSteps it runs to
// its end and the next step fails with it), and its completed steps are compensated.
func (e *Engine) WorkflowID(id uint64, key string) string {
	if key != "" && e.opts.keyIdentity {
		return e.opts.idPrefix + "key/" + key
	}
	return e.opts.idPrefix + e.origin + "/" + strconv.FormatUint(id, 10)
}

// Close implements baton.Engine: the pipeline calls it once no message is in flight. It stops
// the worker, letting running steps finish within its stop timeout (DefaultStopTimeout); the
// messages it hosted for other processes go on on other workers.
func (e *Engine) Close() error {
	e.mu.Lock()
	w := e.w
	e.w, e.closed = nil, true
	e.mu.Unlock()
	if w != nil {
		w.Stop()
	}
	e.cancel()
	e.waits.Wait()
	return nil
}
