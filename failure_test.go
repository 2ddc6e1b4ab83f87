package baton_test

// Failure semantics on a virtual clock (testing/synctest): retries, backoff, timeouts,
// cancellation, compensation — under both strategies.

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inBubble runs f in a synctest bubble once per strategy; pipelines made inside it run on the
// bubble's virtual clock.
func inBubble(t *testing.T, f func(t *testing.T, s baton.Strategy)) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { f(t, s) })
		})
	}
}

// flaky fails its first n attempts of every message with err, recording when each attempt began.
type flaky struct {
	name  string
	n     int
	err   error
	mu    sync.Mutex
	times []time.Time
}

func (f *flaky) Name() string { return f.name }
func (f *flaky) Process(_ context.Context, m msg, _ *baton.Slip) (msg, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times = append(f.times, time.Now())
	if len(f.times) <= f.n {
		return m, f.err
	}
	return m.with(f.name), nil
}

func (f *flaky) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(f.times); i++ {
		out = append(out, f.times[i].Sub(f.times[i-1]))
	}
	return out
}

func TestBackoffSequences(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name   string
		policy baton.RetryPolicy
		want   []time.Duration
	}{
		{"fixed", baton.FixedBackoff(4, 100*ms), []time.Duration{100 * ms, 100 * ms, 100 * ms}},
		{"linear", baton.LinearBackoff(4, 100*ms), []time.Duration{100 * ms, 200 * ms, 300 * ms}},
		{"exponential capped", baton.ExponentialBackoff(6, 100*ms, time.Second), []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second}},
		{"custom multiplier", baton.RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * ms, Multiplier: 3}, []time.Duration{10 * ms, 30 * ms}},
		{"immediate", baton.RetryPolicy{MaxAttempts: 3}, []time.Duration{0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, func(t *testing.T, s baton.Strategy) {
				f := &flaky{name: "f", n: len(tc.want), err: errors.New("transient")}
				p := newPipeline(t, s, []baton.Stage[msg]{baton.Configure[msg](f, baton.Retry(tc.policy))})
				_, err := p.Process(t.Context(), msg{})
				require.NoError(t, err)
				assert.Equal(t, tc.want, f.waits())
				assert.Equal(t, int64(len(tc.want)), p.Stats().Stages[0].Retried)
			})
		})
	}
}

func TestJitterStaysWithinBounds(t *testing.T) {
	inBubble(t, func(t *testing.T, s baton.Strategy) {
		pol := baton.RetryPolicy{MaxAttempts: 30, InitialBackoff: 100 * time.Millisecond, Multiplier: 1, Jitter: 0.2}
		f := &flaky{name: "f", n: 29, err: errors.New("transient")}
		p := newPipeline(t, s, []baton.Stage[msg]{baton.Configure[msg](f, baton.Retry(pol))})
		_, err := p.Process(t.Context(), msg{})
		require.NoError(t, err)
		w := f.waits()
		require.Len(t, w, 29)
		for _, d := range w {
			assert.GreaterOrEqual(t, d, 80*time.Millisecond)
			assert.LessOrEqual(t, d, 120*time.Millisecond)
		}
		assert.Greater(t, len(slices.Compact(slices.Sorted(slices.Values(w)))), 1, "jitter varies the waits")
	})
	assert.Equal(t, 120*time.Millisecond, baton.RetryPolicy{InitialBackoff: 100 * time.Millisecond, Jitter: 0.2}.Backoff(1, 1))
	assert.Equal(t, 80*time.Millisecond, baton.RetryPolicy{InitialBackoff: 100 * time.Millisecond, Jitter: 0.2}.Backoff(1, 0))
}

func TestRetryablePredicate(t *testing.T) {
	inBubble(t, func(t *testing.T, s baton.Strategy) {
		transient := errors.New("transient")
		fatal := errors.New("fatal")
		pol := baton.RetryPolicy{MaxAttempts: 5, Retryable: func(err error) bool { return errors.Is(err, transient) }}
		a := &flaky{name: "a", n: 2, err: transient}
		b := &flaky{name: "b", n: 2, err: fatal}
		p := newPipeline(t, s, []baton.Stage[msg]{baton.Configure[msg](a, baton.Retry(pol)), baton.Configure[msg](b, baton.Retry(pol))})
		_, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, fatal)
		var se *baton.StepError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "b", se.Stage)
		assert.Equal(t, 1, se.Attempts, "an error the predicate refuses is not retried")
		assert.Len(t, a.waits(), 2, "a was retried")
	})
}

