package temporal_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/temporal"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// The examples with an Output block name workflows without starting any, so they run without
// a server: a lazy client connects only when first used. The others need a server, as in
// example_test.go, and are compiled but not run.

// lazyClient is a client that has not connected yet.
func lazyClient() client.Client {
	c, err := client.NewLazyClient(client.Options{HostPort: "localhost:7233"})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// WorkflowID names the workflow of a message, from its Result's ID and Key: the prefix, the
// pipeline's origin and the ID; under WithKeyAsIdentity a keyed message's workflow is named
// by its key alone, the same from every process.
func ExampleEngine_WorkflowID() {
	c := lazyClient()
	defer c.Close()
	eng, _ := temporal.New(c, temporal.WithOrigin("web-1"))
	fmt.Println(eng.WorkflowID(7, ""))
	fmt.Println(eng.WorkflowID(7, "order-42")) // a key is only a label here
	keyed, _ := temporal.New(c, temporal.WithOrigin("web-1"), temporal.WithKeyAsIdentity())
	fmt.Println(keyed.WorkflowID(7, "order-42"))
	fmt.Println(keyed.WorkflowID(8, "")) // a message without a key keeps its origin and ID
	// Output:
	// baton-web-1/7
	// baton-web-1/7
	// baton-key/order-42
	// baton-web-1/8
}

// WithWorkflowIDPrefix replaces the "baton-" that begins every message workflow's ID, to tell
// a pipeline's workflows apart in the server's UI and listings.
func ExampleWithWorkflowIDPrefix() {
	c := lazyClient()
	defer c.Close()
	eng, _ := temporal.New(c, temporal.WithWorkflowIDPrefix("orders-"), temporal.WithOrigin("web-1"))
	fmt.Println(eng.WorkflowID(7, ""))
	// Output: orders-web-1/7
}

// WithOrigin names the submitting pipeline in its messages' workflow IDs; each process
// submitting to one task queue needs its own. Without it the origin is random.
func ExampleWithOrigin() {
	c := lazyClient()
	defer c.Close()
	web1, _ := temporal.New(c, temporal.WithOrigin("web-1"))
	web2, _ := temporal.New(c, temporal.WithOrigin("web-2"))
	fmt.Println(web1.WorkflowID(1, ""), web2.WorkflowID(1, ""))
	_, err := temporal.New(c, temporal.WithOrigin(""))
	fmt.Println(errors.Is(err, baton.ErrInvalidPipeline))
	// Output:
	// baton-web-1/1 baton-web-2/1
	// true
}

// WithTaskQueue puts a pipeline's workflows and step activities on a queue of its own: its
// clients and workers name the same queue, and another pipeline uses another one.
func ExampleWithTaskQueue() {
	c, err := client.Dial(client.Options{HostPort: "localhost:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	orders, _ := temporal.New(c, temporal.WithTaskQueue("orders"))
	ordersPipeline, _ := baton.New(stages(), baton.WithEngine(orders))
	defer ordersPipeline.Close()
	refunds, _ := temporal.New(c, temporal.WithTaskQueue("refunds"))
	refundsPipeline, _ := baton.New(stages(), baton.WithEngine(refunds))
	defer refundsPipeline.Close()

	fmt.Println(ordersPipeline.Process(context.Background(), "order"))
	fmt.Println(refundsPipeline.Process(context.Background(), "refund"))
}

// hostUntilInterrupted runs a worker process: it hosts the stages, with the engine's options,
// until the program is interrupted, and then closes the pipeline, which closes the engine.
func hostUntilInterrupted(opts ...temporal.Option) {
	c, err := client.Dial(client.Options{HostPort: "localhost:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	eng, err := temporal.New(c, append([]temporal.Option{temporal.WithTaskQueue("greetings")}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	hosting, err := baton.New(stages(), baton.WithEngine(eng))
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	_ = hosting.Close()
}

// WithWorkerOptions tunes the Temporal worker a hosting process runs: how many steps it runs
// at once, and how long its Close lets running steps finish before they are abandoned (to be
// run again by another worker).
func ExampleWithWorkerOptions() {
	hostUntilInterrupted(temporal.WithWorkerOptions(worker.Options{
		MaxConcurrentActivityExecutionSize: 32,
		WorkerStopTimeout:                  30 * time.Second,
	}))
}

// The pipeline calls its engine's Close when it closes, once no message of its own is in
// flight: the worker stops polling, lets its running steps finish within its stop timeout
// (DefaultStopTimeout unless WithWorkerOptions sets one), and the messages it was running for
// other processes go on on other workers.
func ExampleEngine_Close() {
	hostUntilInterrupted() // ends with the pipeline's Close, which calls Engine.Close
}

// WithHeartbeat bounds how long a step whose worker was lost waits before another worker runs
// it again, and how soon a running step sees its message cancelled (through its context).
func ExampleWithHeartbeat() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	eng, _ := temporal.New(c, temporal.WithTaskQueue("exports"), temporal.WithHeartbeat(10*time.Second))
	export := baton.Func("export", func(ctx context.Context, s string) (string, error) {
		select {
		case <-time.After(time.Minute): // a long step
			return s + " exported", nil
		case <-ctx.Done(): // its workflow was cancelled
			return "", ctx.Err()
		}
	})
	p, _ := baton.New([]baton.Stage[string]{export}, baton.WithEngine(eng))
	defer p.Close()
	fmt.Println(p.Process(context.Background(), "report"))
}

// WithActivityAttempts bounds how many times a step is tried when its worker dies or stops
// before finishing it; past that the step fails with an error matching baton.ErrEngine. The
// stage's own errors are retried by its baton.Retry policy, not counted here.
func ExampleWithActivityAttempts() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	eng, _ := temporal.New(c, temporal.WithTaskQueue("greetings"), temporal.WithActivityAttempts(3))
	p, _ := baton.New(stages(), baton.WithEngine(eng))
	defer p.Close()
	_, err := p.Process(context.Background(), "hello")
	if errors.Is(err, baton.ErrEngine) {
		fmt.Println("the step's workers kept dying:", err)
	}
}

// WithContinueAsNewAfter sets how many steps and compensations a message's workflow run takes
// before it continues as new: a slip that revisits its stages many times keeps a short
// history.
func ExampleWithContinueAsNewAfter() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	eng, _ := temporal.New(c, temporal.WithTaskQueue("counters"), temporal.WithContinueAsNewAfter(100))
	count := baton.SlipFunc("count", func(_ context.Context, n int, slip *baton.Slip) (int, error) {
		if n++; n < 1000 {
			return n, slip.InsertNext("count") // a thousand steps: ten workflow runs
		}
		return n, nil
	})
	p, _ := baton.New([]baton.Stage[int]{count}, baton.WithEngine(eng), baton.WithHopLimit(2000))
	defer p.Close()
	fmt.Println(p.Process(context.Background(), 0))
}

// WithLocalSteps runs the steps of the messages this process submits as local activities, in
// the worker running the message's workflow: fewer round trips through the server, for
// messages whose workflows are not cancelled.
func ExampleWithLocalSteps() {
	c, _ := client.Dial(client.Options{HostPort: "localhost:7233"})
	defer c.Close()
	eng, _ := temporal.New(c, temporal.WithTaskQueue("greetings"), temporal.WithLocalSteps())
	p, _ := baton.New(stages(), baton.WithEngine(eng))
	defer p.Close()
	fmt.Println(p.Process(context.Background(), "hello"))
}
