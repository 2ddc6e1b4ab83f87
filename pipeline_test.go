package baton_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultItineraryRunsEveryStageInOrder(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), tracer("b"), tracer("c")})
		out, err := p.Process(t.Context(), msg{ID: 1})
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b", "c"}, out.Trace)

		rs := collect(t, p, t.Context(), []msg{{ID: 1}, {ID: 2}})
		for _, r := range rs {
			require.NoError(t, r.Err)
			assert.Equal(t, []string{"a", "b", "c"}, r.Value.Trace)
			assert.Equal(t, []string{"a:succeeded", "b:succeeded", "c:succeeded"}, logOf(r.Log))
			assert.Equal(t, 1, r.Log[0].Attempts)
		}
	})
}

func TestRouterGivesEachMessageItsOwnItinerary(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), tracer("b"), tracer("c")},
			baton.WithRouter(func(m msg) []string {
				switch m.ID {
				case 0:
					return []string{"c", "a"}
				case 1:
					return []string{"b", "b", "a"}
				case 2:
					return nil
				default:
					return []string{"a", "nope"}
				}
			}))
		rs := collect(t, p, t.Context(), []msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}})
		assert.Equal(t, []string{"c", "a"}, rs[0].Value.Trace)
		assert.Equal(t, []string{"b", "b", "a"}, rs[1].Value.Trace)
		require.NoError(t, rs[2].Err)
		assert.Empty(t, rs[2].Value.Trace)
		assert.ErrorIs(t, rs[3].Err, baton.ErrUnknownStage)
		assert.ErrorContains(t, rs[3].Err, `"nope"`)
		assert.Empty(t, rs[3].Log, "a message with a bad slip takes no step")
	})
}

func TestRouterPanicIsTheMessagesError(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a")},
			baton.WithRouter(func(m msg) []string { panic("router bug") }))
		_, err := p.Process(t.Context(), msg{})
		assert.ErrorIs(t, err, baton.ErrPanic)
	})
}

// reviser revises the slip of the messages it sees as rev says.
func reviser(name string, rev func(m msg, s *baton.Slip) error) baton.Stage[msg] {
	return baton.SlipFunc(name, func(_ context.Context, m msg, s *baton.Slip) (msg, error) {
		return m.with(name), rev(m, s)
	})
}

func TestSlipRevisions(t *testing.T) {
	cases := []struct {
		name string
		rev  func(m msg, s *baton.Slip) error
		want []string
		err  error
	}{
		{"insert next", func(_ msg, s *baton.Slip) error { return s.InsertNext("c", "a") }, []string{"r", "c", "a", "a", "b", "c"}, nil},
		{"append", func(_ msg, s *baton.Slip) error { return s.Append("a") }, []string{"r", "a", "b", "c", "a"}, nil},
		{"skip", func(_ msg, s *baton.Slip) error { s.Skip(2); return nil }, []string{"r", "c"}, nil},
		{"skip too many", func(_ msg, s *baton.Slip) error { s.Skip(99); return nil }, []string{"r"}, nil},
		{"replace", func(_ msg, s *baton.Slip) error { return s.Replace("b", "b") }, []string{"r", "b", "b"}, nil},
		{"end", func(_ msg, s *baton.Slip) error { s.End(); return nil }, []string{"r"}, nil},
		{"unknown stage fails the step", func(_ msg, s *baton.Slip) error { return s.InsertNext("a", "zzz") }, nil, baton.ErrUnknownStage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachStrategy(t, func(t *testing.T, s baton.Strategy) {
				p := newPipeline(t, s, []baton.Stage[msg]{reviser("r", tc.rev), tracer("a"), tracer("b"), tracer("c")})
				out, err := p.Process(t.Context(), msg{})
				if tc.err != nil {
					require.ErrorIs(t, err, tc.err)
					var se *baton.StepError
					require.ErrorAs(t, err, &se)
					assert.Equal(t, "r", se.Stage)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tc.want, out.Trace)
			})
		})
	}
}

