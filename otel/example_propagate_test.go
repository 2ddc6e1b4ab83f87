package batonotel_test

import (
	"context"
	"fmt"

	batonotel "github.com/baton-go/baton/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Headers of type H carry the trace context from the process that sends a message to the one
// that runs its next step. Give the two hooks to an engine — jetstream.Config's Inject and
// Extract (H is nats.Header), temporal.WithPropagation (H is map[string][]string) — in every
// process, with an Observer in each: the steps' spans in the workers are then children of the
// message's span in the submitting process.
func ExamplePropagation() {
	inject, extract := batonotel.Propagation[map[string][]string](nil) // W3C Trace Context

	// The sending process: the message's span is in ctx.
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("example").Start(context.Background(), "baton.message")
	defer span.End()
	headers := map[string][]string{}
	inject(ctx, headers)

	// The receiving process: its step's context continues the same trace.
	got := trace.SpanContextFromContext(extract(context.Background(), headers))
	fmt.Println("headers:", len(headers["traceparent"]))
	fmt.Println("same trace:", got.TraceID() == span.SpanContext().TraceID())
	fmt.Println("parent is the message span:", got.SpanID() == span.SpanContext().SpanID(), got.IsRemote())
	// Output:
	// headers: 1
	// same trace: true
	// parent is the message span: true true
}
