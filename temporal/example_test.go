package temporal_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/temporal"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// These examples need a Temporal server, so they are compiled but not run by go test;
// examples/durable runs the whole thing, starting a server itself.

func stages() []baton.Stage[string] {
	return []baton.Stage[string]{
		baton.Func("upper", func(_ context.Context, s string) (string, error) { return s + "!", nil }),
	}
}

// A process that both submits messages and hosts the stages.
func ExampleNew() {
	c, err := client.Dial(client.Options{HostPort: "localhost:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	eng, err := temporal.New(c, temporal.WithTaskQueue("greetings"))
	if err != nil {
		log.Fatal(err)
	}
	p, err := baton.New(stages(), baton.WithEngine(eng), baton.WithMessageTimeout(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	out, err := p.Process(context.Background(), "hello")
	fmt.Println(out, err)
}

// A client that hosts no stage, and a worker that only hosts them (it submits nothing; its
// pipeline polls until closed).
func ExampleWithoutWorker() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	clientEng, _ := temporal.New(c, temporal.WithTaskQueue("greetings"), temporal.WithoutWorker())
	submitter, _ := baton.New(stages(), baton.WithEngine(clientEng))
	defer submitter.Close()

	workerEng, _ := temporal.New(c, temporal.WithTaskQueue("greetings"),
		temporal.WithWorkerOptions(worker.Options{MaxConcurrentActivityExecutionSize: 16}),
		temporal.WithHeartbeat(time.Second), temporal.WithActivityAttempts(5), temporal.WithContinueAsNewAfter(200))
	hosting, _ := baton.New(stages(), baton.WithEngine(workerEng))
	defer hosting.Close()

	for r := range submitter.Run(context.Background(), func(yield func(string) bool) { yield("a"); yield("b") }) {
		fmt.Println(r.Value, r.Err)
	}
}

// With WithKeyAsIdentity a key names the message's workflow: submitting the same order twice,
// from any process, runs it once. WorkflowID gives the ID, to cancel the message's workflow
// (its completed steps are then compensated).
func ExampleWithKeyAsIdentity() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	eng, _ := temporal.New(c, temporal.WithKeyAsIdentity(), temporal.WithWorkflowIDPrefix("orders-"), temporal.WithOrigin("web-1"))
	p, _ := baton.New(stages(), baton.WithEngine(eng), baton.WithKey(func(s string) string { return s }))
	defer p.Close()
	r := p.ProcessResult(context.Background(), "order-42")
	fmt.Println(r.Value, r.Err)
	_ = c.CancelWorkflow(context.Background(), eng.WorkflowID(r.ID, r.Key), "") // if it were still running
}

// A message whose workflow could not run it ends with ErrBadInput; WorkflowError gives the
// same error for a workflow awaited by its ID.
func ExampleWorkflowError() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	err := c.GetWorkflow(context.Background(), "baton-web-1/7", "").Get(context.Background(), nil)
	if err != nil {
		err = temporal.WorkflowError(err)
		fmt.Println(errors.Is(err, temporal.ErrBadInput), errors.Is(err, baton.ErrEngine))
	}
}
