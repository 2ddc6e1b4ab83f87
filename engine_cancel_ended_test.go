package baton_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/require"
)

// TestWithStepCancellationEndedAlready: a marked engine context that has ended before Host.Step
// is called stops the message before its step, as a cancelled Process context does in process:
// the stage never runs.
func TestWithStepCancellationEndedAlready(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errWorkflowCancelled)
	var runs atomic.Int64
	st := baton.Func("a", func(context.Context, int) (int, error) { runs.Add(1); return 1, nil })
	p, err := baton.New([]baton.Stage[int]{st}, baton.WithEngine(&cuttingEngine{ctx: baton.WithStepCancellation(ctx)}),
		baton.WithSentinels(errWorkflowCancelled))
	require.NoError(t, err)
	defer p.Close()
	for range 200 {
		_, err := p.Process(context.Background(), 0)
		require.True(t, errors.Is(err, errWorkflowCancelled), "error %v", err)
	}
	require.Zero(t, runs.Load(), "the stage ran under an engine context that had ended")
}
