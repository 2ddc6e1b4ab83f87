package conductor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Handle.Terminate, as Conductor's terminate API: before the run's first step, while a task
// waits and while a worker runs, under both strategies; after the end it is refused.
func TestHandleTerminate(t *testing.T) {
	def := `{"name":"w","failureWorkflow":"never","tasks":[{"name":"block","taskReferenceName":"b"},{"name":"work","taskReferenceName":"after"}]}`
	for _, s := range strategies {
		started := make(chan struct{}, 1)
		block := func(ctx context.Context, _ map[string]any) (map[string]any, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}
		rt, err := New(WithStrategy(s), WithWorker("block", block), WithWorker("work", echoWorker))
		require.NoError(t, err)
		w, err := rt.Load([]byte(def))
		require.NoError(t, err)
		h, err := w.Start(t.Context(), nil)
		require.NoError(t, err)
		<-started
		require.NoError(t, h.Terminate("enough"))
		require.NoError(t, h.Terminate("twice")) // the first reason stays
		e, err := h.Wait(t.Context())
		assert.ErrorIs(t, err, ErrTerminated)
		assert.Equal(t, StatusTerminated, e.Status)
		assert.Equal(t, "enough", e.Reason)
		assert.Equal(t, []string{"b:CANCELED"}, summary(e))
		assert.NotContains(t, e.Output, "conductor.failure_workflow") // no failure workflow for a terminate
		assert.ErrorIs(t, h.Terminate("late"), ErrNotWaiting)
		require.NoError(t, w.Close())
	}
}
