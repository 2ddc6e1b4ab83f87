package baton_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is an Observer that keeps each message's events as strings, without times.
type recorder struct {
	mu  sync.Mutex
	per map[uint64][]string
}

func (r *recorder) Observe(e baton.Event) {
	s := e.Kind.String()
	if e.Stage != "" {
		s += " " + e.Stage
	}
	if e.Attempt != 0 {
		s += fmt.Sprintf(" #%d", e.Attempt)
	}
	if e.Outcome != 0 {
		s += " " + e.Outcome.String()
	}
	if e.Remaining != nil {
		s += fmt.Sprint(" ", e.Remaining)
	}
	if e.Err != nil {
		s += " err"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.per == nil {
		r.per = map[uint64][]string{}
	}
	r.per[e.Message] = append(r.per[e.Message], s)
}

func eventStages(undone *[]string, mu *sync.Mutex) []baton.Stage[msg] {
	var flaky atomic.Int32
	return []baton.Stage[msg]{
		saga("a", undone, mu, nil),
		baton.SlipFunc("r", func(_ context.Context, m msg, s *baton.Slip) (msg, error) {
			if m.ID%2 == 0 {
				return m.with("r"), s.InsertNext("b")
			}
			return m.with("r"), nil
		}),
		baton.Func("b", func(_ context.Context, m msg) (msg, error) {
			if m.ID == 2 && flaky.Add(1) == 1 {
				return m, errors.New("flaky")
			}
			return m.with("b"), nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})),
		baton.Func("c", func(_ context.Context, m msg) (msg, error) {
			if m.ID == 3 {
				return m, errors.New("c fails")
			}
			return m.with("c"), nil
		}),
	}
}

func TestEventsAreTheSameUnderBothStrategies(t *testing.T) {
	var got []map[uint64][]string
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var undone []string
		var mu sync.Mutex
		rec := &recorder{}
		p := newPipeline(t, s, eventStages(&undone, &mu), baton.WithObserver(rec),
			baton.WithRouter(func(m msg) []string {
				if m.ID == 1 {
					return []string{"a", "c"}
				}
				return []string{"a", "r", "c"}
			}))
		collect(t, p, t.Context(), []msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}})
		require.NoError(t, p.Close())
		rec.mu.Lock()
		got = append(got, rec.per)
		rec.mu.Unlock()
	})
	require.Len(t, got, 2)
	assert.Equal(t, got[0], got[1], "each message's events are the same under both strategies")
	// Message numbers follow acceptance order: Run submits in order, so message 3 is ID 2.
	assert.Equal(t, []string{
		"message accepted", "step started a #1", "step ended a #1 succeeded",
		"step started r #1", "step ended r #1 succeeded", "slip revised r [b c]",
		"step started b #1", "step ended b #1 err", "retry scheduled b #1 err",
		"step started b #2", "step ended b #2 succeeded",
		"step started c #1", "step ended c #1 succeeded", "message finished",
	}, got[0][3])
	assert.Equal(t, []string{
		"message accepted", "step started a #1", "step ended a #1 succeeded",
		"step started r #1", "step ended r #1 succeeded",
		"step started c #1", "step ended c #1 failed err",
		"compensation started a", "compensation ended a #1 compensated", "message finished err",
	}, got[0][4])
}

func TestObserverPanicIsContained(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		obs := baton.ObserverFunc(func(e baton.Event) {
			if e.Kind == baton.StepStarted {
				panic("observer bug")
			}
		})
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), tracer("b")}, baton.WithObserver(obs))
		out, err := p.Process(t.Context(), msg{})
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b"}, out.Trace)
		assert.Equal(t, int64(2), p.Stats().ObserverPanics)
	})
}