func TestBackoffWaitHonoursCancellation(t *testing.T) {
	inBubble(t, func(t *testing.T, s baton.Strategy) {
		ctx, cancel := context.WithCancel(t.Context())
		f := &flaky{name: "f", n: 99, err: errors.New("transient")}
		p := newPipeline(t, s, []baton.Stage[msg]{baton.Configure[msg](f, baton.Retry(baton.FixedBackoff(5, time.Hour)))})
		start := time.Now()
		time.AfterFunc(time.Minute, cancel)
		_, err := p.Process(ctx, msg{})
		require.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, "transient", "the error says what was being retried")
		assert.Equal(t, time.Minute, time.Since(start), "cancellation cut the hour-long wait")
		var se *baton.StepError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 1, se.Attempts)
	})
}

// sleeper sleeps d per attempt, honouring ctx.
func sleeper(name string, d time.Duration, opts ...baton.StageOption) baton.Stage[msg] {
	return baton.Func(name, func(ctx context.Context, m msg) (msg, error) {
		select {
		case <-time.After(d):
			return m.with(name), nil
		case <-ctx.Done():
			return m, ctx.Err()
		}
	}, opts...)
}

func TestTimeouts(t *testing.T) {
	t.Run("each attempt gets a fresh deadline", func(t *testing.T) {
		inBubble(t, func(t *testing.T, s baton.Strategy) {
			var n int
			st := baton.Func("s", func(ctx context.Context, m msg) (msg, error) {
				n++
				d := time.Second
				if n == 3 {
					d = 50 * time.Millisecond
				}
				select {
				case <-time.After(d):
					return m.with("s"), nil
				case <-ctx.Done():
					return m, ctx.Err()
				}
			}, baton.AttemptTimeout(100*time.Millisecond), baton.Retry(baton.FixedBackoff(3, 10*time.Millisecond)))
			p := newPipeline(t, s, []baton.Stage[msg]{st})
			start := time.Now()
			out, err := p.Process(t.Context(), msg{})
			require.NoError(t, err)
			assert.Equal(t, []string{"s"}, out.Trace)
			assert.Equal(t, (100+10+100+10+50)*time.Millisecond, time.Since(start))
		})
	})
	t.Run("a late success is a timeout", func(t *testing.T) {
		inBubble(t, func(t *testing.T, s baton.Strategy) {
			stubborn := baton.Func("s", func(ctx context.Context, m msg) (msg, error) {
				time.Sleep(time.Second) // ignores ctx
				return m, nil
			}, baton.AttemptTimeout(100*time.Millisecond))
			p := newPipeline(t, s, []baton.Stage[msg]{stubborn})
			_, err := p.Process(t.Context(), msg{})
			require.ErrorIs(t, err, baton.ErrTimeout)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorContains(t, err, "attempt")
		})
	})
	t.Run("step timeout covers retries", func(t *testing.T) {
		inBubble(t, func(t *testing.T, s baton.Strategy) {
			st := sleeper("s", 300*time.Millisecond, baton.AttemptTimeout(200*time.Millisecond),
				baton.StepTimeout(time.Second), baton.Retry(baton.FixedBackoff(100, 100*time.Millisecond)))
			p := newPipeline(t, s, []baton.Stage[msg]{st})
			start := time.Now()
			_, err := p.Process(t.Context(), msg{})
			require.ErrorIs(t, err, baton.ErrTimeout)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorContains(t, err, "step timed out")
			assert.Equal(t, time.Second, time.Since(start))
			var se *baton.StepError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, 4, se.Attempts, "attempts at 0, 300, 600, 900 ms")
		})
	})
	t.Run("message timeout end to end", func(t *testing.T) {
		inBubble(t, func(t *testing.T, s baton.Strategy) {
			var undone []string
			var mu sync.Mutex
			p := newPipeline(t, s, []baton.Stage[msg]{
				saga("a", &undone, &mu, nil), sleeper("b", 400*time.Millisecond, baton.Workers(2)), sleeper("c", 400*time.Millisecond, baton.Workers(2)),
			}, baton.WithMessageTimeout(time.Second), baton.WithMaxInFlight(4), baton.WithDrivers(2))
			rs := collect(t, p, t.Context(), []msg{{}, {}})
			for _, r := range rs {
				require.NoError(t, r.Err)
			}
			p2 := newPipeline(t, s, []baton.Stage[msg]{
				saga("a", &undone, &mu, nil), sleeper("b", 600*time.Millisecond), sleeper("c", 600*time.Millisecond), tracer("d"),
			}, baton.WithMessageTimeout(time.Second))
			start := time.Now()
			out, err := p2.Process(t.Context(), msg{})
			require.ErrorIs(t, err, baton.ErrTimeout)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorContains(t, err, "message timed out")
			assert.Equal(t, time.Second, time.Since(start))
			assert.Equal(t, []string{"a", "b"}, out.Trace)
			assert.Equal(t, []string{"a"}, undone)
		})
	})
}

