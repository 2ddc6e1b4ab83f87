package temporal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
)

// traceStages: a starts a span of its own from its context; b fails its first attempt for
// orders whose N is a multiple of 3 (retried inside its activity); c fails orders whose N is a
// multiple of 4, so that b and a are compensated.
func traceStages(tp trace.TracerProvider) []baton.Stage[order] {
	var mu sync.Mutex
	tries := map[int]int{}
	undo := func(context.Context, order) error { return nil }
	return []baton.Stage[order]{
		baton.Compensable(baton.Func("a", func(ctx context.Context, o order) (order, error) {
			_, span := tp.Tracer("stage").Start(ctx, "a's own work")
			span.End()
			return o, nil
		}), undo),
		baton.Compensable(baton.Func("b", func(_ context.Context, o order) (order, error) {
			mu.Lock()
			tries[o.N]++
			n := tries[o.N]
			mu.Unlock()
			if o.N%3 == 0 && n == 1 {
				return o, errBoom
			}
			return o, nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})), undo),
		baton.Func("c", func(_ context.Context, o order) (order, error) {
			if o.N%4 == 0 {
				return o, errBoom
			}
			return o, nil
		}),
	}
}

// traced is a pipeline of traceStages with its own tracer provider and Observer.
type traced struct {
	p   *baton.Pipeline[order]
	exp *tracetest.InMemoryExporter
	tp  *sdktrace.TracerProvider
}

