package baton_test

// Per-step overhead of each strategy beside the physical floor, in one run (issue 5):
//
//	go test -run '^$' -bench '^BenchmarkOverhead$' -count 6 .
//
// Every benchmark runs b.N messages through S stages, each stage doing W of real arithmetic, and
// reports ns/step and allocs/step (per message per stage) so that ratios between implementations
// come from the same run. The floors are what a Go programmer would write by hand:
//
//   - floor=direct: a loop calling the S stages through the Stage interface (orchestration's floor);
//   - floor=channels: one goroutine per stage and buffered channels (choreography's floor);
//   - floor=pool: GOMAXPROCS workers, each running a message through the S stages by direct calls
//     (the floor of orchestrated streams).
//
// Timing never decides a test; benchmarks/cmd/report turns this matrix into a table and a plot.

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// workTarget is the per-stage work of the work=200ns cases.
const workTarget = 200 * time.Nanosecond

// spin does n rounds of dependent integer arithmetic (an LCG step and an xor-shift): real CPU
// work the compiler cannot remove, with no memory traffic.
func spin(v uint64, n int) uint64 {
	for range n {
		v = v*6364136223846793005 + 1442695040888963407
		v ^= v >> 29
	}
	return v
}

var (
	calibrateOnce sync.Once
	spinPerTarget int
	spinSink      uint64
)

// spinFor returns how many rounds of spin take about d on this machine, measured once per
// process (about 10ms): the best of a few timed runs, so that a noisy neighbour inflates
// the work as little as possible.
func spinFor(d time.Duration) int {
	calibrateOnce.Do(func() {
		const rounds = 1 << 20
		best := time.Duration(1 << 62)
		for range 5 {
			t0 := time.Now()
			spinSink += spin(uint64(t0.UnixNano()), rounds)
			best = min(best, time.Since(t0))
		}
		spinPerTarget = max(1, int(float64(rounds)*float64(workTarget)/float64(best)))
	})
	return max(1, int(int64(spinPerTarget)*int64(d)/int64(workTarget)))
}

// workStage is the stage of every benchmark: spin for its rounds and count the step.
type workStage struct {
	name   string
	rounds int
}

func (s *workStage) Name() string { return s.name }
func (s *workStage) Process(_ context.Context, v uint64, _ *baton.Slip) (uint64, error) {
	return spin(v, s.rounds) + 1, nil
}

func benchStages(n int, work time.Duration) []baton.Stage[uint64] {
	rounds := 0
	if work > 0 {
		rounds = spinFor(work)
	}
	out := make([]baton.Stage[uint64], n)
	for i := range out {
		out[i] = &workStage{name: fmt.Sprintf("s%d", i), rounds: rounds}
	}
	return out
}

// overheadImpls are the implementations of the matrix, floors first.
var overheadImpls = []struct {
	name string
	run  func(b *testing.B, stages []baton.Stage[uint64], start func()) uint64
}{
	{"floor=direct", floorDirect},
	{"floor=channels", floorChannels},
	{"floor=pool", floorPool},
	{"orchestrated/process", orchestratedProcess},
	{"orchestrated/stream", streamOf(baton.Orchestrated)},
	{"choreographed/stream", streamOf(baton.Choreographed)},
}

func BenchmarkOverhead(b *testing.B) {
	for _, impl := range overheadImpls {
		b.Run(impl.name, func(b *testing.B) {
			for _, s := range []int{1, 10, 100} {
				for _, w := range []time.Duration{0, workTarget} {
					name := fmt.Sprintf("stages=%d/work=%v", s, w)
					if w == 0 {
						name = fmt.Sprintf("stages=%d/work=0", s)
					}
					b.Run(name, func(b *testing.B) {
						st := benchStages(s, w)
						perStep(b, s, func(start func()) uint64 { return impl.run(b, st, start) })
					})
				}
			}
		})
	}
}

// perStep calls run, which sets up, calls start, and processes b.N messages, and reports the
// time and allocations per step from start on.
func perStep(b *testing.B, stages int, run func(start func()) uint64) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	sum := run(func() {
		runtime.ReadMemStats(&before)
		b.ResetTimer()
	})
	b.StopTimer()
	runtime.ReadMemStats(&after)
	spinSink += sum
	steps := float64(b.N) * float64(stages)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/steps, "ns/step")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/steps, "allocs/step")
}

// produce sends b.N messages on out from a goroutine of its own, as Pipeline.Run does, and
// closes it.
func produce(n int, out chan<- uint64) {
	go func() {
		for i := range n {
			out <- uint64(i)
		}
		close(out)
	}()
}

func floorDirect(b *testing.B, stages []baton.Stage[uint64], start func()) uint64 {
	ctx := context.Background()
	var sum uint64
	start()
	for i := range b.N {
		v := uint64(i)
		for _, s := range stages {
			v, _ = s.Process(ctx, v, nil)
		}
		sum += v
	}
	return sum
}

func floorChannels(b *testing.B, stages []baton.Stage[uint64], start func()) uint64 {
	ctx := context.Background()
	chans := make([]chan uint64, len(stages)+1)
	for i := range chans {
		chans[i] = make(chan uint64, baton.DefaultMaxInFlight)
	}
	var wg sync.WaitGroup
	for i, s := range stages {
		in, out := chans[i], chans[i+1]
		wg.Go(func() {
			for v := range in {
				v, _ = s.Process(ctx, v, nil)
				out <- v
			}
			close(out)
		})
	}
	start()
	produce(b.N, chans[0])
	var sum uint64
	for v := range chans[len(stages)] {
		sum += v
	}
	wg.Wait()
	return sum
}

func floorPool(b *testing.B, stages []baton.Stage[uint64], start func()) uint64 {
	ctx := context.Background()
	in := make(chan uint64, baton.DefaultMaxInFlight)
	out := make(chan uint64, baton.DefaultMaxInFlight)
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
	start()
	produce(b.N, in)
	var sum uint64
	for v := range out {
		sum += v
	}
	return sum
}

// newBenchPipeline builds a pipeline and runs one message through it, so that its goroutines
// are started and its pool warm before the timer starts.
func newBenchPipeline(b *testing.B, s baton.Strategy, stages []baton.Stage[uint64]) *baton.Pipeline[uint64] {
	p, err := baton.New(stages, baton.WithStrategy(s))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	if _, err := p.Process(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	return p
}

func orchestratedProcess(b *testing.B, stages []baton.Stage[uint64], start func()) uint64 {
	p := newBenchPipeline(b, baton.Orchestrated, stages)
	ctx := context.Background()
	var sum uint64
	start()
	for i := range b.N {
		v, err := p.Process(ctx, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		sum += v
	}
	return sum
}

func streamOf(s baton.Strategy) func(*testing.B, []baton.Stage[uint64], func()) uint64 {
	return func(b *testing.B, stages []baton.Stage[uint64], start func()) uint64 {
		p := newBenchPipeline(b, s, stages)
		n := b.N
		in := func(yield func(uint64) bool) {
			for i := range n {
				if !yield(uint64(i)) {
					return
				}
			}
		}
		var sum uint64
		var err error
		start()
		for r := range p.Run(context.Background(), in) {
			if r.Err != nil && err == nil {
				err = r.Err // not b.Fatal: Goexit inside the loop would strand Run's submitter
			}
			sum += r.Value
		}
		if err != nil {
			b.Fatal(err)
		}
		return sum
	}
}
