package batonotel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

// order is the tests' message. Its ID decides what happens to it (see orderStages).
type order struct {
	ID   int
	Path []string
}

// orderStages: reserve and charge can be undone; charge fails its first attempt when ID%3 == 1;
// route inserts audit when ID%3 == 2; the optional audit fails for ID 5; ship fails when
// ID%4 == 3, and then charge's refund fails for ID 7, and reserve's release fails its first
// attempt for ID 11 and is retried.
func orderStages() []baton.Stage[order] {
	var mu sync.Mutex
	charged, released := map[int]int{}, map[int]int{}
	step := func(name string, fail func(order) error, opts ...baton.StageOption) baton.Stage[order] {
		return baton.Func(name, func(_ context.Context, o order) (order, error) {
			if err := fail(o); err != nil {
				return o, err
			}
			o.Path = slices.Concat(o.Path, []string{name})
			return o, nil
		}, opts...)
	}
	never := func(order) error { return nil }
	return []baton.Stage[order]{
		baton.Compensable(step("reserve", never,
			baton.CompensationRetry(baton.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond})),
			func(_ context.Context, o order) error {
				mu.Lock()
				defer mu.Unlock()
				if released[o.ID]++; o.ID == 11 && released[o.ID] == 1 {
					return errors.New("warehouse offline")
				}
				return nil
			}),
		baton.Compensable(step("charge", func(o order) error {
			mu.Lock()
			defer mu.Unlock()
			charged[o.ID]++
			if o.ID%3 == 1 && charged[o.ID] == 1 {
				return errors.New("card declined")
			}
			return nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond})),
			func(_ context.Context, o order) error {
				if o.ID == 7 {
					return errors.New("refund refused")
				}
				return nil
			}),
		baton.SlipFunc("route", func(_ context.Context, o order, s *baton.Slip) (order, error) {
			if o.ID%3 == 2 {
				return o, s.InsertNext("audit")
			}
			return o, nil
		}),
		step("audit", func(o order) error {
			if o.ID == 5 {
				return errors.New("auditor away")
			}
			return nil
		}, baton.Optional()),
		step("ship", func(o order) error {
			if o.ID%4 == 3 {
				return errors.New("no courier")
			}
			return nil
		}),
	}
}

func orders(n int) []order {
	out := make([]order, n)
	for i := range out {
		out[i].ID = i
	}
	return out
}

// run is one pipeline run under s, observed, with what it recorded.
type run struct {
	spans   tracetest.SpanStubs
	metrics metricdata.ResourceMetrics
	stats   baton.Stats
	results []baton.Result[order]
}

func runObserved(t *testing.T, s baton.Strategy, n int) run {
	t.Helper()
	o := newObserved(t)
	p := orderPipeline(t, s, o.obs)
	r := runOrders(t, p, n)
	require.NoError(t, p.Close())
	r.stats = p.Stats()
	r.spans, r.metrics = o.collect(t)
	return r
}

// orderPipeline is a pipeline of orderStages observed by obs, with the options given.
func orderPipeline(t *testing.T, s baton.Strategy, obs baton.Observer, opts ...baton.Option) *baton.Pipeline[order] {
	t.Helper()
	p, err := baton.New(orderStages(), slices.Concat([]baton.Option{baton.WithStrategy(s), baton.WithObserver(obs),
		baton.WithRouter(func(order) []string { return []string{"reserve", "charge", "route", "ship"} }),
		baton.WithSubmissionOrder()}, opts)...)
	require.NoError(t, err)
	return p
}

// runOrders runs orders(n) through p.
func runOrders(t *testing.T, p *baton.Pipeline[order], n int) run {
	var r run
	for res := range p.Run(t.Context(), slices.Values(orders(n))) {
		r.results = append(r.results, res)
	}
	return r
}

// observed is an Observer reporting to an in-memory exporter and a manual reader.
type observed struct {
	obs    *batonotel.Observer
	exp    *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
	ignore goleak.Option
}

func newObserved(t *testing.T) *observed {
	t.Helper()
	o := &observed{ignore: goleak.IgnoreCurrent(), exp: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	o.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(o.exp))
	o.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader))
	var err error
	o.obs, err = batonotel.NewObserver(batonotel.WithTracerProvider(o.tp), batonotel.WithMeterProvider(o.mp))
	require.NoError(t, err)
	return o
}

