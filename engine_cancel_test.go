package baton_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cuttingEngine carries messages within the process, as loopback does, but gives every
// Host.Step the context ctx: an engine whose own context can end while a step runs.
type cuttingEngine struct {
	h     baton.Host
	ctx   context.Context
	local bool
	wg    sync.WaitGroup
}

func (c *cuttingEngine) Strategy() baton.Strategy  { return baton.Orchestrated }
func (c *cuttingEngine) Attach(h baton.Host) error { c.h = h; return nil }
func (c *cuttingEngine) Close() error              { c.wg.Wait(); return nil }

func (c *cuttingEngine) Send(_ context.Context, env baton.Envelope) error {
	env.Origin, env.Local = "cutting", c.local
	c.wg.Go(func() {
		for env.Stage != "" {
			out, err := c.h.Step(c.ctx, env)
			if err != nil {
				_ = c.h.Lost(env.ID, err)
				return
			}
			env = out
		}
		_ = c.h.Deliver(env)
	})
	return nil
}

var errWorkflowCancelled = errors.New("workflow cancelled")

// TestWithStepCancellation: the end of a context marked WithStepCancellation, given to
// Host.Step, cuts the running step short with its cause — the step fails with it, unretried,
// and the completed steps are compensated in a context it does not reach — whether the
// message runs in its submitter's process (Local) or arrived from another; an unmarked
// context's end reaches no step, which runs to its end.
func TestWithStepCancellation(t *testing.T) {
	for _, tc := range []struct {
		name          string
		marked, local bool
	}{{"marked", true, false}, {"marked/local", true, true}, {"unmarked", false, false}, {"unmarked/local", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			ectx, cancel := context.WithCancelCause(context.Background())
			eng := &cuttingEngine{ctx: ectx, local: tc.local}
			if tc.marked {
				eng.ctx = baton.WithStepCancellation(ectx)
			}
			started, release := make(chan struct{}), make(chan struct{})
			var compensatedLive, attempts, after int
			stages := []baton.Stage[int]{
				baton.Compensable(baton.Func("a", func(_ context.Context, n int) (int, error) { return n + 1, nil }),
					func(ctx context.Context, _ int) error {
						if ctx.Err() == nil {
							compensatedLive++
						}
						return nil
					}),
				baton.Func("slow", func(ctx context.Context, n int) (int, error) {
					attempts++
					close(started)
					select {
					case <-ctx.Done():
						return n, ctx.Err()
					case <-release:
						return n + 10, nil
					}
				}, baton.Retry(baton.FixedBackoff(3, 0))),
				baton.Func("after", func(_ context.Context, n int) (int, error) { after++; return n + 100, nil }),
			}
			p, err := baton.New(stages, baton.WithEngine(eng), baton.WithSentinels(errWorkflowCancelled))
			require.NoError(t, err)
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			defer p.Close()
			defer free() // before Close, which waits for the step
			res := make(chan baton.Result[int], 1)
			go func() { res <- p.ProcessResult(context.Background(), 0) }()
			<-started
			cancel(errWorkflowCancelled)
			wait := 100 * time.Millisecond // for a step that should not end: it is not cut short
			if tc.marked {
				wait = 10 * time.Second // for a step that should end at once
			}
			var r baton.Result[int]
			select {
			case r = <-res:
				require.True(t, tc.marked, "the step ended with an unmarked engine context: %v", r.Err)
			case <-time.After(wait):
				require.False(t, tc.marked, "the marked engine context's end did not cut the step short")
				free()
				r = <-res
			}
			if !tc.marked {
				require.NoError(t, r.Err)
				assert.Equal(t, 111, r.Value)
				assert.Equal(t, 1, after)
				return
			}
			require.ErrorIs(t, r.Err, errWorkflowCancelled)
			require.ErrorIs(t, r.Err, context.Canceled)
			var se *baton.StepError
			require.ErrorAs(t, r.Err, &se)
			assert.Equal(t, "slow", se.Stage)
			assert.Equal(t, 1, attempts, "a cut step is not retried")
			assert.Equal(t, 0, after, "no step runs after the cut one")
			assert.Equal(t, 1, compensatedLive, "a is compensated in a context the cut does not reach")
			require.Len(t, r.Log, 3)
			assert.Equal(t, baton.Failed, r.Log[1].Outcome)
			assert.Equal(t, baton.Compensated, r.Log[2].Outcome)
		})
	}
}
