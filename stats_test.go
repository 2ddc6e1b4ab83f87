package baton_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatsRunningCountsStepsInProgress(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				block := baton.Func("block", func(_ context.Context, m msg) (msg, error) { <-release; return m, nil }, baton.Workers(2))
				p, err := baton.New([]baton.Stage[msg]{tracer("a"), block}, baton.WithStrategy(s), baton.WithTiming())
				require.NoError(t, err)
				st := p.Stream(t.Context())
				for range 3 {
					require.NoError(t, st.Submit(t.Context(), msg{}))
				}
				st.CloseSend()
				synctest.Wait()
				stats := p.Stats()
				assert.Equal(t, int64(0), stats.Stages[0].Running)
				assert.Equal(t, int64(2), stats.Stages[1].Running, "two workers busy, the third message waits")
				assert.Equal(t, 3, stats.InFlight)
				close(release)
				for r := range st.Results() {
					require.NoError(t, r.Err)
				}
				require.NoError(t, p.Close())
				assert.Equal(t, int64(0), p.Stats().Stages[1].Running)
			})
		})
	}
}

// BenchmarkStats measures what polling Stats costs, per stage, after some traffic: untimed (the
// counters and the rates) and timed (the latency quantiles too).
//
//	go test -run '^$' -bench Stats .
func BenchmarkStats(b *testing.B) {
	for _, timed := range []bool{false, true} {
		for _, n := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("timed=%v/stages=%d", timed, n), func(b *testing.B) {
				stages := make([]baton.Stage[msg], n)
				for i := range stages {
					stages[i] = tracer(fmt.Sprintf("s%d", i))
				}
				opts := []baton.Option{}
				if timed {
					opts = append(opts, baton.WithTiming())
				}
				p, err := baton.New(stages, opts...)
				require.NoError(b, err)
				defer p.Close()
				for range 100 {
					_, err := p.Process(context.Background(), msg{})
					require.NoError(b, err)
				}
				b.ReportAllocs()
				for b.Loop() {
					_ = p.Stats()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/stage")
			})
		}
	}
}