// collect returns what o recorded, once the pipelines it observes are closed, and shuts it down.
func (o *observed) collect(t *testing.T) (tracetest.SpanStubs, metricdata.ResourceMetrics) {
	t.Helper()
	assert.Zero(t, batonotel.OpenMessages(o.obs), "no message's spans are kept after it finished")
	spans := o.exp.GetSpans()
	var rm metricdata.ResourceMetrics
	require.NoError(t, o.reader.Collect(context.Background(), &rm))
	require.NoError(t, o.tp.Shutdown(context.Background()))
	require.NoError(t, o.mp.Shutdown(context.Background()))
	goleak.VerifyNone(t, o.ignore)
	return spans, rm
}

// span is a span as the tests compare it: no IDs, no times.
type span struct {
	Name     string
	Attrs    string
	Status   string
	Events   []string
	Children []*span
}

// trees checks the spans' parentage and returns each message's span tree by message number,
// for spans of one unnamed pipeline.
func trees(t *testing.T, spans tracetest.SpanStubs) map[int64]*span {
	t.Helper()
	out := map[int64]*span{}
	for id, n := range pipelineTrees(t, spans) {
		assert.Empty(t, id.pipeline, "an unnamed pipeline's spans have no baton.pipeline")
		out[id.message] = n
	}
	return out
}

// msgID names a message among those of several pipelines.
type msgID struct {
	pipeline string
	message  int64
}

// pipelineTrees checks the spans' parentage and returns each message's span tree by pipeline
// name and message number.
func pipelineTrees(t *testing.T, spans tracetest.SpanStubs) map[msgID]*span {
	t.Helper()
	roots := map[string]*span{} // by span ID
	byID := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID().String()] = s
	}
	out := map[msgID]*span{}
	for _, s := range spans {
		if s.Name != batonotel.SpanMessage {
			continue
		}
		assert.False(t, s.Parent.IsValid(), "a message span is a root")
		n := convert(s)
		roots[s.SpanContext.SpanID().String()] = n
		var id msgID
		for _, kv := range s.Attributes {
			switch kv.Key {
			case batonotel.KeyMessage:
				id.message = kv.Value.AsInt64()
			case batonotel.KeyPipeline:
				id.pipeline = kv.Value.AsString()
			}
		}
		assert.NotContains(t, out, id, "one message span per message")
		out[id] = n
	}
	children := map[string][]tracetest.SpanStub{}
	for _, s := range spans {
		if s.Name == batonotel.SpanMessage {
			continue
		}
		pid := s.Parent.SpanID().String()
		require.Contains(t, roots, pid, "span %s's parent is a message span", s.Name)
		assert.Equal(t, byID[pid].SpanContext.TraceID(), s.SpanContext.TraceID(), "one trace per message")
		assert.False(t, s.StartTime.Before(byID[pid].StartTime), "a child starts within its message")
		assert.False(t, s.EndTime.After(byID[pid].EndTime), "a child ends within its message")
		children[pid] = append(children[pid], s)
	}
	for pid, cs := range children {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].StartTime.Before(cs[j].StartTime) })
		for _, c := range cs {
			roots[pid].Children = append(roots[pid].Children, convert(c))
		}
	}
	return out
}

func convert(s tracetest.SpanStub) *span {
	var attrs []string
	for _, kv := range s.Attributes {
		if kv.Key == batonotel.KeyMessage {
			continue // numbers differ between runs only in that they are numbers
		}
		attrs = append(attrs, string(kv.Key)+"="+kv.Value.String())
	}
	sort.Strings(attrs)
	n := &span{Name: s.Name, Attrs: strings.Join(attrs, " "), Status: s.Status.Code.String()}
	if s.Status.Code == codes.Error {
		n.Status += ": " + s.Status.Description
	}
	for _, e := range s.Events {
		ev := e.Name
		for _, kv := range e.Attributes {
			switch kv.Key {
			case "exception.message", batonotel.KeyRemaining, batonotel.KeyBackoff, batonotel.KeyAttempt:
				ev += " " + string(kv.Key) + "=" + kv.Value.String()
			}
		}
		n.Events = append(n.Events, ev)
	}
	return n
}

func (s *span) String() string {
	var b strings.Builder
	var walk func(s *span, indent string)
	walk = func(s *span, indent string) {
		fmt.Fprintf(&b, "%s%s [%s] %s %v\n", indent, s.Name, s.Attrs, s.Status, s.Events)
		for _, c := range s.Children {
			walk(c, indent+"  ")
		}
	}
	walk(s, "")
	return b.String()
}