func TestSlipInspection(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var seen []string
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), reviser("r", func(_ msg, s *baton.Slip) error {
			seen = append(seen, s.Stage(), fmt.Sprint(s.Remaining()), fmt.Sprint(s.Hops()), fmt.Sprint(logOf(s.Log())))
			return nil
		}), tracer("b")})
		_, err := p.Process(t.Context(), msg{})
		require.NoError(t, err)
		assert.Equal(t, []string{"r", "[b]", "2", "[a:succeeded]"}, seen)
	})
}

func TestRevisionsOfAFailedAttemptAreUndone(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var calls atomic.Int32
		r := baton.SlipFunc("r", func(_ context.Context, m msg, s *baton.Slip) (msg, error) {
			if calls.Add(1) == 1 {
				s.End()
				_ = s.InsertNext("c")
				return m, errors.New("first attempt fails")
			}
			return m.with("r"), nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
		p := newPipeline(t, s, []baton.Stage[msg]{r, tracer("a"), tracer("c")})
		out, err := p.Process(t.Context(), msg{})
		require.NoError(t, err)
		assert.Equal(t, []string{"r", "a", "c"}, out.Trace)
	})
}

func TestHopLimitStopsEndlessLoops(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		loop := reviser("loop", func(_ msg, s *baton.Slip) error { return s.InsertNext("loop") })
		p := newPipeline(t, s, []baton.Stage[msg]{loop}, baton.WithHopLimit(7))
		out, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, baton.ErrHopLimit)
		assert.Len(t, out.Trace, 7)
	})
}

func TestRevisitingIsLegal(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		// count visits b three times by inserting itself until the trace holds three b's
		b := reviser("b", func(m msg, s *baton.Slip) error {
			if len(m.Trace) < 3 {
				return s.InsertNext("a", "b")
			}
			return nil
		})
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), b})
		out, err := p.Process(t.Context(), msg{})
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b", "a", "b"}, out.Trace)
	})
}

// failing returns a stage that fails with err, or panics when err is nil.
func failing(name string, err error, opts ...baton.StageOption) baton.Stage[msg] {
	return baton.Func(name, func(_ context.Context, m msg) (msg, error) {
		if err == nil {
			panic("boom in " + name)
		}
		return m, err
	}, opts...)
}

func TestFailureNamesStageAndAttempts(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		cause := errors.New("disk full")
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), failing("b", cause, baton.Retry(baton.RetryPolicy{MaxAttempts: 3})), tracer("c")})
		out, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, cause)
		var se *baton.StepError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "b", se.Stage)
		assert.Equal(t, 3, se.Attempts)
		assert.Equal(t, []string{"a"}, out.Trace, "the value is the last good one")
		st := p.Stats().Stages
		assert.Equal(t, int64(1), st[1].Failed)
		assert.Equal(t, int64(2), st[1].Retried)
		assert.Equal(t, int64(0), st[2].Processed)
	})
}

func TestPermanentErrorsAreNotRetried(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		cause := errors.New("bad input")
		p := newPipeline(t, s, []baton.Stage[msg]{failing("b", baton.Permanent(cause), baton.Retry(baton.RetryPolicy{MaxAttempts: 5}))})
		_, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, cause)
		assert.True(t, baton.IsPermanent(err))
		var se *baton.StepError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 1, se.Attempts)
	})
}

func TestPanicBecomesErrorAndPipelineGoesOn(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var n atomic.Int32
		st := baton.Func("p", func(_ context.Context, m msg) (msg, error) {
			if n.Add(1) == 1 {
				panic(fmt.Errorf("wrapped %w", context.Canceled))
			}
			return m.with("p"), nil
		})
		p := newPipeline(t, s, []baton.Stage[msg]{st})
		_, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, baton.ErrPanic)
		var pe *baton.PanicError
		require.ErrorAs(t, err, &pe)
		assert.Contains(t, string(pe.Stack), "pipeline_test.go", "the stack shows where it panicked")
		assert.ErrorIs(t, err, context.Canceled, "a panicked error is unwrapped")
		out, err := p.Process(t.Context(), msg{})
		require.NoError(t, err)
		assert.Equal(t, []string{"p"}, out.Trace)
	})
}

