package batonotel_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

var strategies = []baton.Strategy{baton.Orchestrated, baton.Choreographed}

// messageNumber is a message span's baton.message.
func messageNumber(s tracetest.SpanStub) int64 {
	for _, kv := range s.Attributes {
		if kv.Key == batonotel.KeyMessage {
			return kv.Value.AsInt64()
		}
	}
	return 0
}

// A span in the context given to Process or Stream is the parent of the message's span, and the
// message's step spans are in the caller's trace; without one, the message's span is a root.
func TestMessageSpanIsAChildOfTheCallersSpan(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			o := newObserved(t)
			p := orderPipeline(t, s, o.obs)

			ctx, request := o.tp.Tracer("test").Start(t.Context(), "request")
			_, err := p.Process(ctx, order{ID: 1}) // message 1: charge retried
			require.NoError(t, err)
			st := p.Stream(ctx) // messages 2 and 3: ship fails for ID 3
			for _, id := range []int{2, 3} {
				require.NoError(t, st.Submit(t.Context(), order{ID: id}))
			}
			st.CloseSend()
			n := 0
			for range st.Results() {
				n++
			}
			require.Equal(t, 2, n)
			request.End()

			// A parent propagated from another process.
			remote := trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6},
				TraceFlags: trace.FlagsSampled, Remote: true,
			})
			_, err = p.Process(trace.ContextWithRemoteSpanContext(t.Context(), remote), order{ID: 4}) // message 4
			require.NoError(t, err)
			_, err = p.Process(t.Context(), order{ID: 6}) // message 5: no parent
			require.NoError(t, err)
			require.NoError(t, p.Close())
			spans, _ := o.collect(t)

			byID := map[trace.SpanID]tracetest.SpanStub{}
			messages := map[int64]tracetest.SpanStub{}
			for _, sp := range spans {
				byID[sp.SpanContext.SpanID()] = sp
				if sp.Name == batonotel.SpanMessage {
					messages[messageNumber(sp)] = sp
				}
			}
			require.Len(t, messages, 5)
			want := request.SpanContext()
			for m := int64(1); m <= 3; m++ {
				msg := messages[m]
				assert.Equal(t, want.SpanID(), msg.Parent.SpanID(), "message %d is a child of the request", m)
				assert.Equal(t, want.TraceID(), msg.SpanContext.TraceID(), "message %d is in the request's trace", m)
				assert.False(t, msg.Parent.IsRemote())
			}
			assert.Equal(t, remote.SpanID(), messages[4].Parent.SpanID(), "a remote parent")
			assert.Equal(t, remote.TraceID(), messages[4].SpanContext.TraceID())
			assert.True(t, messages[4].Parent.IsRemote())
			assert.False(t, messages[5].Parent.IsValid(), "without a span in its context, a message's span is a root")
			assert.NotEqual(t, want.TraceID(), messages[5].SpanContext.TraceID())

			// Every step and compensation span is a child of its message's span, in its trace.
			children := map[int64][]string{}
			for _, sp := range spans {
				if sp.Name == batonotel.SpanMessage || sp.Name == "request" {
					continue
				}
				parent, ok := byID[sp.Parent.SpanID()]
				require.True(t, ok, sp.Name)
				require.Equal(t, batonotel.SpanMessage, parent.Name, sp.Name)
				assert.Equal(t, parent.SpanContext.TraceID(), sp.SpanContext.TraceID(), sp.Name)
				children[messageNumber(parent)] = append(children[messageNumber(parent)], sp.Name)
			}
			for _, c := range children {
				slices.Sort(c)
			}
			assert.Equal(t, map[int64][]string{
				1: {"baton.step/charge", "baton.step/charge", "baton.step/reserve", "baton.step/route", "baton.step/ship"},
				2: {"baton.step/audit", "baton.step/charge", "baton.step/reserve", "baton.step/route", "baton.step/ship"},
				3: {"baton.compensate/charge", "baton.compensate/reserve", "baton.step/charge", "baton.step/reserve",
					"baton.step/route", "baton.step/ship"},
				4: {"baton.step/charge", "baton.step/charge", "baton.step/reserve", "baton.step/route", "baton.step/ship"},
				5: {"baton.step/charge", "baton.step/reserve", "baton.step/route", "baton.step/ship"},
			}, children)
		})
	}
}

// parcelStages: weigh can be undone, and its undoing fails its first attempt when ID%5 == 4;
// label fails both its attempts when ID%5 == 4.
func parcelStages() []baton.Stage[order] {
	var mu sync.Mutex
	undone := map[int]int{}
	return []baton.Stage[order]{
		baton.Compensable(baton.Func("weigh", func(_ context.Context, o order) (order, error) {
			o.Path = append(o.Path, "weigh")
			return o, nil
		}, baton.CompensationRetry(baton.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond})),
			func(_ context.Context, o order) error {
				mu.Lock()
				defer mu.Unlock()
				if undone[o.ID]++; o.ID%5 == 4 && undone[o.ID] == 1 {
					return errors.New("scale stuck")
				}
				return nil
			}),
		baton.Func("label", func(_ context.Context, o order) (order, error) {
			if o.ID%5 == 4 {
				return o, errors.New("printer jammed")
			}
			o.Path = append(o.Path, "label")
			return o, nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond})),
	}
}