func TestCompensationRetryPolicy(t *testing.T) {
	inBubble(t, func(t *testing.T, s baton.Strategy) {
		var tries []time.Time
		a := baton.Configure(baton.WithCompensation(tracer("a"), func(context.Context, msg) error {
			tries = append(tries, time.Now())
			if len(tries) < 3 {
				return errors.New("refund service busy")
			}
			return nil
		}), baton.CompensationRetry(baton.FixedBackoff(3, time.Second)))
		p := newPipeline(t, s, []baton.Stage[msg]{a, failing("b", errors.New("x"))})
		rs := collect(t, p, t.Context(), []msg{{}})
		require.Error(t, rs[0].Err)
		assert.NotErrorIs(t, rs[0].Err, baton.ErrCompensationFailed)
		require.Len(t, tries, 3)
		assert.Equal(t, 2*time.Second, tries[2].Sub(tries[0]))
		comp := rs[0].Compensation()
		require.Len(t, comp, 1)
		assert.Equal(t, 3, comp[0].Attempts)
		assert.Equal(t, baton.Compensated, comp[0].Outcome)
	})
}

func TestCompensationRunsForCancelledMessagesWithALiveContext(t *testing.T) {
	inBubble(t, func(t *testing.T, s baton.Strategy) {
		ctx, cancel := context.WithCancel(t.Context())
		var compCtxErr error = errors.New("not called")
		a := baton.WithCompensation(tracer("a"), func(ctx context.Context, m msg) error {
			compCtxErr = ctx.Err()
			return nil
		})
		p := newPipeline(t, s, []baton.Stage[msg]{a, sleeper("b", time.Hour)})
		time.AfterFunc(time.Second, cancel)
		_, err := p.Process(ctx, msg{})
		require.ErrorIs(t, err, context.Canceled)
		assert.NoError(t, compCtxErr, "compensation runs with a context that is not cancelled")
	})
}

// --- randomized fault injection -----------------------------------------------------------------

// faultMsg is the message of the fault-injection test.
type faultMsg struct {
	ID    int
	Trace string
}

// faults decides, from a seed, what every (message, stage, hop, attempt) does — so both
// strategies face exactly the same faults.
type faults struct {
	seed    maphash.Seed
	rounds  uint64
	stages  int
	mu      sync.Mutex
	undone  map[int][]string
	tries   map[[2]int]int
	cancels sync.Map // message ID -> context.CancelFunc
}

func (f *faults) roll(parts ...any) uint64 {
	return maphash.Comparable(f.seed, fmt.Sprint(f.rounds, parts))
}

