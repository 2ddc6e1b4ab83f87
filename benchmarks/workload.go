// Package benchmarks runs one workload — b.N messages through S stages, each doing W of real
// arithmetic — through Baton and through the libraries a Go programmer would otherwise pick, and
// measures each per step (per message per stage).
//
// It is a module of its own so that Baton's core module depends on none of them. Run:
//
//	go run ./benchmarks/cmd/peers          # the peers table (from the repository root)
//	go run ./benchmarks/cmd/report         # the overhead matrix of the root package: table and plot
//	cd benchmarks && go test -run '^$' -bench .
package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// WorkTarget is the per-stage work of the "work=200ns" cases.
const WorkTarget = 200 * time.Nanosecond

// Spin does n rounds of dependent integer arithmetic (an LCG step and an xor-shift): real CPU
// work the compiler cannot remove, with no memory traffic. The root package's bench_test.go uses
// the same function, so both measure the same work.
func Spin(v uint64, n int) uint64 {
	for range n {
		v = v*6364136223846793005 + 1442695040888963407
		v ^= v >> 29
	}
	return v
}

var (
	calibrateOnce sync.Once
	roundsPer     int // Spin rounds per WorkTarget
	sink          uint64
)

// Rounds returns how many rounds of Spin take about d on this machine, measured once per process
// (about 10ms): the best of a few timed runs, so that a noisy neighbour inflates it little.
func Rounds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	calibrateOnce.Do(func() {
		const n = 1 << 20
		best := time.Duration(1 << 62)
		for range 5 {
			t0 := time.Now()
			sink += Spin(uint64(t0.UnixNano()), n)
			best = min(best, time.Since(t0))
		}
		roundsPer = max(1, int(float64(n)*float64(WorkTarget)/float64(best)))
	})
	return max(1, int(int64(roundsPer)*int64(d)/int64(WorkTarget)))
}

// Stage is the stage of every implementation: Baton calls it as a baton.Stage, the others call
// Do directly (which is what Process does).
type Stage struct {
	name   string
	rounds int
}

// Do is the stage's work on v.
func (s *Stage) Do(v uint64) uint64 { return Spin(v, s.rounds) + 1 }

func (s *Stage) Name() string { return s.name }
func (s *Stage) Process(_ context.Context, v uint64, _ *baton.Slip) (uint64, error) {
	return s.Do(v), nil
}

var _ baton.Stage[uint64] = (*Stage)(nil)

// Stages returns n stages, each doing about work.
func Stages(n int, work time.Duration) []*Stage {
	r := Rounds(work)
	out := make([]*Stage, n)
	for i := range out {
		out[i] = &Stage{name: fmt.Sprintf("s%d", i), rounds: r}
	}
	return out
}

// Want is the sum of the results of messages 0..n-1 through stages: every implementation must
// return it.
func Want(n int, stages []*Stage) uint64 {
	var sum uint64
	for i := range n {
		sum += through(stages, uint64(i))
	}
	return sum
}

// through runs v through stages by direct calls.
func through(stages []*Stage, v uint64) uint64 {
	for _, s := range stages {
		v = s.Do(v)
	}
	return v
}

// Impl is one implementation of the workload. Run sets up, calls start, processes messages
// 0..n-1 through stages, tears down, and returns the sum of the results.
type Impl struct {
	Name  string
	Shape Shape
	Run   func(n int, stages []*Stage, start func()) (uint64, error)
}

// Shape is how an implementation moves messages.
type Shape string

const (
	Inline   Shape = "inline"   // one message at a time in the caller's goroutine
	Pool     Shape = "pool"     // workers each take a message through every stage
	Pipeline Shape = "pipeline" // goroutines per stage, messages handed from stage to stage
)

// Bench runs impl as benchmark b over stages and reports ns/step and allocs/step.
func Bench(b *testing.B, impl Impl, stages []*Stage) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	sum, err := impl.Run(b.N, stages, func() {
		runtime.ReadMemStats(&before)
		b.ResetTimer()
	})
	b.StopTimer()
	runtime.ReadMemStats(&after)
	if err != nil {
		b.Fatal(err)
	}
	if want := Want(b.N, stages); sum != want {
		b.Fatalf("%s: sum of results %d, want %d", impl.Name, sum, want)
	}
	steps := float64(b.N) * float64(len(stages))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/steps, "ns/step")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/steps, "allocs/step")
}

// Workers is the concurrency every pool-shaped implementation gets: Baton's default number of
// drivers.
func Workers() int { return runtime.GOMAXPROCS(0) }

// Buffer is the channel buffer of the hand-written pipelines: Baton's default in-flight bound.
const Buffer = baton.DefaultMaxInFlight
