package baton_test

// Per-step overhead of each strategy beside the physical floor, in one run (issue 5):
//
//	go test -run '^$' -bench '^BenchmarkOverhead$' -cpu 1,2 -count 6 .
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
	{"floor=direct", floorDirect[uint64]},
	{"floor=channels", floorChannels[uint64]},
	{"floor=pool", floorPool[uint64]},
	{"orchestrated/process", orchestratedProcess[uint64]},
	{"orchestrated/stream", streamOf[uint64](baton.Orchestrated)},
	{"choreographed/stream", streamOf[uint64](baton.Choreographed)},
}

// message is what the benchmarks' implementations carry: uint64 (BenchmarkOverhead), or a
// record of a few hundred bytes (BenchmarkPayload).
type message interface{ uint64 | record }

// seed is message i of a run; digest is what a result adds to the run's sum.
func seed[T message](i int) T {
	var v T
	switch p := any(&v).(type) {
	case *uint64:
		*p = uint64(i)
	case *record:
		p.ID = uint64(i)
	}
	return v
}

func digest[T message](v T) uint64 {
	switch v := any(v).(type) {
	case uint64:
		return v
	case record:
		return v.Sum
	}
	return 0
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

// produce sends n messages on out from a goroutine of its own, as Pipeline.Run does, and
// closes it.
func produce[T message](n int, out chan<- T) {
	go func() {
		for i := range n {
			out <- seed[T](i)
		}
		close(out)
	}()
}

func floorDirect[T message](b *testing.B, stages []baton.Stage[T], start func()) uint64 {
	ctx := context.Background()
	var sum uint64
	start()
	for i := range b.N {
		v := seed[T](i)
		for _, s := range stages {
			v, _ = s.Process(ctx, v, nil)
		}
		sum += digest(v)
	}
	return sum
}

func floorChannels[T message](b *testing.B, stages []baton.Stage[T], start func()) uint64 {
	ctx := context.Background()
	chans := make([]chan T, len(stages)+1)
	for i := range chans {
		chans[i] = make(chan T, baton.DefaultMaxInFlight)
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
		sum += digest(v)
	}
	wg.Wait()
	return sum
}

func floorPool[T message](b *testing.B, stages []baton.Stage[T], start func()) uint64 {
	ctx := context.Background()
	in := make(chan T, baton.DefaultMaxInFlight)
	out := make(chan T, baton.DefaultMaxInFlight)
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
		sum += digest(v)
	}
	return sum
}

// newBenchPipeline builds a pipeline and runs one message through it, so that its goroutines
// are started and its pool warm before the timer starts.
func newBenchPipeline[T message](b *testing.B, s baton.Strategy, stages []baton.Stage[T]) *baton.Pipeline[T] {
	p, err := baton.New(stages, baton.WithStrategy(s))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	if _, err := p.Process(context.Background(), seed[T](0)); err != nil {
		b.Fatal(err)
	}
	return p
}

func orchestratedProcess[T message](b *testing.B, stages []baton.Stage[T], start func()) uint64 {
	p := newBenchPipeline(b, baton.Orchestrated, stages)
	ctx := context.Background()
	var sum uint64
	start()
	for i := range b.N {
		v, err := p.Process(ctx, seed[T](i))
		if err != nil {
			b.Fatal(err)
		}
		sum += digest(v)
	}
	return sum
}

func streamOf[T message](s baton.Strategy) func(*testing.B, []baton.Stage[T], func()) uint64 {
	return func(b *testing.B, stages []baton.Stage[T], start func()) uint64 {
		p := newBenchPipeline(b, s, stages)
		n := b.N
		in := func(yield func(T) bool) {
			for i := range n {
				if !yield(seed[T](i)) {
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
			sum += digest(r.Value)
		}
		if err != nil {
			b.Fatal(err)
		}
		return sum
	}
}