func (f *faults) stage(i int, r *rand.Rand) baton.Stage[faultMsg] {
	name := fmt.Sprintf("s%d", i)
	opts := []baton.StageOption{
		baton.Retry(baton.RetryPolicy{MaxAttempts: 1 + r.IntN(3), InitialBackoff: time.Duration(r.IntN(20)) * time.Millisecond, Multiplier: 2}),
	}
	if r.IntN(2) == 0 {
		opts = append(opts, baton.AttemptTimeout(50*time.Millisecond))
	}
	if r.IntN(5) == 0 {
		opts = append(opts, baton.Optional())
	}
	if r.IntN(3) == 0 {
		opts = append(opts, baton.Workers(1+r.IntN(3)))
	}
	var st baton.Stage[faultMsg] = baton.SlipFunc(name, func(ctx context.Context, m faultMsg, slip *baton.Slip) (faultMsg, error) {
		f.mu.Lock()
		key := [2]int{m.ID, slip.Hops()}
		f.tries[key]++ // the attempt number of this step: a message's steps run one at a time
		attempt := f.tries[key]
		f.mu.Unlock()
		h := f.roll(m.ID, name, slip.Hops(), len(slip.Log()), attempt)
		switch h % 20 {
		case 0, 1:
			return m, errors.New(name + " failed")
		case 2:
			return m, baton.Permanent(errors.New(name + " refused"))
		case 3:
			panic(name + " panicked")
		case 4, 5:
			// Well inside or well beyond an attempt timeout of 50ms, never at it: a tie between
			// two timers at one virtual instant could go either way.
			d := time.Duration(h>>8%40) * time.Millisecond
			if h>>16%2 == 0 {
				d += 60 * time.Millisecond
			}
			time.Sleep(d)
		case 6:
			if c, ok := f.cancels.Load(m.ID); ok {
				c.(context.CancelFunc)()
			}
		case 7, 8, 9:
			if slip.Hops() < 12 {
				if err := slip.InsertNext(fmt.Sprintf("s%d", h>>8%uint64(f.stages))); err != nil {
					return m, err
				}
			}
		case 10:
			slip.Skip(1)
		}
		if err := ctx.Err(); err != nil {
			return m, err
		}
		m.Trace += name + " "
		return m, nil
	}, opts...)
	if r.IntN(2) == 0 {
		st = baton.WithCompensation(st, func(_ context.Context, m faultMsg) error {
			f.mu.Lock()
			f.undone[m.ID] = append(f.undone[m.ID], name)
			f.mu.Unlock()
			if f.roll("undo", m.ID, name)%4 == 0 {
				return errors.New("undo failed")
			}
			return nil
		})
	}
	return st
}

// outcome describes a message's end, independent of timing and strategy.
func (f *faults) outcome(m faultMsg, err error) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var se *baton.StepError
	var ce *baton.CompensationError
	desc := fmt.Sprintf("trace=[%s] undone=%v", strings.TrimSpace(m.Trace), f.undone[m.ID])
	if errors.As(err, &se) {
		desc += fmt.Sprintf(" failed at %s after %d", se.Stage, se.Attempts)
	}
	if errors.As(err, &ce) {
		desc += " " + fmt.Sprint(logOfFault(ce.Steps))
	}
	for _, s := range []error{baton.ErrTimeout, baton.ErrPanic, baton.ErrHopLimit, baton.ErrUnknownStage, context.Canceled, baton.ErrCompensationFailed} {
		if errors.Is(err, s) {
			desc += " is(" + s.Error() + ")"
		}
	}
	if err != nil && se == nil {
		desc += " err=" + err.Error()
	}
	return desc
}

func logOfFault(log []baton.StepRecord) []string { return logOf(log) }