func parcelPipeline(t *testing.T, s baton.Strategy, obs baton.Observer) *baton.Pipeline[order] {
	t.Helper()
	p, err := baton.New(parcelStages(), baton.WithStrategy(s), baton.WithObserver(obs),
		baton.WithName("parcels"), baton.WithSubmissionOrder())
	require.NoError(t, err)
	return p
}

// Two pipelines with different names, sharing an Observer and running at once (so their
// message numbers coincide), get the same traces and measurements as each alone.
func TestPipelinesSharingAnObserver(t *testing.T) {
	const n = 40
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			pipelines := []func(baton.Observer) *baton.Pipeline[order]{
				func(obs baton.Observer) *baton.Pipeline[order] {
					return orderPipeline(t, s, obs, baton.WithName("orders"))
				},
				func(obs baton.Observer) *baton.Pipeline[order] { return parcelPipeline(t, s, obs) },
			}

			// Each alone, with its own Observer.
			aloneTrees := map[msgID]*span{}
			aloneMetrics := map[string]int64{}
			var aloneStats []baton.Stats
			for _, mk := range pipelines {
				o := newObserved(t)
				p := mk(o.obs)
				runOrders(t, p, n)
				require.NoError(t, p.Close())
				aloneStats = append(aloneStats, p.Stats())
				spans, rm := o.collect(t)
				tr := pipelineTrees(t, spans)
				require.Len(t, tr, n)
				for id, root := range tr {
					require.NotEmpty(t, id.pipeline, "a named pipeline's message span has baton.pipeline")
					aloneTrees[id] = root
				}
				for k, v := range sums(t, rm, s) {
					aloneMetrics[k] = v
				}
			}

			// Both at once, sharing one.
			o := newObserved(t)
			ps := []*baton.Pipeline[order]{pipelines[0](o.obs), pipelines[1](o.obs)}
			var wg sync.WaitGroup
			for _, p := range ps {
				wg.Go(func() { runOrders(t, p, n) })
			}
			wg.Wait()
			for _, p := range ps {
				require.NoError(t, p.Close())
			}
			spans, rm := o.collect(t)
			shared := pipelineTrees(t, spans)
			require.Len(t, shared, 2*n)
			for id, want := range aloneTrees {
				require.Contains(t, shared, id)
				assert.Equal(t, want.String(), shared[id].String(), "%s message %d", id.pipeline, id.message)
			}
			m := sums(t, rm, s)
			assert.Equal(t, aloneMetrics, m)

			// Each pipeline's measurements match its Stats.
			for i, name := range []string{"orders", "parcels"} {
				st := ps[i].Stats()
				for j, stage := range st.Stages {
					assert.Equal(t, aloneStats[i].Stages[j].Retried, stage.Retried)
					assert.Equal(t, stage.Processed, m[name+": baton.step.processed "+stage.Name], stage.Name)
					assert.Equal(t, stage.Retried, m[name+": baton.step.retried "+stage.Name], stage.Name)
					assert.Equal(t, stage.Compensated, m[name+": baton.compensations "+stage.Name+" compensated"], stage.Name)
				}
			}
			// Parcels: label retried and failed for IDs 4, 9, ... (8), and weigh's undoing retried.
			assert.Equal(t, int64(8), m["parcels: baton.step.retried label"])
			assert.Equal(t, int64(8), m["parcels: baton.step.retried weigh"])
			assert.Equal(t, int64(13), m["orders: baton.step.retried charge"])
			assert.Equal(t, "baton.message [baton.outcome=failed baton.pipeline=parcels] "+
				shared[msgID{"parcels", 5}].Status+" [exception exception.message="+shared[msgID{"parcels", 5}].Status[len("Error: "):]+"]\n"+
				"  baton.step/weigh [baton.attempt=1 baton.outcome=succeeded baton.pipeline=parcels baton.stage=weigh] Unset []\n"+
				"  baton.step/label [baton.attempt=1 baton.outcome=retried baton.pipeline=parcels baton.stage=label] Error: printer jammed "+
				"[exception exception.message=printer jammed retry scheduled baton.backoff=1ms]\n"+
				"  baton.step/label [baton.attempt=2 baton.outcome=failed baton.pipeline=parcels baton.stage=label] Error: printer jammed "+
				"[exception exception.message=printer jammed]\n"+
				"  baton.compensate/weigh [baton.attempt=2 baton.outcome=compensated baton.pipeline=parcels baton.stage=weigh] Unset "+
				"[exception exception.message=scale stuck retry scheduled baton.attempt=1 baton.backoff=1ms]\n",
				stripped(t, shared[msgID{"parcels", 5}], s))
		})
	}
}

// stripped is n's tree without the strategy attribute, which stripStrategy checks.
func stripped(t *testing.T, n *span, s baton.Strategy) string {
	c := *n
	c.Children = nil
	for _, ch := range n.Children {
		cc := *ch
		c.Children = append(c.Children, &cc)
	}
	stripStrategy(t, &c, s)
	return c.String()
}

