// Command durable runs a Baton pipeline durably on Temporal: a client process submits orders,
// a worker process hosts the stages, and halfway through the worker is killed (SIGKILL) and a
// new one started. Every order still completes, once, with the same result as in process.
//
//	go run ./examples/durable                         # starts a Temporal server in this process
//	go run ./examples/durable -server localhost:7233  # uses yours (e.g. temporal server start-dev)
//
// The worker is this program re-run with -worker.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"slices"
	"syscall"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"
)

// Order is the message.
type Order struct {
	ID    int
	Total int
	Trail []string
}

var errOutOfStock = errors.New("out of stock")

// stages are the pipeline, the same in every process: "reserve" is undone when a later step
// fails; "pack" takes a while, so that the worker dies in the middle of some packing.
func stages() []baton.Stage[Order] {
	step := func(name string, d time.Duration, f func(Order) error) baton.Stage[Order] {
		return baton.Func(name, func(ctx context.Context, o Order) (Order, error) {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return o, ctx.Err()
			}
			if f != nil {
				if err := f(o); err != nil {
					return o, err
				}
			}
			o.Trail = append(slices.Clip(o.Trail), name)
			return o, nil
		})
	}
	return []baton.Stage[Order]{
		step("validate", 0, nil),
		baton.Compensable(step("reserve", 0, func(o Order) error {
			if o.ID%5 == 0 {
				return baton.Permanent(errOutOfStock)
			}
			return nil
		}), func(context.Context, Order) error { return nil }),
		step("pack", 300*time.Millisecond, nil),
		step("ship", 0, nil),
	}
}

func options() []baton.Option { return []baton.Option{baton.WithSentinels(errOutOfStock)} }

const queue = "durable-orders"

func main() {
	server := flag.String("server", "", "Temporal frontend host:port (default: start one in this process)")
	namespace := flag.String("namespace", "default", "Temporal namespace (with -server)")
	worker := flag.Bool("worker", false, "run as a worker process (the example starts these itself)")
	orders := flag.Int("orders", 20, "orders to submit")
	flag.Parse()
	if *worker {
		if err := runWorker(*server, *namespace); err != nil {
			log.Fatal("worker: ", err)
		}
		return
	}
	if err := run(*server, *namespace, *orders); err != nil {
		log.Fatal(err)
	}
}

// runWorker hosts the stages until SIGTERM (or SIGKILL).
func runWorker(hostport, namespace string) error {
	c, err := dial(hostport, namespace)
	if err != nil {
		return err
	}
	defer c.Close()
	eng, err := batontemporal.New(c, batontemporal.WithTaskQueue(queue), batontemporal.WithHeartbeat(time.Second))
	if err != nil {
		return err
	}
	p, err := baton.New(stages(), append(options(), baton.WithEngine(eng))...)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return p.Close()
}

func run(hostport, namespace string, n int) error {
	if hostport == "" {
		fmt.Println("starting a Temporal server in this process (go.temporal.io/server/temporaltest)…")
		// Temporal postpones a timer due sooner than now + history.timerProcessorMaxTimeShift
		// (1 s by default) to then; 10 ms lets a dead worker's step be retried sooner. Its
		// single history shard reads its task queues at most 20 times a second by default
		// (history.transferProcessorMaxPollRPS, timerProcessorMaxPollRPS), which sets a
		// step's cost at some 35 ms; and a result's long poll whose wake-up the server misses
		// waits history.longPollExpirationInterval (20 s) — see temporal/e2e/main_test.go.
		ts := temporaltest.NewServer(temporaltest.WithBaseServerOptions(temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			dynamicconfig.TimerProcessorMaxTimeShift.Key():        []dynamicconfig.ConstrainedValue{{Value: 10 * time.Millisecond}},
			dynamicconfig.TransferProcessorMaxPollRPS.Key():       []dynamicconfig.ConstrainedValue{{Value: 1000}},
			dynamicconfig.TimerProcessorMaxPollRPS.Key():          []dynamicconfig.ConstrainedValue{{Value: 1000}},
			dynamicconfig.HistoryLongPollExpirationInterval.Key(): []dynamicconfig.ConstrainedValue{{Value: 2 * time.Second}},
		})))
		defer ts.Stop()
		hostport, namespace = ts.GetFrontendHostPort(), ts.GetDefaultNamespace()
	}
	c, err := dial(hostport, namespace)
	if err != nil {
		return err
	}
	defer c.Close()

	w, err := startWorker(hostport, namespace)
	if err != nil {
		return err
	}
	eng, err := batontemporal.New(c, batontemporal.WithTaskQueue(queue), batontemporal.WithoutWorker())
	if err != nil {
		return err
	}
	p, err := baton.New(stages(), append(options(), baton.WithEngine(eng))...)
	if err != nil {
		return err
	}
	defer p.Close()

	in := make([]Order, n)
	for i := range in {
		in[i] = Order{ID: i + 1, Total: 10 * (i + 1)}
	}
	// Stop whichever worker runs when this returns, however it returns.
	defer func() {
		if w.Process != nil {
			_ = w.Process.Signal(syscall.SIGTERM)
			_ = w.Wait()
		}
	}()
	start := time.Now()
	got := make([]baton.Result[Order], n)
	count, killed := 0, false
	for r := range p.Run(context.Background(), slices.Values(in)) {
		got[r.Seq] = r
		count++
		if !killed && count >= max(1, n/4) && count < n {
			// A quarter done, the rest in flight: kill the worker mid-step, start another.
			killed = true
			fmt.Printf("%d of %d orders done: killing worker %d with SIGKILL\n", count, n, w.Process.Pid)
			_ = w.Process.Kill()
			_ = w.Wait()
			if w, err = startWorker(hostport, namespace); err != nil {
				return err
			}
			fmt.Printf("started worker %d\n", w.Process.Pid)
		}
	}
	elapsed := time.Since(start)

	local, err := baton.New(stages(), options()...)
	if err != nil {
		return err
	}
	defer local.Close()
	same := 0
	for r := range local.Run(context.Background(), slices.Values(in)) {
		g := got[r.Seq]
		if reflect.DeepEqual(g.Value, r.Value) && fmt.Sprint(g.Err) == fmt.Sprint(r.Err) && len(g.Log) == len(r.Log) {
			same++
		} else {
			fmt.Printf("order %d differs: %+v %v, in process %+v %v\n", r.Seq+1, g.Value, g.Err, r.Value, r.Err)
		}
	}
	for _, r := range got[:min(6, n)] {
		fmt.Printf("order %2d: trail %v, err %v\n", r.Value.ID, r.Value.Trail, r.Err)
	}
	fmt.Printf("%d orders, %d results in %v; %d identical to the in-process run\n", n, count, elapsed.Round(time.Millisecond), same)
	if count != n || same != n {
		return fmt.Errorf("%d results, %d identical, for %d orders", count, same, n)
	}
	if !killed && n > 1 {
		return fmt.Errorf("the worker was not killed mid-run")
	}
	return nil
}

func startWorker(hostport, namespace string) (*exec.Cmd, error) {
	cmd := exec.Command(os.Args[0], "-worker", "-server", hostport, "-namespace", namespace)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd, cmd.Start()
}

// dial connects to the server, logging the SDK's warnings and errors only.
func dial(hostport, namespace string) (client.Client, error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return client.Dial(client.Options{HostPort: hostport, Namespace: namespace, Logger: sdklog.NewStructuredLogger(logger)})
}