// saga is a stage that records its compensations into undone.
func saga(name string, undone *[]string, mu *sync.Mutex, fail error) baton.Stage[msg] {
	return baton.WithCompensation(tracer(name), func(_ context.Context, m msg) error {
		mu.Lock()
		*undone = append(*undone, name)
		mu.Unlock()
		return fail
	})
}

func TestCompensationRunsInReverseAndReports(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var undone []string
		var mu sync.Mutex
		undoErr := errors.New("refund failed")
		cause := errors.New("payment declined")
		p := newPipeline(t, s, []baton.Stage[msg]{
			saga("reserve", &undone, &mu, nil),
			tracer("plain"),
			saga("charge", &undone, &mu, undoErr),
			saga("notify", &undone, &mu, nil),
			failing("ship", cause),
			saga("never", &undone, &mu, nil),
		})
		rs := collect(t, p, t.Context(), []msg{{}})
		r := rs[0]
		assert.Equal(t, []string{"notify", "charge", "reserve"}, undone)
		require.ErrorIs(t, r.Err, cause)
		require.ErrorIs(t, r.Err, baton.ErrCompensationFailed)
		var ce *baton.CompensationError
		require.ErrorAs(t, r.Err, &ce)
		assert.Equal(t, []string{"notify:compensated", "charge:compensation failed", "reserve:compensated"}, logOf(ce.Steps))
		assert.ErrorIs(t, ce.Steps[1].Err, undoErr)
		var se *baton.StepError
		require.ErrorAs(t, r.Err, &se)
		assert.Equal(t, "ship", se.Stage)
		assert.Equal(t, []string{"reserve:succeeded", "plain:succeeded", "charge:succeeded", "notify:succeeded", "ship:failed",
			"notify:compensated", "charge:compensation failed", "reserve:compensated"}, logOf(r.Log))
		assert.Equal(t, logOf(ce.Steps), logOf(r.Compensation()))
		st := p.Stats().Stages
		assert.Equal(t, int64(1), st[0].Compensated)
		assert.Equal(t, int64(1), st[2].CompensationFailed)
	})
}

func TestCompensationWithoutFailureDoesNotMatchErrCompensationFailed(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var undone []string
		var mu sync.Mutex
		p := newPipeline(t, s, []baton.Stage[msg]{saga("a", &undone, &mu, nil), failing("b", errors.New("x"))})
		_, err := p.Process(t.Context(), msg{})
		require.Error(t, err)
		assert.NotErrorIs(t, err, baton.ErrCompensationFailed)
		assert.Equal(t, []string{"a"}, undone)
	})
}

func TestCompensatePanicIsReported(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		a := baton.WithCompensation(tracer("a"), func(context.Context, msg) error { panic("undo bug") })
		p := newPipeline(t, s, []baton.Stage[msg]{a, failing("b", errors.New("x"))})
		_, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, baton.ErrCompensationFailed)
		var ce *baton.CompensationError
		require.ErrorAs(t, err, &ce)
		assert.ErrorIs(t, ce.Steps[0].Err, baton.ErrPanic)
	})
}

func TestOptionalStepFailureIsTolerated(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		cause := errors.New("cache down")
		ins := reviser("r", func(_ msg, s *baton.Slip) error { return s.InsertNextOptional("flaky2") })
		p := newPipeline(t, s, []baton.Stage[msg]{
			ins, failing("flaky", cause, baton.Optional()), failing("flaky2", nil), tracer("b"),
		}, baton.WithRouter(func(msg) []string { return []string{"r", "flaky", "b"} }))
		rs := collect(t, p, t.Context(), []msg{{}})
		require.NoError(t, rs[0].Err)
		assert.Equal(t, []string{"r", "b"}, rs[0].Value.Trace)
		assert.Equal(t, []string{"r:succeeded", "flaky2:tolerated", "flaky:tolerated", "b:succeeded"}, logOf(rs[0].Log))
		assert.ErrorIs(t, rs[0].Log[2].Err, cause)
		assert.ErrorIs(t, rs[0].Log[1].Err, baton.ErrPanic)
	})
}

