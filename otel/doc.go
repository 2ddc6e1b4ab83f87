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
// The cost is paid on the message's path, and is mostly the OpenTelemetry SDK's. Measured by
// BenchmarkObserverStep on the 2-core development machine, per step of a four-step message,
// the message's own span included:
//
//   - SDK sampling every span (no-op exporter, manual reader): about 4µs and 18 allocations
//     (2.6 KB), of which ~0.5µs is Baton's own event delivery;
//   - SDK not sampling (the message span is not recording, so no child spans are made): about
//     1µs and 3 allocations;
//   - no-op providers: about 0.5µs and 2 allocations beyond Baton's event delivery.
//
// Metric attribute sets and span names are built once per stage, not per event.
// Baton itself pays nothing for an Observer that is not installed.
//
// Spans are root spans: the Observer sees events, not the context of the call that submitted
// the message, so a message's span cannot be a child of the caller's span.
package batonotel
