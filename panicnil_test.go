//go:debug panicnil=1

package baton_test

// This file sets the legacy GODEBUG=panicnil=1 for the package's tests: panic(nil) then
// recovers as nil, like a runtime.Goexit, and the strategies must still tell the two apart.

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLegacyPanicNilIsAPanicNotAGoexit(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			var calls atomic.Int32
			st := baton.Func("nilpanic", func(_ context.Context, m msg) (msg, error) {
				calls.Add(1)
				if m.ID%2 == 1 {
					panic(nil)
				}
				return m.with("nilpanic"), nil
			})
			p, err := baton.New([]baton.Stage[msg]{st, tracer("b")}, baton.WithStrategy(s), baton.WithMaxInFlight(2))
			require.NoError(t, err)
			in := make([]msg, 20)
			for i := range in {
				in[i].ID = i
			}
			for r := range p.Run(t.Context(), slices.Values(in)) {
				if r.Value.ID%2 == 1 {
					require.ErrorIs(t, r.Err, baton.ErrPanic)
					require.NotErrorIs(t, r.Err, baton.ErrGoexit)
				} else {
					require.NoError(t, r.Err)
					assert.Equal(t, []string{"nilpanic", "b"}, r.Value.Trace)
				}
			}
			_, err = p.Process(t.Context(), msg{ID: 1})
			require.ErrorIs(t, err, baton.ErrPanic)
			assert.Equal(t, int32(21), calls.Load(), "each message ran the stage once")
			require.NoError(t, p.Close())
		})
	}
}
