package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sync"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	batontemporal "github.com/baton-go/baton/temporal"
	"github.com/nats-io/nats.go"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// benchStages are three no-op stages: what is measured is the coordination.
func benchStages() []baton.Stage[job] {
	var stages []baton.Stage[job]
	for _, name := range []string{"a", "b", "c"} {
		stages = append(stages, baton.Func(name, func(_ context.Context, j job) (job, error) { j.N++; return j, nil }))
	}
	return stages
}

// BenchmarkStep measures one message at a time through three stages (Process), in process
// (orchestrated) and on the engine against the real server in this process; it reports
// ns/step, allocs/step (the engine's include the server's, which runs in this process) and the
// ratio to in process.
func BenchmarkStep(b *testing.B) {
	var floor float64
	for _, mode := range []string{"in-process", "jetstream", "temporal", "temporal-local"} {
		b.Run(mode, func(b *testing.B) {
			p := benchPipeline(b, mode)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Process(ctx, job{}); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*3)
			b.ReportMetric(ns, "ns/step")
			if mode == "in-process" {
				floor = ns
			} else if floor > 0 {
				b.ReportMetric(ns/floor, "x-in-process")
			}
		})
	}
}

// BenchmarkThroughput measures messages through three stages with 64 in flight (Run); beside
// the Temporal engine as configured by default, with WithLocalSteps and with 8 pollers.
func BenchmarkThroughput(b *testing.B) {
	for _, mode := range []string{"in-process", "jetstream", "temporal", "temporal-local", "temporal-pollers"} {
		b.Run(mode, func(b *testing.B) {
			p := benchPipeline(b, mode, baton.WithMaxInFlight(64))
			in := make([]job, b.N)
			b.ResetTimer()
			start := time.Now()
			for r := range p.Run(context.Background(), slices.Values(in)) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
		})
	}
}

func benchPipeline(b *testing.B, mode string, opts ...baton.Option) *baton.Pipeline[job] {
	b.Helper()
	if mode == "jetstream" {
		nc := natsConn(b)
		eng, err := jetstream.New(nc, jetstream.Config{Name: fmt.Sprintf("bench%d", queues.Add(1)), HostAll: true})
		if err != nil {
			b.Fatal(err)
		}
		opts = append(opts, baton.WithEngine(eng))
	}
	if strings.HasPrefix(mode, "temporal") {
		// temporal-local: steps as local activities (WithLocalSteps); temporal-pollers: 8
		// workflow-task and activity pollers instead of the SDK's 2.
		wo := worker.Options{MaxConcurrentActivityExecutionSize: 64, MaxConcurrentWorkflowTaskExecutionSize: 64}
		topts := []batontemporal.Option{batontemporal.WithTaskQueue(newQueue("bench"))}
		switch mode {
		case "temporal-local":
			topts = append(topts, batontemporal.WithLocalSteps())
		case "temporal-pollers":
			wo.MaxConcurrentWorkflowTaskPollers, wo.MaxConcurrentActivityTaskPollers = 8, 8
		}
		eng, err := batontemporal.New(defaultClient(), append(topts, batontemporal.WithWorkerOptions(wo))...)
		if err != nil {
			b.Fatal(err)
		}
		opts = append(opts, baton.WithEngine(eng))
	}
	p, err := baton.New(benchStages(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	return p
}

// BenchmarkTimer measures a workflow timer of 50 ms on a server with Temporal's default
// history.timerProcessorMaxTimeShift (1 s) and on one with this package's (timerShift): the
// shift, not the timer, sets when a short timer fires (see timerShift).
func BenchmarkTimer(b *testing.B) {
	for _, shift := range []time.Duration{0, timerShift} {
		name := "shift=default-1s"
		if shift > 0 {
			name = fmt.Sprintf("shift=%v", shift)
		}
		b.Run(name, func(b *testing.B) {
			ts := srv
			if shift == 0 {
				ts = startServer(0)
				defer ts.Stop()
			}
			q := newQueue("timer")
			w := worker.New(ts.GetDefaultClient(), q, worker.Options{})
			w.RegisterWorkflowWithOptions(func(ctx workflow.Context, d time.Duration) error { return workflow.Sleep(ctx, d) },
				workflow.RegisterOptions{Name: "sleep"})
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			defer w.Stop()
			ctx := context.Background()
			for b.Loop() {
				run, err := ts.GetDefaultClient().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: q}, "sleep", 50*time.Millisecond)
				if err != nil {
					b.Fatal(err)
				}
				if err := run.Get(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/workflow")
		})
	}
}

var (
	natsOnce sync.Once
	natsNC   *nats.Conn
	natsSrv  *jetstream.Server // shut down by TestMain
	natsErr  error
)

// natsConn connects to an embedded NATS server (the jetstream module's), started once for the
// benchmarks that compare the engines; TestMain shuts it down.
func natsConn(b *testing.B) *nats.Conn {
	natsOnce.Do(func() {
		if natsSrv, natsErr = jetstream.StartServer(jetstream.ServerConfig{}); natsErr == nil {
			natsNC, natsErr = nats.Connect(natsSrv.ClientURL())
		}
	})
	if natsErr != nil {
		b.Fatal(natsErr)
	}
	return natsNC
}