func TestCancelledContextStopsTheMessage(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		ctx, cancel := context.WithCancel(t.Context())
		var undone []string
		var mu sync.Mutex
		stop := baton.Func("stop", func(_ context.Context, m msg) (msg, error) { cancel(); return m.with("stop"), nil })
		p := newPipeline(t, s, []baton.Stage[msg]{saga("a", &undone, &mu, nil), stop, tracer("b")})
		out, err := p.Process(ctx, msg{})
		require.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, `before stage "b"`)
		assert.Equal(t, []string{"a", "stop"}, out.Trace)
		assert.Equal(t, []string{"a"}, undone, "completed steps are compensated")

		_, err = p.Process(ctx, msg{})
		require.ErrorIs(t, err, context.Canceled, "an already cancelled context is refused")
	})
}

func TestAttemptTimeout(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		slow := baton.Func("slow", func(ctx context.Context, m msg) (msg, error) {
			<-ctx.Done()
			return m, ctx.Err()
		}, baton.AttemptTimeout(time.Millisecond), baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
		p := newPipeline(t, s, []baton.Stage[msg]{slow})
		_, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, baton.ErrTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var se *baton.StepError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 2, se.Attempts)
	})
}

func TestSubmissionOrder(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		delay := baton.Func("delay", func(ctx context.Context, m msg) (msg, error) {
			time.Sleep(time.Duration((7*m.ID)%5) * 100 * time.Microsecond)
			return m, nil
		}, baton.Workers(4))
		p := newPipeline(t, s, []baton.Stage[msg]{delay}, baton.WithSubmissionOrder(), baton.WithMaxInFlight(3), baton.WithDrivers(4))
		var in []msg
		for i := range 50 {
			in = append(in, msg{ID: i})
		}
		var got []int
		for r := range p.Run(t.Context(), slices.Values(in)) {
			require.NoError(t, r.Err)
			got = append(got, r.Value.ID)
			assert.Equal(t, uint64(r.Value.ID), r.Seq)
		}
		assert.True(t, slices.IsSorted(got) && len(got) == 50, "results in submission order: %v", got)
	})
}

func TestBackpressureBlocksSubmit(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		release := make(chan struct{})
		block := baton.Func("block", func(ctx context.Context, m msg) (msg, error) { <-release; return m, nil })
		p := newPipeline(t, s, []baton.Stage[msg]{block}, baton.WithMaxInFlight(2))
		st := p.Stream(t.Context())
		require.NoError(t, st.Submit(t.Context(), msg{ID: 0}))
		require.NoError(t, st.Submit(t.Context(), msg{ID: 1}))
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, st.Submit(ctx, msg{ID: 2}), context.DeadlineExceeded, "the third submission waits for room")
		assert.Equal(t, 2, p.Stats().InFlight)
		close(release)
		st.CloseSend()
		n := 0
		for r := range st.Results() {
			require.NoError(t, r.Err)
			n++
		}
		assert.Equal(t, 2, n)
	})
}

func TestWorkersCapConcurrency(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var now, peak atomic.Int32
		busy := baton.Func("busy", func(ctx context.Context, m msg) (msg, error) {
			n := now.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(200 * time.Microsecond)
			now.Add(-1)
			return m, nil
		}, baton.Workers(2))
		p := newPipeline(t, s, []baton.Stage[msg]{busy}, baton.WithDrivers(6))
		in := make([]msg, 40)
		for _, r := range collect(t, p, t.Context(), in) {
			require.NoError(t, r.Err)
		}
		assert.LessOrEqual(t, peak.Load(), int32(2))
	})
}