func TestTimingFillsTheLogAndLatency(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), tracer("b")}, baton.WithTiming())
		rs := collect(t, p, t.Context(), make([]msg, 50))
		for _, r := range rs {
			require.Len(t, r.Log, 2)
			assert.False(t, r.Log[0].Start.IsZero())
			assert.False(t, r.Log[1].Start.Before(r.Log[0].Start), "steps start in order")
		}
		st := p.Stats()
		assert.Positive(t, st.Elapsed)
		for _, sg := range st.Stages {
			assert.Positive(t, sg.Latency.P50)
			assert.LessOrEqual(t, sg.Latency.P50, sg.Latency.P99)
			assert.Positive(t, sg.Throughput)
		}
	})
}

func TestWithoutTimingTheLogHasNoTimes(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a")})
		rs := collect(t, p, t.Context(), make([]msg, 1))
		require.Len(t, rs[0].Log, 1)
		assert.True(t, rs[0].Log[0].Start.IsZero())
		assert.Zero(t, p.Stats().Stages[0].Latency)
	})
}

func TestEveryResultCarriesItsLog(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var tries atomic.Int32
		p := newPipeline(t, s, []baton.Stage[msg]{
			reviser("a", func(m msg, slip *baton.Slip) error {
				if m.ID == 3 && slip.Hops() == 1 {
					return slip.InsertNext("a")
				}
				return nil
			}),
			baton.Func("b", func(_ context.Context, m msg) (msg, error) {
				if m.ID == 1 {
					return m, errors.New("no")
				}
				if m.ID == 2 && tries.Add(1) == 1 {
					return m, errors.New("once")
				}
				return m, nil
			}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})),
		}, baton.WithMaxInFlight(1))
		rs := collect(t, p, t.Context(), []msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}})
		assert.Equal(t, []string{"a:succeeded", "b:succeeded"}, logOf(rs[0].Log), "plain")
		assert.Equal(t, []string{"a:succeeded", "b:failed"}, logOf(rs[1].Log), "failed")
		assert.Equal(t, 2, rs[1].Log[1].Attempts)
		assert.Equal(t, []string{"a:succeeded", "b:succeeded"}, logOf(rs[2].Log), "retried")
		assert.Equal(t, 2, rs[2].Log[1].Attempts, "a retried step's log says so")
		assert.Equal(t, 1, rs[4].Log[1].Attempts)
		assert.Equal(t, []string{"a:succeeded", "a:succeeded", "b:succeeded"}, logOf(rs[3].Log), "revised")
	})
}

func TestSlogObserver(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var buf bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelInfo}))
		var undone []string
		p := newPipeline(t, s, eventStages(&undone, &mu), baton.WithObserver(baton.SlogObserver(logger)))
		_, err := p.Process(t.Context(), msg{ID: 3})
		require.Error(t, err)
		mu.Lock()
		out := buf.String()
		mu.Unlock()
		assert.Contains(t, out, `level=WARN msg="baton: step ended"`)
		assert.Contains(t, out, `stage=c`)
		assert.Contains(t, out, `level=INFO msg="baton: compensation ended"`)
		assert.Contains(t, out, `level=ERROR msg="baton: message finished"`)
		assert.Contains(t, out, "strategy="+s.String())
		assert.NotContains(t, out, "step started", "debug events are not logged at info level")
		assert.Equal(t, 1, strings.Count(out, "message finished"))
	})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestOneStepEndedPerAttemptWhenARetryWaitIsCutShort(t *testing.T) {
	inBubble(t, func(t *testing.T, s baton.Strategy) {
		rec := &recorder{}
		p := newPipeline(t, s, []baton.Stage[msg]{failing("f", errors.New("transient"), baton.Retry(baton.FixedBackoff(3, time.Hour)))},
			baton.WithObserver(rec))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := p.Process(ctx, msg{})
		require.ErrorIs(t, err, context.Canceled)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		assert.Equal(t, []string{"message accepted", "step started f #1", "step ended f #1 err",
			"retry scheduled f #1 err", "message finished err"}, rec.per[1])
	})
}