func TestSpansAreTheSameUnderBothStrategies(t *testing.T) {
	const n = 40
	var got []map[int64]*span
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		t.Run(s.String(), func(t *testing.T) {
			r := runObserved(t, s, n)
			tr := trees(t, r.spans)
			require.Len(t, tr, n, "one message span per message")
			// Remove the strategy, the one attribute that must differ.
			for _, root := range tr {
				stripStrategy(t, root, s)
			}
			got = append(got, tr)
		})
	}
	require.Len(t, got, 2)
	for m := int64(1); m <= n; m++ {
		assert.Equal(t, got[0][m].String(), got[1][m].String(), "message %d", m)
	}

	// Run submits in order, so message m is order m-1.
	errStatus := func(msg string) string { return "Error: " + msg }
	ok := func(stage string) string {
		return fmt.Sprintf("baton.step/%s [baton.attempt=1 baton.outcome=succeeded baton.stage=%s] Unset []\n", stage, stage)
	}
	// Order 1: charge fails once, is retried, and the order goes through.
	assert.Equal(t, "baton.message [baton.outcome=succeeded] Unset []\n"+
		"  "+ok("reserve")+
		"  baton.step/charge [baton.attempt=1 baton.outcome=retried baton.stage=charge] "+errStatus("card declined")+
		" [exception exception.message=card declined retry scheduled baton.backoff=1ms]\n"+
		"  baton.step/charge [baton.attempt=2 baton.outcome=succeeded baton.stage=charge] Unset []\n"+
		"  "+ok("route")+"  "+ok("ship"),
		got[0][2].String())
	// Order 5: the slip is revised to audit, the optional audit fails, the order goes on.
	assert.Equal(t, "baton.message [baton.outcome=succeeded] Unset [slip revised baton.remaining=[\"audit\",\"ship\"]]\n"+
		"  "+ok("reserve")+"  "+ok("charge")+"  "+ok("route")+
		"  baton.step/audit [baton.attempt=1 baton.outcome=tolerated baton.stage=audit] "+errStatus("auditor away")+
		" [exception exception.message=auditor away]\n"+
		"  "+ok("ship"),
		got[0][6].String())
	// Order 7: charge is retried, ship fails, charge's refund fails, reserve is undone.
	assert.Equal(t, "baton.message [baton.outcome=failed] "+errStatus(got[0][8].Status[len("Error: "):])+
		" [exception exception.message="+got[0][8].Status[len("Error: "):]+"]\n"+
		"  "+ok("reserve")+
		"  baton.step/charge [baton.attempt=1 baton.outcome=retried baton.stage=charge] "+errStatus("card declined")+
		" [exception exception.message=card declined retry scheduled baton.backoff=1ms]\n"+
		"  baton.step/charge [baton.attempt=2 baton.outcome=succeeded baton.stage=charge] Unset []\n"+
		"  "+ok("route")+
		"  baton.step/ship [baton.attempt=1 baton.outcome=failed baton.stage=ship] "+errStatus("no courier")+
		" [exception exception.message=no courier]\n"+
		"  baton.compensate/charge [baton.attempt=1 baton.outcome=compensation failed baton.stage=charge] "+errStatus("refund refused")+
		" [exception exception.message=refund refused]\n"+
		"  baton.compensate/reserve [baton.attempt=1 baton.outcome=compensated baton.stage=reserve] Unset []\n",
		got[0][8].String())
	assert.Contains(t, got[0][8].Status, "no courier", "the message's status carries its error")
	// Order 11: ship fails; reserve's release fails once and is retried.
	tr := got[0][12]
	require.Len(t, tr.Children, 7, tr.String())
	assert.Equal(t, "baton.compensate/reserve [baton.attempt=2 baton.outcome=compensated baton.stage=reserve] Unset "+
		"[exception exception.message=warehouse offline retry scheduled baton.attempt=1 baton.backoff=1ms]",
		strings.TrimSpace(tr.Children[6].String()))
}

// stripStrategy checks every span of the tree says strategy s and removes it from the attributes.
func stripStrategy(t *testing.T, n *span, s baton.Strategy) {
	attr := "baton.strategy=" + s.String()
	assert.Contains(t, n.Attrs, attr, n.Name)
	n.Attrs = strings.TrimSpace(strings.Replace(strings.Replace(n.Attrs, attr, "", 1), "  ", " ", 1))
	for _, c := range n.Children {
		stripStrategy(t, c, s)
	}
}