func TestFailFast(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		cause := errors.New("poison")
		st := baton.Func("st", func(ctx context.Context, m msg) (msg, error) {
			if m.ID == 3 {
				return m, cause
			}
			if m.ID > 3 {
				<-ctx.Done() // everything after the poison waits until the stream is cancelled
				return m, ctx.Err()
			}
			return m, nil
		}, baton.Workers(8))
		p := newPipeline(t, s, []baton.Stage[msg]{st, tracer("after")}, baton.WithDrivers(8), baton.WithMaxInFlight(8))
		in := make([]msg, 8)
		for i := range in {
			in[i].ID = i
		}
		rs := collect(t, p, t.Context(), in, baton.FailFast())
		require.ErrorIs(t, rs[3].Err, cause)
		for _, r := range rs[4:] {
			require.ErrorIs(t, r.Err, context.Canceled, "message %d", r.Seq)
			assert.ErrorContains(t, r.Err, "poison")
		}
	})
}

func TestRunStopsCleanlyWhenTheConsumerBreaks(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), tracer("b")}, baton.WithMaxInFlight(2))
		endless := func(yield func(msg) bool) {
			for i := 0; ; i++ {
				if !yield(msg{ID: i}) {
					return
				}
			}
		}
		n := 0
		for range p.Run(t.Context(), endless) {
			if n++; n == 5 {
				break
			}
		}
		assert.Equal(t, 0, p.Stats().InFlight)
		_, err := p.Process(t.Context(), msg{})
		require.NoError(t, err, "the pipeline still serves after an abandoned stream")
	})
}

func TestRunReportsMessagesItCouldNotSubmit(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a")})
		var errs []error
		for r := range p.Run(ctx, slices.Values([]msg{{ID: 7}, {ID: 8}})) {
			errs = append(errs, r.Err)
			assert.Equal(t, 7, r.Value.ID)
		}
		require.Len(t, errs, 1, "Run stops reading after the first refused message")
		assert.ErrorIs(t, errs[0], context.Canceled)
	})
}

func TestCloseInEveryState(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		t.Run("before use, twice", func(t *testing.T) {
			p, err := baton.New([]baton.Stage[msg]{tracer("a")}, baton.WithStrategy(s))
			require.NoError(t, err)
			require.NoError(t, p.Close())
			require.NoError(t, p.Close())
			_, err = p.Process(t.Context(), msg{})
			require.ErrorIs(t, err, baton.ErrClosed)
			require.ErrorIs(t, p.Stream(t.Context()).Submit(t.Context(), msg{}), baton.ErrClosed)
		})
		t.Run("concurrently, draining in-flight messages", func(t *testing.T) {
			release := make(chan struct{})
			started := make(chan struct{}, 4)
			block := baton.Func("block", func(ctx context.Context, m msg) (msg, error) {
				started <- struct{}{}
				<-release
				return m.with("block"), nil
			}, baton.Workers(4))
			p, err := baton.New([]baton.Stage[msg]{block, tracer("after")}, baton.WithStrategy(s), baton.WithDrivers(4))
			require.NoError(t, err)
			st := p.Stream(t.Context())
			for i := range 4 {
				require.NoError(t, st.Submit(t.Context(), msg{ID: i}))
			}
			for range 4 {
				<-started
			}
			var closed sync.WaitGroup
			for range 3 {
				closed.Go(func() { assert.NoError(t, p.Close()) })
			}
			// Close waits for the in-flight messages: they are still blocked.
			time.Sleep(5 * time.Millisecond)
			require.ErrorIs(t, st.Submit(t.Context(), msg{}), baton.ErrClosed)
			close(release)
			closed.Wait()
			st.CloseSend()
			n := 0
			for r := range st.Results() {
				require.NoError(t, r.Err)
				assert.Equal(t, []string{"block", "after"}, r.Value.Trace)
				n++
			}
			assert.Equal(t, 4, n, "results finished before Close stay readable")
		})
		t.Run("wakes a blocked submitter", func(t *testing.T) {
			release := make(chan struct{})
			block := baton.Func("block", func(ctx context.Context, m msg) (msg, error) { <-release; return m, nil })
			p, err := baton.New([]baton.Stage[msg]{block}, baton.WithStrategy(s), baton.WithMaxInFlight(1))
			require.NoError(t, err)
			st := p.Stream(t.Context())
			require.NoError(t, st.Submit(t.Context(), msg{}))
			errc := make(chan error)
			go func() { errc <- st.Submit(t.Context(), msg{}) }()
			time.Sleep(2 * time.Millisecond)
			done := make(chan struct{})
			go func() { p.Close(); close(done) }()
			require.ErrorIs(t, <-errc, baton.ErrClosed)
			close(release)
			<-done
		})
		t.Run("shutdown deadline aborts", func(t *testing.T) {
			release := make(chan struct{})
			var undone []string
			var mu sync.Mutex
			block := baton.Func("block", func(ctx context.Context, m msg) (msg, error) { <-release; return m, nil })
			p, err := baton.New([]baton.Stage[msg]{saga("a", &undone, &mu, nil), block, tracer("c")}, baton.WithStrategy(s))
			require.NoError(t, err)
			errc := make(chan error)
			go func() { _, err := p.Process(t.Context(), msg{}); errc <- err }()
			for p.Stats().Stages[0].Processed == 0 {
				time.Sleep(time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
			defer cancel()
			go func() { time.Sleep(20 * time.Millisecond); close(release) }()
			require.ErrorIs(t, p.Shutdown(ctx), baton.ErrAborted)
			err = <-errc
			require.ErrorIs(t, err, baton.ErrAborted)
			assert.ErrorContains(t, err, `before stage "c"`)
			assert.Equal(t, []string{"a"}, undone)
		})
	})
}

