package jetstream_test

import (
	"context"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
)

type traceKey struct{}

// Context values travel across processes in the message's headers through Inject and Extract
// (an OpenTelemetry propagator fits them): a step in another process sees the submitter's
// trace, and so does every later step.
func TestInjectAndExtractCarryTheTrace(t *testing.T) {
	inject := func(ctx context.Context, h nats.Header) {
		if v, ok := ctx.Value(traceKey{}).(string); ok {
			h.Set("traceparent", v)
		}
	}
	extract := func(ctx context.Context, h nats.Header) context.Context {
		if v := h.Get("traceparent"); v != "" {
			return context.WithValue(ctx, traceKey{}, v)
		}
		return ctx
	}
	seen := make(chan string, 2)
	stage := func(name string) baton.Stage[Job] {
		return baton.Func(name, func(ctx context.Context, j Job) (Job, error) {
			v, _ := ctx.Value(traceKey{}).(string)
			seen <- name + "=" + v
			return j, nil
		})
	}
	name := uniqueName(t)
	we := newEngine(t, jetstream.Config{Name: name, HostAll: true, Inject: inject, Extract: extract})
	worker, err := baton.New([]baton.Stage[Job]{stage("a"), stage("b")}, baton.WithEngine(we))
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	ce := newEngine(t, jetstream.Config{Name: name, Inject: inject, Extract: extract})
	client, err := baton.New([]baton.Stage[Job]{stage("a"), stage("b")}, baton.WithEngine(ce))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.WithValue(context.Background(), traceKey{}, "00-trace-span-01")
	if _, err := client.Process(ctx, Job{ID: 1}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a=00-trace-span-01", "b=00-trace-span-01"} {
		if got := <-seen; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