func newTraced(t *testing.T, opts ...baton.Option) *traced {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	p, err := baton.New(traceStages(tp), append([]baton.Option{baton.WithObserver(obs)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &traced{p: p, exp: exp, tp: tp}
}

// run submits orders 1..n under ctx and returns the order of each message ID.
func (tr *traced) run(t *testing.T, ctx context.Context, n int) map[int64]int {
	t.Helper()
	var in []order
	for i := 1; i <= n; i++ {
		in = append(in, order{N: i})
	}
	byMsg := map[int64]int{}
	for r := range tr.p.Run(ctx, slices.Values(in)) {
		byMsg[int64(r.ID)] = r.Value.N
		if failed := r.Err != nil; failed != (r.Value.N%4 == 0) {
			t.Errorf("order %d: %v", r.Value.N, r.Err)
		}
	}
	if len(byMsg) != n {
		t.Fatalf("%d results for %d orders", len(byMsg), n)
	}
	return byMsg
}

// underMessages groups spans by the order whose message span is their parent, or their
// parent's parent (a stage's own span, under its step's), in the same trace; orphans are the
// spans that are no message's. byMsg maps the message spans' baton.message to orders.
func underMessages(spans tracetest.SpanStubs, byMsg map[int64]int) (got map[int][]string, orphans []string) {
	type id struct {
		trace trace.TraceID
		span  trace.SpanID
	}
	parentOf := map[id]id{}
	msgs := map[id]int{}
	for _, s := range spans {
		me := id{s.SpanContext.TraceID(), s.SpanContext.SpanID()}
		parentOf[me] = id{s.SpanContext.TraceID(), s.Parent.SpanID()}
		if s.Name == batonotel.SpanMessage {
			msgs[me] = byMsg[attrInt(s.Attributes, batonotel.KeyMessage)]
		}
	}
	got = map[int][]string{}
	for _, s := range spans {
		if s.Name == batonotel.SpanMessage || s.Name == "request" {
			continue
		}
		p := id{s.SpanContext.TraceID(), s.Parent.SpanID()}
		n, ok := msgs[p]
		if !ok {
			n, ok = msgs[parentOf[p]]
		}
		if !ok {
			orphans = append(orphans, s.Name)
			continue
		}
		got[n] = append(got[n], s.Name)
	}
	for _, v := range got {
		sort.Strings(v)
	}
	return got, orphans
}

func attrInt(kvs []attribute.KeyValue, k attribute.Key) int64 {
	for _, kv := range kvs {
		if kv.Key == k {
			return kv.Value.AsInt64()
		}
	}
	return -1
}

// A message's trace spans its workflow: a client pipeline submits (its engine starts the
// workflows), a worker pipeline — its own engine, tracer provider and Observer — runs the
// workflow and every step's activity on the SDK's test environment, and every span the worker
// makes for a message is in the caller's trace, under the message's span in the client: the
// same spans as in process. The trace context is part of the workflow's input, so it survives
// continue-as-new (after every second action here). Without WithPropagation the worker's spans
// are roots of traces of their own, and the check fails.
func TestTraceSpansTheWorkflow(t *testing.T) {
	const n = 12
	inProcess := newTraced(t)
	byMsg := inProcess.run(t, context.Background(), n)
	if err := inProcess.p.Close(); err != nil {
		t.Fatal(err)
	}
	want, orphans := underMessages(inProcess.exp.GetSpans(), byMsg)
	if len(orphans) != 0 || len(want) != n {
		t.Fatalf("in process: %d orders with spans, orphans %v", len(want), orphans)
	}

	for _, propagate := range []bool{true, false} {
		t.Run(fmt.Sprintf("propagate=%v", propagate), func(t *testing.T) {
			opts := []Option{WithoutWorker(), WithContinueAsNewAfter(2)}
			if propagate {
				opts = append(opts, WithPropagation(batonotel.Propagation[map[string][]string](nil)))
			}
			wo := newOptions(append([]Option{WithOrigin("worker")}, opts...))
			co := newOptions(append([]Option{WithOrigin("client")}, opts...))
			if err := errors.Join(wo.err(), co.err()); err != nil {
				t.Fatal(err)
			}
			we, ce := newEngine(nil, wo), newEngine(nil, co)
			var runs atomic.Int64
			ce.start = func(_ context.Context, so client.StartWorkflowOptions, in messageInput) (client.WorkflowRun, error) {
				return &testRun{t: t, e: we, id: so.ID, in: in, runs: &runs}, nil // the worker's workflow
			}
			worker := newTraced(t, baton.WithEngine(we))
			clientSide := newTraced(t, baton.WithEngine(ce))
			ctx, caller := clientSide.tp.Tracer("test").Start(context.Background(), "request")
			byMsg := clientSide.run(t, ctx, n)
			caller.End()
			if err := clientSide.p.Close(); err != nil {
				t.Fatal(err)
			}
			if err := worker.p.Close(); err != nil {
				t.Fatal(err)
			}
			if runs.Load() <= n {
				t.Errorf("%d workflow runs for %d messages: no continue-as-new", runs.Load(), n)
			}
			for _, s := range clientSide.exp.GetSpans() {
				if s.Name != batonotel.SpanMessage && s.Name != "request" {
					t.Errorf("the client made a span %q: it runs no step", s.Name)
				}
			}
			got, orphans := underMessages(append(clientSide.exp.GetSpans(), worker.exp.GetSpans()...), byMsg)
			if !propagate {
				if len(orphans) == 0 || len(got) != 0 {
					t.Errorf("without propagation: %d orphans, %d orders with children; want every worker span an orphan", len(orphans), len(got))
				}
				return
			}
			if len(orphans) != 0 {
				t.Errorf("spans of the worker that are no message's: %v", orphans)
			}
			for i := 1; i <= n; i++ {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("order %d: spans under its message\n%v\nwant, as in process,\n%v", i, got[i], want[i])
				}
			}
			for _, s := range worker.exp.GetSpans() {
				if s.SpanContext.TraceID() != caller.SpanContext().TraceID() {
					t.Errorf("worker span %q is not in the caller's trace", s.Name)
				}
			}
		})
	}
}

// WithPropagation refuses a nil hook.
func TestWithPropagationRefusesNil(t *testing.T) {
	inject, extract := batonotel.Propagation[map[string][]string](nil)
	for _, o := range []Option{WithPropagation(nil, extract), WithPropagation(inject, nil)} {
		if _, err := New(nil, o); !errors.Is(err, baton.ErrInvalidPipeline) {
			t.Errorf("New: %v, want ErrInvalidPipeline", err)
		}
	}
}
