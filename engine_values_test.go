package baton_test

import (
	"context"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/require"
)

type reviewKey struct{}

// TestHostStepValues checks Host.Step's doc: the step's context has the values of the ctx
// given to Step, or, for a Local message whose submitter waits, its submitter's instead.
func TestHostStepValues(t *testing.T) {
	for _, local := range []bool{false, true} {
		ectx := context.WithValue(context.Background(), reviewKey{}, "engine")
		var got any
		st := baton.Func("a", func(ctx context.Context, n int) (int, error) { got = ctx.Value(reviewKey{}); return n, nil })
		p, err := baton.New([]baton.Stage[int]{st}, baton.WithEngine(&cuttingEngine{ctx: ectx, local: local}))
		require.NoError(t, err)
		_, err = p.Process(context.WithValue(context.Background(), reviewKey{}, "submitter"), 1)
		require.NoError(t, err)
		require.NoError(t, p.Close())
		want := "engine"
		if local {
			want = "submitter"
		}
		require.Equal(t, want, got, "local=%v", local)
	}
}
