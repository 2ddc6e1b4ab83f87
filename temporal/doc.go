// Package temporal runs Baton's orchestrated strategy on Temporal (https://temporal.io): each
// message is a durable workflow, each step an activity, so a crashed process — the submitter's
// or a worker's — loses nothing: the server keeps every message's progress and another worker
// resumes it where it was.
//
// It is an engine (baton.WithEngine): the pipeline stays Baton's, with the same stages, slips,
// options, results and test kit.
//
//	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
//	eng, _ := temporal.New(c, temporal.WithTaskQueue("orders"))
//	p, _ := baton.New(stages, baton.WithEngine(eng), baton.WithMessageTimeout(time.Minute))
//	defer p.Close()
//	out, err := p.Process(ctx, order)
//
// # How a message runs
//
// The process that submits a message accepts it and gives it its slip (Baton's begin), then
// starts the message's workflow with its encoded state; the workflow ID is the message's
// identity (Engine.WorkflowID: the pipeline's origin and its ID, or its key under
// WithKeyAsIdentity), so starting the same message twice gives one run. The workflow runs the message's pending action — a step,
// or a compensation — as an activity; the activity runs Baton's own step code on the state
// (attempts, backoff, per-attempt and per-step timeouts, panics, optional steps, the slip's
// revisions) and asks Baton's next-step logic where the message goes, and the workflow applies
// the hand-off it returns. When the message is finished the workflow returns its state, which
// the submitting pipeline finishes into its Result: the same value, error, log and
// compensation as in process.
//
// A message's deadline (its caller's, or baton.WithMessageTimeout) is carried in its state, so
// every step sees it, and is a workflow timer; Temporal's own execution timeout is never set,
// because it would end the workflow without compensation. Cancelling a message's workflow
// (client.CancelWorkflow with its ID) cuts its running step short — the step's context ends
// (baton.WithStepCancellation), so the step fails with an error matching context.Canceled, as
// under a cancelled Process context — and fails its next step with it if the running one
// succeeded all the same (with WithLocalSteps the running step runs to its end: cancelling a
// local activity would abandon its result); its completed steps are compensated, in reverse,
// each as an activity in a disconnected context. After DefaultContinueAfter actions, or once
// its history passes MaxHistoryBytes, a run continues as new with the state it reached, so that
// a long slip keeps its histories short: a message's state grows with its log, and is recorded
// twice per action.
// The loop is guarded by workflow.GetVersion, and recorded histories are replayed by the tests.
//
// # Guarantees and differences
//
// Every accepted message gets exactly one result, also when worker processes are killed: a
// step whose worker dies is run again on another worker after the heartbeat timeout
// (WithHeartbeat), so a step may run more than once — use baton.StepKey for side effects that
// must happen once. A step whose activity keeps failing without a result
// (WithActivityAttempts) fails with baton.ErrEngine, and its message is compensated.
// A message that cannot be run (an undecodable state, a stage a worker does not have) ends at
// once with an error matching ErrBadInput and baton.ErrEngine; it is not retried.
//
// What differs from the in-process strategies: a step run by another process sees its
// message's deadline but not its submitter's context (values, cancellation) — but for the
// values WithPropagation carries, such as its trace context; the submitter's
// cancellation reaches only the steps its own process runs. Stats count, per process, the
// steps its worker ran. Every action costs a few Temporal round trips (milliseconds, not
// nanoseconds).
//
// # What a step costs
//
// A step is one activity and one workflow task. The activity's completion schedules a workflow
// task, which the server sends to the worker that ran the workflow before (its sticky queue);
// that task's completion schedules the next activity, which the server hands back in its reply
// to the same worker (eager activity execution, on by default). A message adds its start —
// eager as well when the submitting process hosts a worker: the first workflow task comes in
// the start call's reply — and the submitter's long poll for its result. On a local server each
// is a millisecond or a few. Two server settings can cost more than all of them on a server
// with one history shard (temporaltest; a development server likely too, not checked):
// history.transferProcessorMaxPollRPS (20 a shard) sends a scheduled workflow task only at the
// shard's next read of its queue, which was about 35 ms of a 61 ms step as measured
// (history.timerProcessorMaxPollRPS does the same to timers); and
// history.longPollExpirationInterval (20 s) is how late a result comes when the server misses
// the wake-up of the poll waiting for it, as it did for about one message in a few hundred.
// The end-to-end tests and examples/durable raise the first two and shorten the last
// (temporal/e2e/main_test.go); TestStepTimeline there logs a message's
// history with the time between its events. The README's "Across processes" gives the figures.
package temporal
