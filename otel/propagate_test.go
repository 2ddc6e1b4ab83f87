package batonotel_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// natsLike is a header map of its own type, as nats.Header is.
type natsLike map[string][]string

// Propagation writes W3C Trace Context by default, under the propagator's lower-case names,
// and reads it back into a remote span context; an empty or nil header leaves ctx as it was.
func TestPropagationRoundTrip(t *testing.T) {
	inject, extract := batonotel.Propagation[natsLike](nil)
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "send")
	defer span.End()

	h := natsLike{"Baton-Id": {"7"}}
	inject(ctx, h)
	require.Len(t, h["traceparent"], 1, "headers %v", h)
	assert.Equal(t, []string{"7"}, h["Baton-Id"], "other headers are kept")

	got := trace.SpanContextFromContext(extract(context.Background(), h))
	assert.True(t, got.IsRemote())
	assert.Equal(t, span.SpanContext().TraceID(), got.TraceID())
	assert.Equal(t, span.SpanContext().SpanID(), got.SpanID())

	for _, empty := range []natsLike{nil, {}} {
		ctx := context.WithValue(context.Background(), ctxKey{}, 1)
		assert.Equal(t, ctx, extract(ctx, empty))
		inject(ctx, empty) // no span: nothing to write, and no panic on nil
	}
	inject(context.Background(), h) // no span in ctx: the old trace context stays
	assert.Len(t, h["traceparent"], 1)
}

type ctxKey struct{}

// Headers are read whatever the case of their names (an http.Header canonicalizes them), and a
// header written replaces one of the same name in another case.
func TestPropagationHeaderCase(t *testing.T) {
	inject, extract := batonotel.Propagation[http.Header](nil)
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "send")
	defer span.End()

	h := http.Header{}
	h.Set("traceparent", "00-00000000000000000000000000000001-0000000000000001-01") // as Traceparent
	inject(ctx, h)
	assert.Equal(t, []string{"traceparent"}, slices.Collect(mapKeys(h)), "one header, under its W3C name")
	got := trace.SpanContextFromContext(extract(context.Background(), http.Header{"Traceparent": h["traceparent"]}))
	assert.Equal(t, span.SpanContext().SpanID(), got.SpanID(), "read under another case")
}

