package baton_test

// The strategy switch must not change concurrency (issue 10, point 14): the same pipeline, with
// the same stage options, takes the same wall time under both strategies. Two cases, in one run:
//
//	go test -run '^$' -bench '^BenchmarkSameConcurrency$' -count 5 .
//
//   - io: 160 messages through a stage of 10 ms sleeps with Workers(16), between two cheap
//     stages: about 100 ms under both (ten rounds of sixteen steps at once);
//   - scarce: 40 messages, half of them through a stage of 20 ms sleeps with Workers(1): the
//     other half skip it and must not wait behind it (skipper-p50-ms about 0 under both).
//
// It reports ms per run (and, for scarce, the median latency of the messages that skip the
// scarce stage); the ratio between the strategies is the figure to read, not a pass/fail.

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

func sleepStage(name string, d time.Duration, opts ...baton.StageOption) baton.Stage[int] {
	return baton.Func(name, func(ctx context.Context, v int) (int, error) {
		time.Sleep(d)
		return v, nil
	}, opts...)
}

func passStage(name string) baton.Stage[int] {
	return baton.Func(name, func(_ context.Context, v int) (int, error) { return v, nil })
}

func BenchmarkSameConcurrency(b *testing.B) {
	for _, s := range strategies {
		b.Run("io/"+s.String(), func(b *testing.B) {
			p, err := baton.New([]baton.Stage[int]{passStage("a"), sleepStage("io", 10*time.Millisecond, baton.Workers(16)), passStage("b")}, baton.WithStrategy(s))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			in := make([]int, 160)
			b.ResetTimer()
			for range b.N {
				for r := range p.Run(context.Background(), slices.Values(in)) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
		})
		b.Run("scarce/"+s.String(), func(b *testing.B) {
			p, err := baton.New([]baton.Stage[int]{sleepStage("scarce", 20*time.Millisecond, baton.Workers(1)), passStage("fast")},
				baton.WithStrategy(s), baton.WithRouter(func(v int) []string {
					if v%2 == 0 {
						return []string{"scarce", "fast"}
					}
					return []string{"fast"}
				}))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			in := make([]int, 40)
			for i := range in {
				in[i] = i
			}
			var skippers []time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				for r := range p.Run(context.Background(), slices.Values(in)) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
					if r.Value%2 == 1 {
						skippers = append(skippers, time.Since(start))
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
			slices.Sort(skippers)
			b.ReportMetric(float64(skippers[len(skippers)/2].Microseconds())/1000, "skipper-p50-ms")
		})
	}
}
