package temporal_test

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	"github.com/baton-go/baton/temporal"
	"go.opentelemetry.io/otel"
	"go.temporal.io/sdk/client"
)

// A message's trace spans its workflow: with the otel module's Observer and the same
// propagation in every process — here a client and a worker — the spans of the steps the
// worker runs are children of the message's span in the client, in the caller's trace.
func ExampleWithPropagation() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	propagate := temporal.WithPropagation(batonotel.Propagation[map[string][]string](nil)) // W3C Trace Context
	obs, _ := batonotel.NewObserver()                                                      // the global providers

	workerEng, _ := temporal.New(c, temporal.WithTaskQueue("greetings"), propagate)
	worker, _ := baton.New(stages(), baton.WithEngine(workerEng), baton.WithObserver(obs))
	defer worker.Close()

	clientEng, _ := temporal.New(c, temporal.WithTaskQueue("greetings"), temporal.WithoutWorker(), propagate)
	submitter, _ := baton.New(stages(), baton.WithEngine(clientEng), baton.WithObserver(obs))
	defer submitter.Close()

	ctx, span := otel.Tracer("shop").Start(context.Background(), "handle order")
	defer span.End()
	out, err := submitter.Process(ctx, "hello") // baton.message is a child of "handle order"
	fmt.Println(out, err)
}
