package baton_test

import (
	"context"
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
