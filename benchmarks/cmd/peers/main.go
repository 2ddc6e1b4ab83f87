// Command peers runs one workload — messages through S stages of W work each — through Baton, the
// hand-written floors and the libraries a Go programmer would otherwise pick, and prints one
// markdown table of ns/step, allocs/step and the ratio to Baton's strategy of the same shape.
//
// From the repository root:
//
//	go run ./benchmarks/cmd/peers [-count 5] [-benchtime 300ms] [-stages 10,100] [-work 0,200ns]
//
// Each cell is the median of -count runs; the runs are interleaved (every implementation once,
// then again) so that a noisy neighbour affects all implementations alike.
package main

import (
	"flag"
	"fmt"
	"github.com/baton-go/baton/benchmarks/internal/format"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-go/baton/benchmarks"
)

func main() {
	testing.Init()
	count := flag.Int("count", 5, "runs per cell; the table shows medians")
	benchtime := flag.String("benchtime", "300ms", "time per run (a duration, or Nx)")
	stagesFlag := flag.String("stages", "10,100", "numbers of stages, comma-separated")
	workFlag := flag.String("work", "0,200ns", "work per stage, comma-separated durations")
	only := flag.String("only", "", "run only implementations whose name contains this")
	flag.Parse()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fail(err)
	}
	var cases []caseKey
	for _, s := range strings.Split(*stagesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-stages: bad number %q", s))
		}
		for _, w := range strings.Split(*workFlag, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(w))
			if err != nil {
				fail(fmt.Errorf("-work: %w", err))
			}
			cases = append(cases, caseKey{n, d})
		}
	}
	var impls []benchmarks.Impl
	for _, impl := range benchmarks.Impls {
		if strings.Contains(impl.Name, *only) || strings.HasPrefix(impl.Name, "baton/") {
			impls = append(impls, impl)
		}
	}

	ns := map[cell][]float64{}
	allocs := map[cell][]float64{}
	for run := range *count {
		for _, c := range cases {
			stages := benchmarks.Stages(c.stages, c.work)
			for _, impl := range impls {
				fmt.Fprintf(os.Stderr, "\rrun %d/%d  stages=%-3d work=%-6v %-28s", run+1, *count, c.stages, c.work, impl.Name)
				r := testing.Benchmark(func(b *testing.B) { benchmarks.Bench(b, impl, stages) })
				if r.N == 0 {
					fail(fmt.Errorf("%s stages=%d work=%v failed", impl.Name, c.stages, c.work))
				}
				k := cell{c, impl.Name}
				ns[k] = append(ns[k], r.Extra["ns/step"])
				allocs[k] = append(allocs[k], r.Extra["allocs/step"])
			}
		}
	}
	fmt.Fprintln(os.Stderr)

	sameShape := map[benchmarks.Shape]string{
		benchmarks.Inline:   "baton/orchestrated/process",
		benchmarks.Pool:     "baton/orchestrated/stream",
		benchmarks.Pipeline: "baton/choreographed/stream",
	}
	fmt.Printf("GOMAXPROCS=%d, %s per run, median of %d runs; ×Baton is ns/step over Baton's of the same shape (inline: orchestrated/process, pool: orchestrated/stream, pipeline: choreographed/stream).\n\n",
		benchmarks.Workers(), *benchtime, *count)
	fmt.Println("| stages | work | implementation | shape | ns/step | allocs/step | ×Baton |")
	fmt.Println("|---:|---:|---|---|---:|---:|---:|")
	for _, c := range cases {
		for _, impl := range impls {
			k := cell{c, impl.Name}
			base := format.Median(ns[cell{c, sameShape[impl.Shape]}])
			fmt.Printf("| %d | %v | %s | %s | %s | %s | %.2f× |\n", c.stages, c.work, impl.Name, impl.Shape,
				format.Num(format.Median(ns[k])), format.Num(format.Median(allocs[k])), format.Median(ns[k])/base)
		}
	}
}

type caseKey struct {
	stages int
	work   time.Duration
}

type cell struct {
	caseKey
	impl string
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "peers:", err)
	os.Exit(1)
}
