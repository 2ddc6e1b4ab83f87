package baton_test

// The same matrix with a realistic message: a record of 256 bytes carried by value, which
// every hand-off copies (BenchmarkOverhead's message is a uint64), and per-message latency at
// light and heavy load:
//
//	go test -run '^$' -bench '^Benchmark(Payload|Latency)$' -cpu 1,2 -count 5 .
//
// -cpu runs each at GOMAXPROCS 1 and 2 (the suffix -1, -2 of each name).

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// record is a message of a few hundred bytes: an ID, a running sum, the time it was sent (for
// BenchmarkLatency) and a payload.
type record struct {
	ID, Sum uint64
	Sent    time.Time
	Data    [28]uint64
}

// recordStage spins for its rounds on the record's sum and writes one word of its payload.
type recordStage struct {
	name   string
	rounds int
}

func (s *recordStage) Name() string { return s.name }
func (s *recordStage) Process(_ context.Context, r record, _ *baton.Slip) (record, error) {
	r.Sum = spin(r.Sum+r.ID, s.rounds) + 1
	r.Data[r.Sum%uint64(len(r.Data))] ^= r.Sum
	return r, nil
}

func recordStages(n int, work time.Duration) []baton.Stage[record] {
	rounds := 0
	if work > 0 {
		rounds = spinFor(work)
	}
	out := make([]baton.Stage[record], n)
	for i := range out {
		out[i] = &recordStage{name: fmt.Sprintf("s%d", i), rounds: rounds}
	}
	return out
}

var payloadImpls = []struct {
	name string
	run  func(b *testing.B, stages []baton.Stage[record], start func()) uint64
}{
	{"floor=direct", floorDirect[record]},
	{"floor=channels", floorChannels[record]},
	{"floor=pool", floorPool[record]},
	{"orchestrated/process", orchestratedProcess[record]},
	{"orchestrated/stream", streamOf[record](baton.Orchestrated)},
	{"choreographed/stream", streamOf[record](baton.Choreographed)},
}

func BenchmarkPayload(b *testing.B) {
	for _, impl := range payloadImpls {
		b.Run(impl.name, func(b *testing.B) {
			for _, w := range []time.Duration{0, workTarget} {
				name := "stages=10/work=0"
				if w > 0 {
					name = fmt.Sprintf("stages=10/work=%v", w)
				}
				b.Run(name, func(b *testing.B) {
					st := recordStages(10, w)
					perStep(b, 10, func(start func()) uint64 { return impl.run(b, st, start) })
				})
			}
		})
	}
}

// latencyImpls run n records through stages: the producer calls send for each record (which
// waits for the load's window and stamps the record) and sends it on; the consumer calls got
// for each result.
var latencyImpls = []struct {
	name string
	run  func(b *testing.B, stages []baton.Stage[record], n int, send func() record, got func(record))
}{
	{"floor=channels", latencyChannels},
	{"floor=pool", latencyPool},
	{"orchestrated/stream", latencyStream(baton.Orchestrated)},
	{"choreographed/stream", latencyStream(baton.Choreographed)},
}

// BenchmarkLatency measures each message from the moment it is sent to the moment its result
// is received, through 10 stages with no work: at light load (one message in flight at a time)
// and heavy (64 at a time, the producer sending as soon as one result comes back). It reports
// the median and the 99th percentile; ns/op is the time per message.
func BenchmarkLatency(b *testing.B) {
	for _, impl := range latencyImpls {
		b.Run(impl.name, func(b *testing.B) {
			for _, load := range []struct {
				name   string
				window int
			}{{"light", 1}, {"heavy", 64}} {
				b.Run("load="+load.name, func(b *testing.B) {
					stages := recordStages(10, 0)
					window := make(chan struct{}, load.window)
					lat := make([]time.Duration, 0, b.N)
					next := 0
					send := func() record {
						window <- struct{}{}
						next++
						return record{ID: uint64(next), Sent: time.Now()}
					}
					got := func(r record) {
						lat = append(lat, time.Since(r.Sent))
						<-window
					}
					b.ResetTimer()
					impl.run(b, stages, b.N, send, got)
					b.StopTimer()
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
					b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
				})
			}
		})
	}
}

func latencyChannels(b *testing.B, stages []baton.Stage[record], n int, send func() record, got func(record)) {
	ctx := context.Background()
	chans := make([]chan record, len(stages)+1)
	for i := range chans {
		chans[i] = make(chan record, baton.DefaultMaxInFlight)
	}
	for i, s := range stages {
		in, out := chans[i], chans[i+1]
		go func() {
			for v := range in {
				v, _ = s.Process(ctx, v, nil)
				out <- v
			}
			close(out)
		}()
	}
	go func() {
		for range n {
			chans[0] <- send()
		}
		close(chans[0])
	}()
	for v := range chans[len(stages)] {
		got(v)
	}
}

func latencyPool(b *testing.B, stages []baton.Stage[record], n int, send func() record, got func(record)) {
	ctx := context.Background()
	in, out := make(chan record, baton.DefaultMaxInFlight), make(chan record, baton.DefaultMaxInFlight)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for v := range in {
				for _, s := range stages {
					v, _ = s.Process(ctx, v, nil)
				}
				out <- v
			}
		})
	}
	go func() { wg.Wait(); close(out) }()
	go func() {
		for range n {
			in <- send()
		}
		close(in)
	}()
	for v := range out {
		got(v)
	}
}

func latencyStream(s baton.Strategy) func(*testing.B, []baton.Stage[record], int, func() record, func(record)) {
	return func(b *testing.B, stages []baton.Stage[record], n int, send func() record, got func(record)) {
		p := newBenchPipeline(b, s, stages)
		in := func(yield func(record) bool) {
			for range n {
				if !yield(send()) {
					return
				}
			}
		}
		for r := range p.Run(context.Background(), in) {
			got(r.Value)
		}
	}
}