// Retries of compensations are counted in baton.step.retried, as Stats count them, and recorded
// on the compensation's span, also when the compensation fails in the end.
func TestCompensationRetries(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			o := newObserved(t)
			attempts := 0
			p, err := baton.New([]baton.Stage[int]{
				baton.Compensable(baton.Func("book", func(_ context.Context, v int) (int, error) { return v, nil },
					baton.CompensationRetry(baton.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond})),
					func(_ context.Context, v int) error {
						if attempts++; v == 1 || attempts%3 != 0 {
							return errors.New("line busy")
						}
						return nil
					}),
				baton.Func("pay", func(_ context.Context, v int) (int, error) { return v, errors.New("no funds") }),
			}, baton.WithStrategy(s), baton.WithObserver(o.obs))
			require.NoError(t, err)
			_, err = p.Process(t.Context(), 0) // undone at the third attempt
			require.Error(t, err)
			_, err = p.Process(t.Context(), 1) // never undone
			require.Error(t, err)
			require.NoError(t, p.Close())
			spans, rm := o.collect(t)

			m := sums(t, rm, s)
			assert.Equal(t, int64(4), p.Stats().Stages[0].Retried)
			assert.Equal(t, p.Stats().Stages[0].Retried, m["baton.step.retried book"])
			assert.Equal(t, int64(1), m["baton.compensations book compensated"])
			assert.Equal(t, int64(1), m["baton.compensations book compensation failed"])

			tr := trees(t, spans)
			require.Len(t, tr, 2)
			retries := "exception exception.message=line busy retry scheduled baton.attempt=1 baton.backoff=1ms " +
				"exception exception.message=line busy retry scheduled baton.attempt=2 baton.backoff=1ms"
			assert.Equal(t, "baton.compensate/book [baton.attempt=3 baton.outcome=compensated baton.stage=book] Unset ["+
				retries+"]", lastChild(t, tr[1], s))
			assert.Equal(t, "baton.compensate/book [baton.attempt=3 baton.outcome=compensation failed baton.stage=book] "+
				"Error: line busy ["+retries+" exception exception.message=line busy]", lastChild(t, tr[2], s))
		})
	}
}

// lastChild is the last child of n, without the strategy attribute.
func lastChild(t *testing.T, n *span, s baton.Strategy) string {
	require.NotEmpty(t, n.Children)
	c := *n.Children[len(n.Children)-1]
	stripStrategy(t, &c, s)
	return strings.TrimSpace(c.String())
}

// A span a stage starts from its context is a child of its step's span (and a span started in a
// Compensate, of its compensation's span), under both strategies; the message span carries the
// message's key.
func TestStageSpansNestUnderTheStep(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			o := newObserved(t)
			tracer := o.tp.Tracer("stage")
			work := baton.Compensable(baton.Func("work", func(ctx context.Context, v int) (int, error) {
				_, sp := tracer.Start(ctx, "work.inner")
				sp.End()
				return v, nil
			}), func(ctx context.Context, v int) error {
				_, sp := tracer.Start(ctx, "undo.inner")
				sp.End()
				return nil
			})
			fail := baton.Func("fail", func(ctx context.Context, v int) (int, error) {
				if v == 2 {
					return v, errors.New("no")
				}
				return v, nil
			})
			p, err := baton.New([]baton.Stage[int]{work, fail}, baton.WithStrategy(s), baton.WithObserver(o.obs),
				baton.WithKey(func(v int) string { return "doc-" + string(rune('0'+v)) }))
			require.NoError(t, err)
			_, err = p.Process(t.Context(), 1)
			require.NoError(t, err)
			_, err = p.Process(t.Context(), 2)
			require.Error(t, err)
			require.NoError(t, p.Close())
			spans, _ := o.collect(t)
			byName := map[string][]tracetest.SpanStub{}
			byID := map[trace.SpanID]tracetest.SpanStub{}
			for _, sp := range spans {
				byName[sp.Name] = append(byName[sp.Name], sp)
				byID[sp.SpanContext.SpanID()] = sp
			}
			require.Len(t, byName["work.inner"], 2)
			for _, inner := range byName["work.inner"] {
				parent, ok := byID[inner.Parent.SpanID()]
				require.True(t, ok, "the stage's span has a recorded parent")
				assert.Equal(t, batonotel.SpanStep+"/work", parent.Name, "the stage's span is a child of its step's span")
			}
			require.Len(t, byName["undo.inner"], 1)
			parent := byID[byName["undo.inner"][0].Parent.SpanID()]
			assert.Equal(t, batonotel.SpanCompensate+"/work", parent.Name, "a span of Compensate is a child of the compensation's span")
			keys := map[string]bool{}
			for _, m := range byName[batonotel.SpanMessage] {
				for _, kv := range m.Attributes {
					if kv.Key == batonotel.KeyKey {
						keys[kv.Value.AsString()] = true
					}
				}
			}
			assert.Equal(t, map[string]bool{"doc-1": true, "doc-2": true}, keys, "message spans carry the key")
		})
	}
}