// sums adds up each metric's data points by the given attributes.
func sums(t *testing.T, rm metricdata.ResourceMetrics, strategy baton.Strategy) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	key := func(name string, set attribute.Set) string {
		v, ok := set.Value(batonotel.KeyStrategy)
		assert.True(t, ok)
		assert.Equal(t, strategy.String(), v.AsString())
		k := name
		if v, ok := set.Value(batonotel.KeyPipeline); ok {
			k = v.AsString() + ": " + k
		}
		for _, a := range []attribute.Key{batonotel.KeyStage, batonotel.KeyOutcome} {
			if v, ok := set.Value(a); ok {
				k += " " + v.AsString()
			}
		}
		return k
	}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, batonotel.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				assert.True(t, d.IsMonotonic, m.Name)
				for _, dp := range d.DataPoints {
					out[key(m.Name, dp.Attributes)] += dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					out[key(m.Name, dp.Attributes)] += int64(dp.Count)
					assert.Positive(t, dp.Sum, m.Name)
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	const n = 40
	var got []map[string]int64
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		t.Run(s.String(), func(t *testing.T) {
			r := runObserved(t, s, n)
			m := sums(t, r.metrics, s)
			// The counters agree with the pipeline's own Stats.
			for _, st := range r.stats.Stages {
				assert.Equal(t, st.Processed, m["baton.step.processed "+st.Name], st.Name)
				assert.Equal(t, st.Failed, m["baton.step.failed "+st.Name+" failed"]+m["baton.step.failed "+st.Name+" tolerated"], st.Name)
				assert.Equal(t, st.Retried, m["baton.step.retried "+st.Name], st.Name)
				assert.Equal(t, st.Compensated, m["baton.compensations "+st.Name+" compensated"], st.Name)
				assert.Equal(t, st.CompensationFailed, m["baton.compensations "+st.Name+" compensation failed"], st.Name)
			}
			failed := 0
			for _, res := range r.results {
				if res.Err != nil {
					failed++
				}
			}
			got = append(got, m)
			// IDs 0..39: charge retried when ID%3 == 1 (13), audit when ID%3 == 2 (13) and
			// tolerated for ID 5, ship fails when ID%4 == 3 (10), charge's refund fails for ID 7.
			assert.Equal(t, map[string]int64{
				"baton.step.processed reserve": n, "baton.step.processed charge": n,
				"baton.step.processed route": n, "baton.step.processed audit": 12,
				"baton.step.processed ship":         n - 10,
				"baton.step.failed audit tolerated": 1, "baton.step.failed ship failed": 10,
				"baton.step.retried charge":               13,
				"baton.step.retried reserve":              1, // its compensation, for ID 11
				"baton.compensations reserve compensated": 10, "baton.compensations charge compensated": 9,
				"baton.compensations charge compensation failed": 1,
				// Histograms count every attempt.
				"baton.step.duration reserve succeeded": n, "baton.step.duration charge succeeded": n,
				"baton.step.duration charge retried": 13, "baton.step.duration route succeeded": n,
				"baton.step.duration audit succeeded": 12, "baton.step.duration audit tolerated": 1,
				"baton.step.duration ship succeeded": n - 10, "baton.step.duration ship failed": 10,
				"baton.message.duration succeeded": n - 10, "baton.message.duration failed": 10,
			}, m)
			assert.Equal(t, 10, failed)
			var retried int64
			for _, st := range r.stats.Stages {
				retried += st.Retried
			}
			assert.Equal(t, int64(14), retried, "Stats count the compensation's retry")
		})
	}
	require.Len(t, got, 2)
	assert.Equal(t, got[0], got[1], "both strategies measure the same")
}

// Events of messages never accepted while observed, and Observe from many goroutines at once,
// are harmless.
func TestObserveConcurrentlyAndOutOfOrder(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
	require.NoError(t, err)
	obs.Observe(baton.Event{Kind: baton.StepStarted, Message: 99, Stage: "x", Attempt: 1, Time: time.Now()})
	obs.Observe(baton.Event{Kind: baton.MessageFinished, Message: 99, Time: time.Now()})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				m := uint64(g*1000 + i + 1)
				now := time.Now()
				obs.Observe(baton.Event{Kind: baton.MessageAccepted, Message: m, Time: now})
				obs.Observe(baton.Event{Kind: baton.StepStarted, Message: m, Stage: "a", Attempt: 1, Time: now})
				// A StepEnded that never comes: the step's span is closed with the message.
				obs.Observe(baton.Event{Kind: baton.MessageFinished, Message: m, Time: time.Now()})
			}
		})
	}
	wg.Wait()
	assert.Zero(t, batonotel.OpenMessages(obs))
	assert.Len(t, exp.GetSpans(), 8*200*2)
}
