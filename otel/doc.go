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
// Each accepted message gets a root span "baton.message", from acceptance to its result, with
// attributes baton.message (the pipeline's message number), baton.strategy and baton.outcome
// (succeeded or failed), and an error status carrying the message's error when it failed. A slip
// revision is an event "slip revised" on it, with the itinerary left (baton.remaining).
//
// Under it, each attempt of a step is a span "baton.step/<stage>" with baton.stage,
// baton.attempt (from 1), baton.strategy and baton.outcome: succeeded, failed, tolerated (an
// optional step failed and the message went on) or retried (the attempt failed and another
// follows; the span has an event "retry scheduled" with the backoff). Failed attempts have an
// error status. Each compensation is a span "baton.compensate/<stage>" with baton.attempt (the
// attempts made) and baton.outcome compensated or compensation failed. Both strategies produce
// the same spans for the same run: they come from the same events.
//
// # Metrics
//
//   - baton.step.duration (histogram, seconds): every attempt's duration, by baton.stage,
//     baton.strategy and baton.outcome (as on the spans);
//   - baton.step.processed, baton.step.failed, baton.step.retried (counters): steps that
//     succeeded, steps that failed after their attempts (optional ones included, with outcome
//     tolerated), and retries scheduled, by baton.stage and baton.strategy — the same numbers as
//     the pipeline's Stats, except that retries of compensations are not counted (no event
//     reports them);
//   - baton.compensations (counter): compensations by baton.stage, baton.strategy and
//     baton.outcome;
//   - baton.message.duration (histogram, seconds): each message from acceptance to result, by
//     baton.strategy and baton.outcome.
//
// # Concurrency and cost
//
// An Observer belongs to one pipeline: message numbers are the pipeline's own, so two pipelines
// sharing an Observer would mix up their spans. Observe is safe for concurrent use; it keeps
// each open message's spans in a sharded map keyed by message number and deletes them when the
// message finishes, so nothing is kept for finished messages.
//
// The cost is that of the OpenTelemetry SDK configured, paid on the message's path: with the
// SDK's tracer (always sampling, a batch or in-memory exporter) and meter, about 1.5µs and a
// handful of small allocations per event, so roughly 5µs per step attempt (its span, a
// histogram record and a counter add) and 5µs per message. With sampling off or no-op
// providers, about 0.2µs per event. BenchmarkObserverStep measures it on the machine at hand.
// Baton itself pays nothing for an Observer that is not installed.
//
// Spans are root spans: the Observer sees events, not the context of the call that submitted
// the message, so a message's span cannot be a child of the caller's span.
package batonotel
