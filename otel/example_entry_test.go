package batonotel_test

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// shout runs one message through a two-stage pipeline observed by obs.
func shout(obs *batonotel.Observer) {
	p, err := baton.New([]baton.Stage[string]{
		baton.Func("upper", func(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil }),
		baton.Func("bang", func(_ context.Context, s string) (string, error) { return s + "!", nil }),
	}, baton.WithObserver(obs))
	if err != nil {
		panic(err)
	}
	out, err := p.Process(context.Background(), "hello")
	_ = p.Close()
	fmt.Println(out, err)
}

// WithTracerProvider sends the Observer's spans — one per message, with a child per step — to
// the given provider instead of the global one; here one that records them in memory.
func ExampleWithTracerProvider() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
	if err != nil {
		panic(err)
	}
	shout(obs)

	var names []string
	for _, s := range exp.GetSpans() {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	fmt.Println(strings.Join(names, "\n"))
	// Output:
	// HELLO! <nil>
	// baton.message
	// baton.step/bang
	// baton.step/upper
}

// WithMeterProvider sends the Observer's measurements — per stage, the steps processed, failed
// and retried, the compensations and the steps' durations; the messages' durations — to the
// given provider instead of the global one; here one read by hand.
func ExampleWithMeterProvider() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	obs, err := batonotel.NewObserver(batonotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}
	shout(obs)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range sum.DataPoints {
					stage, _ := dp.Attributes.Value(batonotel.KeyStage)
					lines = append(lines, fmt.Sprint(m.Name, " ", stage.AsString(), " ", dp.Value))
				}
			}
		}
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// HELLO! <nil>
	// baton.step.processed bang 1
	// baton.step.processed upper 1
}