func mapKeys[M ~map[string][]string](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// The propagator given is the one used: a composite with Baggage carries baggage too.
func TestPropagationWithAGivenPropagator(t *testing.T) {
	inject, extract := batonotel.Propagation[map[string][]string](propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	m, err := baggage.NewMember("tenant", "acme")
	require.NoError(t, err)
	b, err := baggage.New(m)
	require.NoError(t, err)
	h := map[string][]string{}
	inject(baggage.ContextWithBaggage(context.Background(), b), h)
	assert.Equal(t, "acme", baggage.FromContext(extract(context.Background(), h)).Member("tenant").Value())
}

// wire is a message system between the processes of these tests, in memory: each process is a
// pipeline with its own tracer provider and Observer, and its own engine. The headers of a
// hand-off carry the trace context, through Propagation or not at all; every step runs in the
// process named runner.
type wire struct {
	mu      sync.Mutex
	hosts   map[string]baton.Host
	runner  string
	inject  func(context.Context, map[string][]string)
	extract func(context.Context, map[string][]string) context.Context
	wg      sync.WaitGroup
}

type wireEngine struct {
	w      *wire
	origin string
}

func (e *wireEngine) Strategy() baton.Strategy { return baton.Choreographed }
func (e *wireEngine) Attach(h baton.Host) error {
	e.w.mu.Lock()
	defer e.w.mu.Unlock()
	e.w.hosts[e.origin] = h
	return nil
}
func (e *wireEngine) Close() error { return nil }

// Send carries the message from step to step in the runner process, then back to its submitter.
func (e *wireEngine) Send(ctx context.Context, env baton.Envelope) error {
	w := e.w
	env.Origin = e.origin
	h := map[string][]string{}
	if w.inject != nil {
		w.inject(ctx, h)
	}
	w.mu.Lock()
	runner, submitter := w.hosts[w.runner], w.hosts[e.origin]
	w.mu.Unlock()
	w.wg.Go(func() {
		for env.Stage != "" {
			sctx := context.Background() // what the runner's consumer has: nothing of the submitter's
			if w.extract != nil {
				sctx = w.extract(sctx, h)
			}
			env.Local = e.origin == w.runner
			out, err := runner.Step(sctx, env)
			if err != nil {
				_ = submitter.Lost(env.ID, err)
				return
			}
			env = out
		}
		env.Local = true
		_ = submitter.Deliver(env)
	})
	return nil
}

// process is one process of the wire: a pipeline of orderStages, and what its Observer exported.
type process struct {
	p   *baton.Pipeline[order]
	exp *tracetest.InMemoryExporter
	obs *batonotel.Observer
}

func newProcess(t *testing.T, w *wire, origin string) *process {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
	require.NoError(t, err)
	p, err := baton.New(orderStages(), baton.WithObserver(obs), baton.WithEngine(&wireEngine{w: w, origin: origin}), baton.WithName("orders"))
	require.NoError(t, err)
	return &process{p: p, exp: exp, obs: obs}
}

// msgRef names a message among those of several processes: the submitter's index and the
// message's ID there.
type msgRef struct {
	proc int
	id   uint64
}

// children groups the step and compensation spans every process exported under the message
// spans of the submitting processes, by parent: a span's trace and parent must be a message
// span's. orphans are the spans that are no message's child.
func children(submitters []*process, all ...*process) (kids map[msgRef][]string, orphans []string) {
	type parent struct {
		trace trace.TraceID
		span  trace.SpanID
	}
	msgs := map[parent]msgRef{}
	for i, p := range submitters {
		for _, s := range p.exp.GetSpans() {
			if s.Name == batonotel.SpanMessage {
				msgs[parent{s.SpanContext.TraceID(), s.SpanContext.SpanID()}] = msgRef{i, uint64(attrInt(s, batonotel.KeyMessage))}
			}
		}
	}
	kids = map[msgRef][]string{}
	for _, p := range all {
		for _, s := range p.exp.GetSpans() {
			if s.Name == batonotel.SpanMessage {
				continue
			}
			ref, ok := msgs[parent{s.SpanContext.TraceID(), s.Parent.SpanID()}]
			if !ok {
				orphans = append(orphans, s.Name)
				continue
			}
			kids[ref] = append(kids[ref], s.Name)
		}
	}
	for _, v := range kids {
		sort.Strings(v)
	}
	return kids, orphans
}

func attrInt(s tracetest.SpanStub, k attribute.Key) int64 {
	for _, kv := range s.Attributes {
		if kv.Key == k {
			return kv.Value.AsInt64()
		}
	}
	return -1
}

// submitOrders submits orders to p and returns the order ID of each message ID.
func submitOrders(t *testing.T, p *baton.Pipeline[order], ids []int) map[uint64]int {
	t.Helper()
	var in []order
	for _, id := range ids {
		in = append(in, order{ID: id})
	}
	byMsg := map[uint64]int{}
	for r := range p.Run(context.Background(), slices.Values(in)) {
		byMsg[r.ID] = r.Value.ID
	}
	require.Len(t, byMsg, len(ids))
	return byMsg
}

// inProcessChildren is what the spans of orders say in process: the step and compensation
// spans under each order's message span, by order ID.
func inProcessChildren(t *testing.T, ids []int) map[int][]string {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))))
	require.NoError(t, err)
	p, err := baton.New(orderStages(), baton.WithObserver(obs), baton.WithName("orders"), baton.WithStrategy(baton.Choreographed))
	require.NoError(t, err)
	byMsg := submitOrders(t, p, ids)
	require.NoError(t, p.Close())
	pr := &process{exp: exp}
	kids, orphans := children([]*process{pr}, pr)
	require.Empty(t, orphans)
	require.Len(t, kids, len(ids))
	want := map[int][]string{}
	for ref, v := range kids {
		want[byMsg[ref.id]] = v
	}
	return want
}

