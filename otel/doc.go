// Package batonotel reports a Baton pipeline's messages to OpenTelemetry: a span per message
// with a child span per step attempt and per compensation, and metrics of step durations and
// of steps processed, failed and retried.
//
// It lives in its own module (github.com/baton-go/baton/otel) so that importing Baton's core
// pulls in no OpenTelemetry code. Install it with baton.WithObserver:
//
//	obs, err := batonotel.NewObserver() // global TracerProvider and MeterProvider
//	p, err := baton.New(stages, baton.WithObserver(obs))
//
// # Spans
//
// Each accepted message gets a span "baton.message", from acceptance to its result, with
// attributes baton.message (the pipeline's message number), baton.strategy, baton.pipeline (the
// pipeline's name, baton.WithName, when it has one) and baton.outcome (succeeded or failed), and
// an error status carrying the message's error when it failed. A slip revision is an event "slip
// revised" on it, with the itinerary left (baton.remaining).
//
// The message's span is a child of the span in the message's context — the context given to
// Process, or to Stream or Run for the messages submitted to the stream — so a message handled
// for a request appears in the request's trace:
//
//	ctx, span := tracer.Start(ctx, "handle order")
//	out, err := p.Process(ctx, order) // baton.message is a child of "handle order"
//
// When that context holds no span, the message's span is the root of its own trace.
//
// Under it, each attempt of a step is a span "baton.step/<stage>" with baton.stage,
// baton.attempt (from 1), baton.strategy and baton.outcome: succeeded, failed, tolerated (an
// optional step failed and the message went on) or retried (the attempt failed and another
// follows; the span has an event "retry scheduled" with the backoff). Failed attempts have an
// error status. Each compensation is a span "baton.compensate/<stage>" with baton.attempt (the
// attempts made) and baton.outcome compensated or compensation failed; a compensation attempt
// that failed and is retried (baton.CompensationRetry) is an exception event on that span with
// its error, followed by an event "retry scheduled" with baton.attempt and the backoff. Step and
// compensation spans carry baton.pipeline too, for a named pipeline. Both strategies produce the
// same spans for the same run: they come from the same events.
//
// # Across processes
//
// Under an engine (baton.WithEngine: the jetstream and temporal modules) a message's steps run
// in other processes than the one that submitted it. Install an Observer in every process, and
// give every engine the hooks of Propagation, which carry the trace context in the message's
// headers (W3C Trace Context by default):
//
//	inject, extract := batonotel.Propagation[nats.Header](nil)
//	eng, _ := jetstream.New(nc, jetstream.Config{Name: "orders", Inject: inject, Extract: extract})
//
//	eng, _ := temporal.New(c, temporal.WithPropagation(batonotel.Propagation[map[string][]string](nil)))
//
// The submitting process then makes the message's span as in process, and propagates its trace
// context with the message (the Observer puts that span in the context the engine's Send gets:
// see baton.SendObserver); a worker process makes the spans of the steps and compensations
// it runs — with the same names and attributes as in process — as children of that span, so a
// message is one trace from the caller's span through every process, and a span a stage starts
// from its context is a child of its step's span there too. A worker also records the metrics
// of the steps it runs (the message metrics are the submitter's). What differs from in process:
// a slip revision made by a step in another process is not an event on the message span (the
// Result's log has it), and a process without the propagation hooks makes its steps' spans the
// roots of traces of their own. A process that both submits and runs other processes' steps
// tells its own messages' events from theirs by the trace context (messages of different
// processes have the same numbers), so it needs the hooks to keep them apart.
//
// # Metrics
//
//   - baton.step.duration (histogram, seconds): every attempt's duration, by baton.stage,
//     baton.strategy and baton.outcome (as on the spans);
//   - baton.step.processed, baton.step.failed, baton.step.retried (counters): steps that
//     succeeded, steps that failed after their attempts (optional ones included, with outcome
//     tolerated), and retries scheduled, of steps and of their compensations, by baton.stage and
//     baton.strategy — the same numbers as the pipeline's Stats (Processed, Failed, Retried);
//   - baton.compensations (counter): compensations by baton.stage, baton.strategy and
//     baton.outcome;
//   - baton.message.duration (histogram, seconds): each message from acceptance to result, by
//     baton.strategy and baton.outcome.
//
// Every measurement of a named pipeline also carries baton.pipeline.
//
// # Concurrency and cost
//
// One Observer may serve several pipelines, provided they have distinct names (baton.WithName;
// one of them may be unnamed): message numbers are each pipeline's own, so the Observer tells
// messages apart by pipeline name and number, and two pipelines with the same name sharing an
// Observer would mix up their messages' spans. Observe is safe for concurrent use; it keeps each
// open message's spans in a sharded map keyed by pipeline name and message number and deletes
// them when the message finishes, so nothing is kept for finished messages; a step this process
// runs for another process's message is kept the same way, from its start to its last event
// here.
//
// The cost is paid on the message's path, and is mostly the OpenTelemetry SDK's. Measured by
// BenchmarkObserverStep on the 2-core development machine, per step of a four-step message,
// the message's own span included:
//
//   - SDK sampling every span (no-op exporter, manual reader): about 2.4µs and 18 allocations
//     (2.6 KB), of which ~0.2µs is Baton's own event delivery and step timing;
//   - SDK not sampling (the message span is not recording, so no child spans are made): about
//     0.75µs and 3 allocations;
//   - no-op providers: about 0.4µs and 2 allocations;
//   - for comparison, an empty baton.ObserverFunc: about 0.2µs, and no observer: 24ns.
//
// Metric attribute sets and span names are built once per pipeline and stage, not per event.
// Baton itself pays nothing for an Observer that is not installed.
package batonotel
