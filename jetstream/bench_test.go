package jetstream_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
)

// Benchmarks, beside the in-process strategies in the same run: the cost of one hop (publish,
// consume, run the step, ack) at p50 and p99, and throughput through 3 and 10 stages with and
// without deduplication. Each reports ns/step and allocs/step, and the engine's runs their
// ratio to the in-process choreographed run just before them (the floor), and the CPU time
// the process (the embedded server's included) spent per message. Run with
// -benchtime=2000x or so: a hop costs tens of microseconds.

func identities(n, workers int) []baton.Stage[Job] {
	var out []baton.Stage[Job]
	for i := range n {
		out = append(out, baton.Func(fmt.Sprintf("s%d", i), func(_ context.Context, j Job) (Job, error) {
			j.ID++
			return j, nil
		}, baton.Workers(workers)))
	}
	return out
}

func jobs(n int) iter.Seq[Job] {
	return func(yield func(Job) bool) {
		for i := range n {
			if !yield(Job{ID: i}) {
				return
			}
		}
	}
}

// enginePipeline is a pipeline hosting every stage in this process through the server, on a
// file-backed stream, as deployed.
func enginePipeline(b *testing.B, stages []baton.Stage[Job], cfg jetstream.Config) *baton.Pipeline[Job] {
	cfg.Name, cfg.HostAll = uniqueName(b), true
	e, err := jetstream.New(nc, cfg)
	if err != nil {
		b.Fatal(err)
	}
	p, err := baton.New(stages, baton.WithEngine(e))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	return p
}

// BenchmarkHop measures one message at a time through 3 stages: each message takes 4 hops
// (3 stages, and back to its submitter). It reports the hop's p50 and p99.
func BenchmarkHop(b *testing.B) {
	const stages = 3
	p := enginePipeline(b, identities(stages, 1), jetstream.Config{})
	ctx := context.Background()
	if _, err := p.Process(ctx, Job{}); err != nil { // warm up: streams, consumers
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := p.Process(ctx, Job{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start)/(stages+1))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-hop-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-hop-µs")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkThroughput streams b.N messages through 3 and 10 stages of 8 workers each: in
// process (orchestrated, choreographed: the floor), then through the engine with and without
// deduplication.
func BenchmarkThroughput(b *testing.B) {
	for _, n := range []int{3, 10} {
		var floorNs, floorAllocs float64
		run := func(b *testing.B, p *baton.Pipeline[Job], floor bool) {
			ctx := context.Background()
			for r := range p.Run(ctx, jobs(64)) { // warm up
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			b.ReportAllocs()
			var ms0, ms1 runtimeMem
			ms0.read()
			start := time.Now()
			b.ResetTimer()
			for r := range p.Run(ctx, jobs(b.N)) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			b.StopTimer()
			ms1.read()
			el := time.Since(start)
			steps := float64(b.N * n)
			nsStep := float64(el.Nanoseconds()) / steps
			allocsStep := float64(ms1.mallocs-ms0.mallocs) / steps
			b.ReportMetric(float64(b.N)/el.Seconds(), "msg/s")
			b.ReportMetric(nsStep, "ns/step")
			b.ReportMetric(allocsStep, "allocs/step")
			b.ReportMetric(float64((ms1.cpu-ms0.cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
			if floor {
				floorNs, floorAllocs = nsStep, allocsStep
			} else if floorNs > 0 {
				b.ReportMetric(nsStep/floorNs, "x-floor-ns")
				b.ReportMetric(allocsStep/max(floorAllocs, 1e-9), "x-floor-allocs")
			}
		}
		b.Run(fmt.Sprintf("stages=%d/in-process/orchestrated", n), func(b *testing.B) {
			p, _ := baton.New(identities(n, 8), baton.WithStrategy(baton.Orchestrated))
			defer p.Close()
			run(b, p, false)
		})
		b.Run(fmt.Sprintf("stages=%d/in-process/choreographed", n), func(b *testing.B) {
			p, _ := baton.New(identities(n, 8), baton.WithStrategy(baton.Choreographed))
			defer p.Close()
			run(b, p, true)
		})
		b.Run(fmt.Sprintf("stages=%d/jetstream/dedup", n), func(b *testing.B) {
			run(b, enginePipeline(b, identities(n, 8), jetstream.Config{}), false)
		})
		b.Run(fmt.Sprintf("stages=%d/jetstream/no-dedup", n), func(b *testing.B) {
			run(b, enginePipeline(b, identities(n, 8), jetstream.Config{NoDedup: true}), false)
		})
		if n == 3 { // not the deployed default: what the disk costs
			b.Run(fmt.Sprintf("stages=%d/jetstream/dedup-memory", n), func(b *testing.B) {
				run(b, enginePipeline(b, identities(n, 8), jetstream.Config{Memory: true}), false)
			})
		}
	}
}