func TestFaultInjectionBothStrategiesAgree(t *testing.T) {
	const nStages, nMsgs = 6, 400
	for round := range uint64(3) {
		seed := maphash.MakeSeed()
		r := rand.New(rand.NewPCG(round, 7))
		inflight := 1 + r.IntN(3)
		routes := make([][]string, nMsgs)
		for i := range routes {
			for range 1 + r.IntN(5) {
				routes[i] = append(routes[i], fmt.Sprintf("s%d", r.IntN(nStages)))
			}
		}
		var outcomes [2][]string
		for si, s := range strategies {
			t.Run(fmt.Sprintf("round%d/%v", round, s), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := &faults{seed: seed, rounds: round, stages: nStages, undone: map[int][]string{}, tries: map[[2]int]int{}}
					sr := rand.New(rand.NewPCG(round, 11)) // same stage policies for both strategies
					var stages []baton.Stage[faultMsg]
					for i := range nStages {
						stages = append(stages, f.stage(i, sr))
					}
					p, err := baton.New(stages, baton.WithStrategy(s), baton.WithMaxInFlight(inflight), baton.WithHopLimit(10),
						baton.WithRouter(func(m faultMsg) []string { return routes[m.ID] }))
					require.NoError(t, err)
					out := make([]string, nMsgs)
					var wg sync.WaitGroup
					for i := range nMsgs {
						wg.Go(func() {
							ctx, cancel := context.WithCancel(t.Context())
							defer cancel()
							f.cancels.Store(i, cancel)
							v, err := p.Process(ctx, faultMsg{ID: i})
							out[i] = f.outcome(v, err)
						})
					}
					wg.Wait()
					require.NoError(t, p.Close())
					assert.Zero(t, p.Stats().InFlight)
					outcomes[si] = out
				})
			})
		}
		kinds := map[string]int{}
		for i := range nMsgs {
			require.Equal(t, outcomes[0][i], outcomes[1][i], "round %d message %d (route %v)", round, i, routes[i])
			for _, k := range []string{"is(", "failed at", "compensated", "compensation failed", "after 2", "after 3"} {
				if strings.Contains(outcomes[0][i], k) {
					kinds[k]++
				}
			}
			if !strings.Contains(outcomes[0][i], "is(") && !strings.Contains(outcomes[0][i], "err=") && !strings.Contains(outcomes[0][i], "failed at") {
				kinds["ok"]++
			}
		}
		t.Logf("round %d: %v", round, kinds)
		for _, k := range []string{"ok", "failed at", "compensated", "is("} {
			assert.Positive(t, kinds[k], "the faults produce %q outcomes", k)
		}
	}
}

func TestCancellationAfterTheLastStepIsNotAFailure(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		ctx, cancel := context.WithCancel(t.Context())
		last := baton.Func("last", func(_ context.Context, m msg) (msg, error) { cancel(); return m.with("last"), nil })
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a"), last})
		out, err := p.Process(ctx, msg{})
		require.NoError(t, err, "every step of the itinerary completed")
		assert.Equal(t, []string{"a", "last"}, out.Trace)
	})
}

func TestStageCallingGoexitFailsTheStepAndNothingHangs(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		var undone []string
		var mu sync.Mutex
		exit := baton.Func("exit", func(_ context.Context, m msg) (msg, error) {
			if m.ID%2 == 1 {
				runtime.Goexit() // what t.FailNow does inside a stage
			}
			return m.with("exit"), nil
		})
		p := newPipeline(t, s, []baton.Stage[msg]{saga("a", &undone, &mu, nil), exit, tracer("b")}, baton.WithMaxInFlight(2))
		in := make([]msg, 20)
		for i := range in {
			in[i].ID = i
		}
		for _, r := range collect(t, p, t.Context(), in) {
			if r.Value.ID%2 == 1 {
				require.ErrorIs(t, r.Err, baton.ErrGoexit)
				assert.Equal(t, []string{"a:succeeded", "exit:failed", "a:compensated"}, logOf(r.Log))
			} else {
				require.NoError(t, r.Err)
			}
		}
		// Process: the caller's goroutine ends (as with t.FailNow); the message still finishes.
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			p.Process(t.Context(), msg{ID: 1})
		}()
		<-returned
		require.NoError(t, p.Close(), "nothing left in flight")
		mu.Lock()
		assert.Len(t, undone, 11)
		mu.Unlock()
	})
}