var orderIDs = func() []int {
	var ids []int
	for i := 1; i <= 24; i++ {
		ids = append(ids, i)
	}
	return ids
}()

// Across processes, with Propagation installed in every one: a client process submits, a
// worker process (its own pipeline, tracer provider and Observer) runs every step, and each
// step and compensation span the worker exports is a child of its message's span in the
// client — the same spans, under the same parents, as in process. Without propagation the
// worker's spans are roots of traces of their own: the check fails.
func TestPropagationMakesOneTraceAcrossProcesses(t *testing.T) {
	want := inProcessChildren(t, orderIDs)
	for _, propagate := range []bool{true, false} {
		t.Run(fmt.Sprintf("propagate=%v", propagate), func(t *testing.T) {
			w := &wire{hosts: map[string]baton.Host{}, runner: "worker"}
			if propagate {
				w.inject, w.extract = batonotel.Propagation[map[string][]string](nil)
			}
			worker := newProcess(t, w, "worker")
			client := newProcess(t, w, "client")
			byMsg := submitOrders(t, client.p, orderIDs)
			require.NoError(t, client.p.Close())
			require.NoError(t, worker.p.Close())
			w.wg.Wait()
			kids, orphans := children([]*process{client}, client, worker)
			if !propagate {
				assert.NotEmpty(t, orphans, "without propagation the worker's spans have no parent in the client")
				assert.Empty(t, kids)
				return
			}
			assert.Empty(t, orphans, "spans that are no message's child")
			for ref, id := range byMsg {
				assert.Equal(t, want[id], kids[msgRef{0, ref}], "order %d", id)
			}
			assert.Zero(t, batonotel.OpenMessages(worker.obs))
			assert.Zero(t, batonotel.OpenMessages(client.obs))
		})
	}
}

// A process that submits messages and also runs the steps of another process's messages sees
// the events of both, with the same message numbers: each step's spans go under its own
// message's span, never under the local message that has the same number.
func TestPropagationTellsLocalFromRemoteMessages(t *testing.T) {
	want := inProcessChildren(t, orderIDs)
	w := &wire{hosts: map[string]baton.Host{}, runner: "both"}
	w.inject, w.extract = batonotel.Propagation[map[string][]string](nil)
	both := newProcess(t, w, "both")
	client := newProcess(t, w, "client")
	var wg sync.WaitGroup
	var fromClient, fromBoth map[uint64]int
	wg.Go(func() { fromClient = submitOrders(t, client.p, orderIDs[:12]) })
	wg.Go(func() { fromBoth = submitOrders(t, both.p, orderIDs[12:]) })
	wg.Wait()
	require.NoError(t, client.p.Close())
	require.NoError(t, both.p.Close())
	w.wg.Wait()
	kids, orphans := children([]*process{client, both}, client, both)
	assert.Empty(t, orphans)
	for i, byMsg := range []map[uint64]int{fromClient, fromBoth} {
		for ref, id := range byMsg {
			assert.Equal(t, want[id], kids[msgRef{i, ref}], "order %d of process %d", id, i)
		}
	}
	assert.Zero(t, batonotel.OpenMessages(both.obs))
}

// BenchmarkPropagation: one hand-off's inject and extract of W3C Trace Context.
func BenchmarkPropagation(b *testing.B) {
	inject, extract := batonotel.Propagation[natsLike](nil)
	ctx, span := sdktrace.NewTracerProvider().Tracer("b").Start(context.Background(), "m")
	defer span.End()
	b.Run("inject", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			inject(ctx, natsLike{})
		}
	})
	h := natsLike{}
	inject(ctx, h)
	b.Run("extract", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = extract(context.Background(), h)
		}
	})
}
