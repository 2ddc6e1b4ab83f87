package batonotel_test

import (
	"context"
	"errors"
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

// An Observer for one pipeline, reporting to an in-memory exporter and a manual metric reader.
// In a program, pass the providers that export to your collector (or none, for the global ones).
func ExampleNewObserver() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp), batonotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}

	flaky := 0
	p, _ := baton.New([]baton.Stage[string]{
		baton.Func("upper", func(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil }),
		baton.Func("send", func(_ context.Context, s string) (string, error) {
			if flaky++; flaky == 1 {
				return "", errors.New("connection reset")
			}
			return s + "!", nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})),
	}, baton.WithObserver(obs), baton.WithStrategy(baton.Choreographed))
	out, err := p.Process(context.Background(), "hello")
	p.Close()
	fmt.Println(out, err)

	spans := exp.GetSpans()
	sort.Slice(spans, func(i, j int) bool { return spans[i].StartTime.Before(spans[j].StartTime) })
	for _, s := range spans {
		indent := ""
		if s.Parent.IsValid() {
			indent = "  "
		}
		var outcome string
		for _, kv := range s.Attributes {
			if kv.Key == batonotel.KeyOutcome {
				outcome = kv.Value.AsString()
			}
		}
		fmt.Printf("%s%s %s %s\n", indent, s.Name, outcome, s.Status.Code)
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, dp := range sum.DataPoints {
				stage, _ := dp.Attributes.Value(batonotel.KeyStage)
				fmt.Println(m.Name, stage.AsString(), dp.Value)
			}
		}
	}
	// Unordered output:
	// HELLO! <nil>
	// baton.message succeeded Unset
	//   baton.step/upper succeeded Unset
	//   baton.step/send retried Error
	//   baton.step/send succeeded Unset
	// baton.step.processed upper 1
	// baton.step.processed send 1
	// baton.step.retried send 1
}