func TestNewValidates(t *testing.T) {
	a := tracer("a")
	cases := []struct {
		name   string
		stages []baton.Stage[msg]
		opts   []baton.Option
		want   string
	}{
		{"no stages", nil, nil, "no stages"},
		{"nil stage", []baton.Stage[msg]{a, nil}, nil, "stage 1 is nil"},
		{"empty name", []baton.Stage[msg]{tracer("")}, nil, "empty name"},
		{"duplicate", []baton.Stage[msg]{a, tracer("a")}, nil, `"a" used twice`},
		{"in flight", []baton.Stage[msg]{a}, []baton.Option{baton.WithMaxInFlight(0)}, "WithMaxInFlight(0)"},
		{"hop limit", []baton.Stage[msg]{a}, []baton.Option{baton.WithHopLimit(-1)}, "WithHopLimit(-1)"},
		{"drivers", []baton.Stage[msg]{a}, []baton.Option{baton.WithDrivers(0)}, "WithDrivers(0)"},
		{"strategy", []baton.Stage[msg]{a}, []baton.Option{baton.WithStrategy(9)}, "unknown strategy"},
		{"router type", []baton.Stage[msg]{a}, []baton.Option{baton.WithRouter(func(int) []string { return nil })}, "WithRouter"},
		{"message timeout", []baton.Stage[msg]{a}, []baton.Option{baton.WithMessageTimeout(0)}, "WithMessageTimeout"},
		{"workers", []baton.Stage[msg]{tracer("w", baton.Workers(-1))}, nil, "Workers"},
		{"retry", []baton.Stage[msg]{tracer("w", baton.Retry(baton.RetryPolicy{Jitter: 2}))}, nil, "Jitter"},
		{"nil option", []baton.Stage[msg]{a}, []baton.Option{nil}, "nil Option"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := baton.New(tc.stages, tc.opts...)
			require.ErrorIs(t, err, baton.ErrInvalidPipeline)
			assert.ErrorContains(t, err, tc.want)
			assert.Nil(t, p)
		})
	}
}

func TestStatsUnderLoad(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), tracer("b")}, baton.WithMaxInFlight(4))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					st := p.Stats()
					assert.LessOrEqual(t, st.InFlight, 4)
					for _, sg := range st.Stages {
						assert.LessOrEqual(t, sg.Inbox, 4)
					}
				}
			}
		})
		in := make([]msg, 200)
		collect(t, p, t.Context(), in)
		close(stop)
		wg.Wait()
		st := p.Stats()
		assert.Equal(t, s, st.Strategy)
		assert.Equal(t, int64(200), st.Stages[0].Processed)
		assert.Equal(t, int64(200), st.Stages[1].Processed)
		assert.Equal(t, 0, st.InFlight)
	})
}
