package baton_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counting is middleware: it counts the calls of the stage it wraps.
type counting struct {
	baton.Stage[msg]
	calls *atomic.Int32
}

func (c counting) Process(ctx context.Context, m msg, s *baton.Slip) (msg, error) {
	c.calls.Add(1)
	return c.Stage.Process(ctx, m, s)
}

func TestOptionsOfKeepsAWrappedStagesPolicies(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			var tries atomic.Int32
			inner := baton.Func("flaky", func(_ context.Context, m msg) (msg, error) {
				if tries.Add(1) < 3 {
					return m, errors.New("transient")
				}
				return m.with("flaky"), nil
			}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3}))
			var calls atomic.Int32
			wrapped := baton.Configure[msg](counting{inner, &calls}, baton.OptionsOf(inner))
			p, err := baton.New([]baton.Stage[msg]{wrapped}, baton.WithStrategy(s))
			require.NoError(t, err)
			defer p.Close()
			out, err := p.Process(t.Context(), msg{})
			require.NoError(t, err, "the wrapper kept the retry policy")
			assert.Equal(t, []string{"flaky"}, out.Trace)
			assert.Equal(t, int32(3), calls.Load())
		})
	}
}

func ExampleOptionsOf() {
	inner := baton.Func("double", func(_ context.Context, n int) (int, error) { return 2 * n, nil },
		baton.Retry(baton.FixedBackoff(3, 0)))
	logged := baton.SlipFunc("double", func(ctx context.Context, n int, s *baton.Slip) (int, error) {
		fmt.Println("double", n, "attempt", s.Attempt())
		return inner.Process(ctx, n, s)
	})
	p, _ := baton.New([]baton.Stage[int]{baton.Configure(logged, baton.OptionsOf(inner))})
	defer p.Close()
	out, _ := p.Process(context.Background(), 21)
	fmt.Println(out)
	// Output:
	// double 21 attempt 1
	// 42
}

// WithDrivers, deprecated, still builds pipelines, raises orchestration's drivers (more steps of
// a stage without Workers run at once) and refuses n < 1.
func TestWithDriversIsAFloor(t *testing.T) {
	_, err := baton.New([]baton.Stage[msg]{tracer("a")}, baton.WithDrivers(0))
	require.ErrorIs(t, err, baton.ErrInvalidPipeline)
	var now, peak atomic.Int32
	busy := baton.Func("busy", func(ctx context.Context, m msg) (msg, error) {
		n := now.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		now.Add(-1)
		return m, nil
	})
	p, err := baton.New([]baton.Stage[msg]{busy}, baton.WithDrivers(8))
	require.NoError(t, err)
	defer p.Close()
	for r := range p.Run(t.Context(), slices.Values(make([]msg, 32))) {
		require.NoError(t, r.Err)
	}
	assert.Greater(t, peak.Load(), int32(runtime.GOMAXPROCS(0)), "more steps at once than GOMAXPROCS drivers would run")
}
