package batonotel_test

import (
	"context"
	"testing"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkObserverStep measures what the Observer adds per step: a message of four no-op steps
// through Process (orchestrated), without an observer, with no-op providers, with the SDK never
// sampling, and with the SDK sampling every span into a no-op exporter and a manual reader.
func BenchmarkObserverStep(b *testing.B) {
	const steps = 4
	sdk := func(s sdktrace.Sampler) []batonotel.Option {
		return []batonotel.Option{
			batonotel.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(s),
				sdktrace.WithSyncer(tracetest.NewNoopExporter()))),
			batonotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
		}
	}
	cases := []struct {
		name string
		opts []batonotel.Option // nil: no observer, or the empty ObserverFunc when func is set
		fn   bool
	}{
		{"none", nil, false},
		{"empty-func", nil, true},
		{"noop", []batonotel.Option{batonotel.WithTracerProvider(tracenoop.NewTracerProvider()),
			batonotel.WithMeterProvider(metricnoop.NewMeterProvider())}, false},
		{"sdk-never-sample", sdk(sdktrace.NeverSample()), false},
		{"sdk-always-sample", sdk(sdktrace.AlwaysSample()), false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var stages []baton.Stage[int]
			for _, name := range []string{"a", "b", "c", "d"}[:steps] {
				stages = append(stages, baton.Func(name, func(_ context.Context, v int) (int, error) { return v + 1, nil }))
			}
			var opts []baton.Option
			if c.fn {
				opts = append(opts, baton.WithObserver(baton.ObserverFunc(func(baton.Event) {})))
			}
			if c.opts != nil {
				obs, err := batonotel.NewObserver(c.opts...)
				if err != nil {
					b.Fatal(err)
				}
				opts = append(opts, baton.WithObserver(obs))
			}
			p, err := baton.New(stages, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Process(ctx, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
		})
	}
}