// A message waiting for its turn (in an inbox, or for a stage's worker) stops before its step
// when its time is up, under both strategies alike.
func TestQueuedMessagesStopWhereTheyWait(t *testing.T) {
	slow := func() baton.Stage[msg] {
		return baton.Func("slow", func(ctx context.Context, m msg) (msg, error) {
			time.Sleep(10 * time.Millisecond) // ignores ctx
			return m.with("slow"), nil
		}, baton.Workers(1))
	}
	t.Run("shutdown deadline", func(t *testing.T) {
		inBubble(t, func(t *testing.T, s baton.Strategy) {
			p, err := baton.New([]baton.Stage[msg]{slow()}, baton.WithStrategy(s), baton.WithDrivers(4), baton.WithMaxInFlight(8))
			require.NoError(t, err)
			st := p.Stream(context.Background())
			for i := range 8 {
				require.NoError(t, st.Submit(t.Context(), msg{ID: i}))
			}
			st.CloseSend()
			ctx, cancel := context.WithTimeout(t.Context(), 25*time.Millisecond)
			defer cancel()
			start := time.Now()
			require.ErrorIs(t, p.Shutdown(ctx), baton.ErrAborted)
			assert.Equal(t, 30*time.Millisecond, time.Since(start), "the step running at the deadline finishes; no queued one starts")
			ok, aborted := 0, 0
			for r := range st.Results() {
				if r.Err == nil {
					ok++
				} else if errors.Is(r.Err, baton.ErrAborted) {
					aborted++
				}
			}
			assert.Equal(t, 3, ok)
			assert.Equal(t, 5, aborted)
		})
	})
	t.Run("message timeout", func(t *testing.T) {
		inBubble(t, func(t *testing.T, s baton.Strategy) {
			p := newPipeline(t, s, []baton.Stage[msg]{slow()}, baton.WithMessageTimeout(15*time.Millisecond), baton.WithDrivers(4))
			timedOut := 0
			for _, r := range collect(t, p, t.Context(), make([]msg, 4)) {
				if errors.Is(r.Err, baton.ErrTimeout) {
					timedOut++
				}
			}
			assert.Equal(t, 2, timedOut, "the two that waited past their deadline never start")
		})
	})
}

func TestRunLoopBodyThatPanicsOrExitsLeavesNothingInFlight(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		p := newPipeline(t, s, []baton.Stage[msg]{tracer("a")}, baton.WithMaxInFlight(2))
		in := make([]msg, 10)
		func() {
			defer func() { assert.Equal(t, "body bug", recover()) }()
			for range p.Run(t.Context(), slices.Values(in)) {
				panic("body bug")
			}
		}()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range p.Run(t.Context(), slices.Values(in)) {
				runtime.Goexit() // what require.* does on failure inside the loop
			}
		}()
		<-done
		assert.Zero(t, p.Stats().InFlight)
		out, err := p.Process(t.Context(), msg{})
		require.NoError(t, err, "all slots are free again")
		assert.Equal(t, []string{"a"}, out.Trace)
	})
}

func TestRetryablePanicFailsTheStep(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		cause := errors.New("x")
		pol := baton.RetryPolicy{MaxAttempts: 3, Retryable: func(error) bool { panic("predicate bug") }}
		p := newPipeline(t, s, []baton.Stage[msg]{failing("f", cause, baton.Retry(pol))})
		_, err := p.Process(t.Context(), msg{})
		require.ErrorIs(t, err, cause)
		require.ErrorIs(t, err, baton.ErrPanic)
		assert.ErrorContains(t, err, "Retryable panicked")
		require.NoError(t, p.Close(), "nothing left in flight")
	})
}

func TestCompensateCallingGoexitIsAFailedCompensation(t *testing.T) {
	eachStrategy(t, func(t *testing.T, s baton.Strategy) {
		a := baton.WithCompensation(tracer("a"), func(context.Context, msg) error { runtime.Goexit(); return nil })
		p := newPipeline(t, s, []baton.Stage[msg]{a, failing("b", errors.New("x"))})
		rs := collect(t, p, t.Context(), make([]msg, 3))
		for _, r := range rs {
			require.ErrorIs(t, r.Err, baton.ErrCompensationFailed)
			var ce *baton.CompensationError
			require.ErrorAs(t, r.Err, &ce)
			require.ErrorIs(t, ce.Steps[0].Err, baton.ErrGoexit)
		}
		require.NoError(t, p.Close())
	})
}
