package batontest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Retries, backoff and timeouts. These run in a testing/synctest bubble: the pipeline is made
// inside it, so its goroutines and timers are on the bubble's virtual clock, and every duration
// below is exact.

// flakyStage fails the first n attempts (over all messages) with err and records when each
// attempt began.
type flakyStage struct {
	name  string
	n     int
	err   error
	mu    sync.Mutex
	times []time.Time
}

func (f *flakyStage) Name() string { return f.name }
func (f *flakyStage) Process(_ context.Context, m Msg, _ *baton.Slip) (Msg, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times = append(f.times, time.Now())
	if len(f.times) <= f.n {
		return m, f.err
	}
	return m.with(f.name), nil
}

func (f *flakyStage) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(f.times); i++ {
		out = append(out, f.times[i].Sub(f.times[i-1]))
	}
	return out
}

// sleeper sleeps d, honouring ctx, then appends its name.
func sleeper(name string, d time.Duration, opts ...baton.StageOption) baton.Stage[Msg] {
	return baton.Func(name, func(ctx context.Context, m Msg) (Msg, error) {
		select {
		case <-time.After(d):
			return m.with(name), nil
		case <-ctx.Done():
			return m, ctx.Err()
		}
	}, opts...)
}

// A retried step waits between attempts as its policy says (fixed, linear, exponential up to
// a cap, a custom multiplier, none), through Run and Process; its log and its stage's Retried
// count the attempts.
func testRetryBackoff(t *testing.T, c *suite) {
	const ms = time.Millisecond
	cases := []struct {
		name string
		pol  baton.RetryPolicy
		want []time.Duration // the waits between attempts; the last attempt succeeds
	}{
		{"fixed", baton.FixedBackoff(4, 10*ms), []time.Duration{10 * ms, 10 * ms, 10 * ms}},
		{"linear", baton.LinearBackoff(4, 10*ms), []time.Duration{10 * ms, 20 * ms, 30 * ms}},
		{"exponential capped", baton.ExponentialBackoff(4, 10*ms, 25*ms), []time.Duration{10 * ms, 20 * ms, 25 * ms}},
		{"exponential doubles up to the cap", baton.ExponentialBackoff(6, 10*ms, 100*ms), []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 100 * ms}},
		{"custom multiplier", baton.RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * ms, Multiplier: 3}, []time.Duration{10 * ms, 30 * ms}},
		{"immediate", baton.RetryPolicy{MaxAttempts: 4}, []time.Duration{0, 0, 0}},
	}
	for _, tc := range cases {
		f := &flakyStage{name: "f", n: len(tc.want), err: errors.New("flaky")}
		p := c.newPipeline(t, []baton.Stage[Msg]{baton.Configure[Msg](f, baton.Retry(tc.pol))})
		rs := collect(t, p, t.Context(), []Msg{{}})
		mustNoError(t, rs[0].Err, tc.name)
		equal(t, tc.want, f.waits(), tc.name)
		equal(t, len(tc.want)+1, rs[0].Log[0].Attempts, tc.name)
		equal(t, int64(len(tc.want)), p.Stats().Stages[0].Retried, tc.name)

		// The same through Process.
		f = &flakyStage{name: "f", n: len(tc.want), err: errors.New("flaky")}
		p = c.newPipeline(t, []baton.Stage[Msg]{baton.Configure[Msg](f, baton.Retry(tc.pol))})
		_, err := p.Process(t.Context(), Msg{})
		mustNoError(t, err, tc.name)
		equal(t, tc.want, f.waits(), tc.name)
		equal(t, int64(len(tc.want)), p.Stats().Stages[0].Retried, tc.name)
	}
}

// Jitter varies each wait within its bounds: InitialBackoff ± Jitter.
func testJitter(t *testing.T, c *suite) {
	pol := baton.RetryPolicy{MaxAttempts: 30, InitialBackoff: 100 * time.Millisecond, Multiplier: 1, Jitter: 0.2}
	f := &flakyStage{name: "f", n: 29, err: errors.New("transient")}
	p := c.newPipeline(t, []baton.Stage[Msg]{baton.Configure[Msg](f, baton.Retry(pol))})
	_, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	w := f.waits()
	mustEqual(t, 29, len(w))
	for i, d := range w {
		isTrue(t, d >= 80*time.Millisecond && d <= 120*time.Millisecond, "wait %d is %v, not within 100ms ± 20%%", i, d)
	}
	isTrue(t, len(slices.Compact(slices.Sorted(slices.Values(w)))) > 1, "jitter varies the waits: %v", w)
	// The bounds themselves: Backoff's random factor at its extremes.
	jp := baton.RetryPolicy{InitialBackoff: 100 * time.Millisecond, Jitter: 0.2}
	equal(t, 120*time.Millisecond, jp.Backoff(1, 1))
	equal(t, 80*time.Millisecond, jp.Backoff(1, 0))
}

// A Retryable predicate decides which errors are retried: the others fail the step at once.
func testRetryable(t *testing.T, c *suite) {
	transient, fatal := errors.New("transient"), errors.New("fatal")
	pol := baton.FixedBackoff(3, time.Millisecond)
	pol.Retryable = func(err error) bool { return errors.Is(err, transient) }
	for _, tc := range []struct {
		err      error
		attempts int
	}{{transient, 3}, {fatal, 1}} {
		p := c.newPipeline(t, []baton.Stage[Msg]{failing("s", tc.err, baton.Retry(pol))})
		_, err := p.Process(t.Context(), Msg{})
		mustErrorIs(t, err, tc.err)
		var se *baton.StepError
		mustErrorAs(t, err, &se)
		equal(t, tc.attempts, se.Attempts, "error %v", tc.err)
	}
	// A retried error that then goes away lets the message go on; an error the predicate
	// refuses, at the next stage, stops it at once.
	pol2 := baton.RetryPolicy{MaxAttempts: 5, Retryable: pol.Retryable}
	a := &flakyStage{name: "a", n: 2, err: transient}
	b := &flakyStage{name: "b", n: 2, err: fatal}
	p := c.newPipeline(t, []baton.Stage[Msg]{baton.Configure[Msg](a, baton.Retry(pol2)), baton.Configure[Msg](b, baton.Retry(pol2))})
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, fatal)
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, "b", se.Stage)
	equal(t, 1, se.Attempts, "an error the predicate refuses is not retried")
	equal(t, 2, len(a.waits()), "a was retried")
}

// A wait between attempts ends with the message's context: the error matches
// context.Canceled and says what was being retried.
func testBackoffCancel(t *testing.T, c *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(time.Second, cancel)
	p := c.newPipeline(t, []baton.Stage[Msg]{failing("s", errors.New("transient"), baton.Retry(baton.FixedBackoff(5, time.Hour)))})
	start := time.Now()
	_, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.Canceled)
	errorContains(t, err, "transient", "the error says what was being retried")
	equal(t, time.Second, time.Since(start), "the wait ends with the context")
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 1, se.Attempts)
}

// An attempt that outlives its AttemptTimeout fails with an error matching ErrTimeout and
// context.DeadlineExceeded, and is retried with a deadline of its own.
func testAttemptTimeout(t *testing.T, c *suite) {
	slow := baton.Func("slow", func(ctx context.Context, m Msg) (Msg, error) {
		<-ctx.Done()
		return m, ctx.Err()
	}, baton.AttemptTimeout(time.Millisecond), baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
	p := c.newPipeline(t, []baton.Stage[Msg]{slow})
	start := time.Now()
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrTimeout)
	mustErrorIs(t, err, context.DeadlineExceeded)
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 2, se.Attempts)
	equal(t, 2*time.Millisecond, time.Since(start), "each attempt gets a fresh deadline")
}

// Each attempt gets a fresh AttemptTimeout: an attempt quicker than it succeeds after attempts
// that timed out.
func testEachAttemptGetsAFreshDeadline(t *testing.T, c *suite) {
	var n atomic.Int32
	st := baton.Func("s", func(ctx context.Context, m Msg) (Msg, error) {
		d := time.Second
		if n.Add(1) == 3 {
			d = 50 * time.Millisecond
		}
		select {
		case <-time.After(d):
			return m.with("s"), nil
		case <-ctx.Done():
			return m, ctx.Err()
		}
	}, baton.AttemptTimeout(100*time.Millisecond), baton.Retry(baton.FixedBackoff(3, 10*time.Millisecond)))
	p := c.newPipeline(t, []baton.Stage[Msg]{st})
	start := time.Now()
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"s"}, out.Trace)
	equal(t, (100+10+100+10+50)*time.Millisecond, time.Since(start))
}

// A step that returns success after its AttemptTimeout, ignoring its context, fails with
// ErrTimeout, and its value is dropped.
func testLateSuccess(t *testing.T, c *suite) {
	late := baton.Func("late", func(_ context.Context, m Msg) (Msg, error) {
		time.Sleep(20 * time.Millisecond) // ignores its context
		return m.with("late"), nil
	}, baton.AttemptTimeout(10*time.Millisecond))
	p := c.newPipeline(t, []baton.Stage[Msg]{late})
	out, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrTimeout)
	errorIs(t, err, context.DeadlineExceeded)
	errorContains(t, err, "attempt")
	empty(t, out.Trace, "a late success is not kept")
}

// StepTimeout bounds a step's attempts and waits together: at its deadline the step fails
// with ErrTimeout, "step timed out", after the attempts that fit.
func testStepTimeout(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{failing("s", errors.New("x"),
		baton.Retry(baton.FixedBackoff(100, 10*time.Millisecond)), baton.StepTimeout(35*time.Millisecond))})
	start := time.Now()
	_, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrTimeout)
	errorIs(t, err, context.DeadlineExceeded)
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 4, se.Attempts, "attempts at 0, 10, 20 and 30ms")
	equal(t, 35*time.Millisecond, time.Since(start))
	errorContains(t, err, "step timed out")
}

// With an AttemptTimeout too, the StepTimeout cuts the last attempt short.
func testStepTimeoutCutsTheLastAttemptShort(t *testing.T, c *suite) {
	p2 := c.newPipeline(t, []baton.Stage[Msg]{sleeper("s", 300*time.Millisecond, baton.AttemptTimeout(200*time.Millisecond),
		baton.StepTimeout(time.Second), baton.Retry(baton.FixedBackoff(100, 100*time.Millisecond)))})
	start := time.Now()
	_, err := p2.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrTimeout)
	mustErrorIs(t, err, context.DeadlineExceeded)
	errorContains(t, err, "step timed out")
	equal(t, time.Second, time.Since(start))
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, 4, se.Attempts, "attempts at 0, 300, 600, 900 ms")
}

// WithMessageTimeout is each message's own: messages that finish within it succeed, however
// many run at once.
func testMessageTimeoutIsEachMessagesOwn(t *testing.T, c *suite) {
	var ok undoLog
	p0 := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &ok, nil), sleeper("b", 400*time.Millisecond, baton.Workers(2)), sleeper("c", 400*time.Millisecond, baton.Workers(2))},
		baton.WithMessageTimeout(time.Second), baton.WithMaxInFlight(4))
	for _, r := range collect(t, p0, t.Context(), []Msg{{}, {}}) {
		mustNoError(t, r.Err)
	}
	empty(t, ok.Names())
}

// A message whose WithMessageTimeout passes during a step fails at its deadline, with
// ErrTimeout and context.DeadlineExceeded, "message timed out", at that step; its completed
// steps are compensated.
func testMessageTimeout(t *testing.T, c *suite) {
	var undone undoLog
	p := c.newPipeline(t, []baton.Stage[Msg]{saga("a", &undone, nil), sleeper("s1", 30*time.Millisecond), sleeper("s2", 30*time.Millisecond), tracer("c")},
		baton.WithMessageTimeout(50*time.Millisecond))
	start := time.Now()
	out, err := p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrTimeout)
	errorIs(t, err, context.DeadlineExceeded)
	errorContains(t, err, "message timed out")
	var se *baton.StepError
	mustErrorAs(t, err, &se)
	equal(t, "s2", se.Stage)
	equal(t, []string{"a", "s1"}, out.Trace)
	equal(t, []string{"a"}, undone.Names())
	equal(t, 50*time.Millisecond, time.Since(start))
}

// A step that ignores its context and succeeds after its message's deadline fails with
// ErrTimeout, and its value is dropped: a deadline is a promise of bounded time.
func testLateSuccessAfterTheMessageTimeout(t *testing.T, c *suite) {
	p2 := c.newPipeline(t, []baton.Stage[Msg]{baton.Func("busy", func(_ context.Context, m Msg) (Msg, error) {
		time.Sleep(60 * time.Millisecond)
		return m.with("busy"), nil
	}), tracer("c")}, baton.WithMessageTimeout(50*time.Millisecond))
	rs := collect(t, p2, t.Context(), []Msg{{}})
	mustErrorIs(t, rs[0].Err, baton.ErrTimeout)
	errorIs(t, rs[0].Err, context.DeadlineExceeded)
	errorContains(t, rs[0].Err, `after its message's deadline`)
	equal(t, []string{"busy:failed"}, logOf(rs[0].Log))
	empty(t, rs[0].Value.Trace, "the late success's value is dropped")
}

// A message whose time is up when a step ends (here an optional step tolerated as timed out)
// stops before its next stage, with ErrTimeout.
func testMessageTimeoutBetweenSteps(t *testing.T, c *suite) {
	p3 := c.newPipeline(t, []baton.Stage[Msg]{sleeper("s1", 30*time.Millisecond), sleeper("s2", 30*time.Millisecond, baton.Optional()), tracer("c")},
		baton.WithMessageTimeout(50*time.Millisecond))
	rs := collect(t, p3, t.Context(), []Msg{{}})
	mustErrorIs(t, rs[0].Err, baton.ErrTimeout)
	errorContains(t, rs[0].Err, `before stage "c"`)
	equal(t, []string{"s1:succeeded", "s2:tolerated"}, logOf(rs[0].Log))
}

// slowOne is a stage with one worker whose steps take 10ms, whatever their context says.
func slowOne() baton.Stage[Msg] {
	return baton.Func("slow", func(ctx context.Context, m Msg) (Msg, error) {
		time.Sleep(10 * time.Millisecond) // ignores ctx
		return m.with("slow"), nil
	}, baton.Workers(1))
}

// A message whose WithMessageTimeout passes while it waits for a stage's worker (in its inbox,
// or for its worker slot) stops there and never starts its step.
func testMessageTimeoutQueued(t *testing.T, c *suite) {
	// Four messages wait for one worker.
	p := c.newPipeline(t, []baton.Stage[Msg]{slowOne()}, baton.WithMessageTimeout(15*time.Millisecond))
	timedOut, started := 0, 0
	for _, r := range collect(t, p, t.Context(), make([]Msg, 4)) {
		if errors.Is(r.Err, baton.ErrTimeout) {
			timedOut++
		}
		if len(r.Log) > 0 {
			started++
		}
	}
	// The first runs 0-10 ms; the second 10-20 ms, past its deadline at 15 ms, so its late
	// success does not count; the two that waited past their deadline never start.
	equal(t, 3, timedOut)
	equal(t, 2, started, "the two that waited past their deadline never start")
}

// A compensation is retried as its CompensationRetry policy says: its record and the result's
// Compensation count the attempts, its stage's Retried the retries, and a compensation that
// succeeds in the end is not a failed one.
func testCompensationRetry(t *testing.T, c *suite) {
	var calls atomic.Int32
	a := baton.Configure(baton.Compensable(tracer("a"), func(context.Context, Msg) error {
		if calls.Add(1) < 3 {
			return errors.New("undo flaky")
		}
		return nil
	}), baton.CompensationRetry(baton.FixedBackoff(3, 5*time.Millisecond)))
	p := c.newPipeline(t, []baton.Stage[Msg]{a, failing("b", errors.New("x"))})
	start := time.Now()
	rs := collect(t, p, t.Context(), []Msg{{}})
	err := rs[0].Err
	var ce *baton.CompensationError
	mustErrorAs(t, err, &ce)
	notErrorIs(t, err, baton.ErrCompensationFailed)
	mustEqual(t, []string{"a:compensated"}, logOf(ce.Steps))
	equal(t, 3, ce.Steps[0].Attempts)
	equal(t, 10*time.Millisecond, time.Since(start), "two waits of the compensation's backoff")
	equal(t, int64(3), int64(calls.Load()))
	equal(t, int64(2), p.Stats().Stages[0].Retried)
	comp := rs[0].Compensation()
	mustEqual(t, 1, len(comp))
	equal(t, 3, comp[0].Attempts)
	equal(t, baton.Compensated, comp[0].Outcome)
}

// A compensation that outlives its CompensationTimeout fails, with context.DeadlineExceeded.
func testCompensationTimeout(t *testing.T, c *suite) {
	b := baton.Configure(baton.Compensable(tracer("a"), func(ctx context.Context, _ Msg) error {
		<-ctx.Done()
		return ctx.Err()
	}), baton.CompensationTimeout(5*time.Millisecond))
	p2 := c.newPipeline(t, []baton.Stage[Msg]{b, failing("b", errors.New("x"))})
	_, err := p2.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrCompensationFailed)
	var ce *baton.CompensationError
	mustErrorAs(t, err, &ce)
	errorIs(t, ce.Steps[0].Err, context.DeadlineExceeded)
}

// WithSubmissionOrder delivers results in the order of submission, whatever the order in which
// the messages finish.
func testSubmissionOrder(t *testing.T, c *suite) {
	delay := baton.Func("delay", func(ctx context.Context, m Msg) (Msg, error) {
		time.Sleep(time.Duration((7*m.ID)%5) * 100 * time.Microsecond)
		return m, nil
	}, baton.Workers(4))
	p := c.newPipeline(t, []baton.Stage[Msg]{delay}, baton.WithSubmissionOrder(), baton.WithMaxInFlight(3))
	var in []Msg
	for i := range 50 {
		in = append(in, Msg{ID: i})
	}
	var got []int
	for r := range p.Run(t.Context(), slices.Values(in)) {
		mustNoError(t, r.Err)
		got = append(got, r.Value.ID)
		equal(t, uint64(r.Value.ID), r.Seq)
	}
	isTrue(t, slices.IsSorted(got) && len(got) == 50, "results in submission order: %v", got)
}

// By default results come in the order their messages finish.
func testCompletionOrder(t *testing.T, c *suite) {
	delay := baton.Func("delay", func(ctx context.Context, m Msg) (Msg, error) {
		time.Sleep(time.Duration(3-m.ID) * time.Millisecond)
		return m, nil
	}, baton.Workers(3))
	p := c.newPipeline(t, []baton.Stage[Msg]{delay})
	var got []uint64
	for r := range p.Run(t.Context(), slices.Values([]Msg{{ID: 0}, {ID: 1}, {ID: 2}})) {
		mustNoError(t, r.Err)
		got = append(got, r.Seq)
	}
	equal(t, []uint64{2, 1, 0}, got, "results in completion order")
}

// WithMaxInFlight bounds the messages in flight: Submit and Process wait for room, honouring
// their context.
func testBackpressure(t *testing.T, c *suite) {
	release := make(chan struct{})
	block := baton.Func("block", func(ctx context.Context, m Msg) (Msg, error) { <-release; return m, nil })
	p := c.newPipeline(t, []baton.Stage[Msg]{block}, baton.WithMaxInFlight(2))
	st := p.Stream(t.Context())
	mustNoError(t, st.Submit(t.Context(), Msg{ID: 0}))
	mustNoError(t, st.Submit(t.Context(), Msg{ID: 1}))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	mustErrorIs(t, st.Submit(ctx, Msg{ID: 2}), context.DeadlineExceeded, "the third submission waits for room")
	equal(t, 2, p.Stats().InFlight)
	_, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.DeadlineExceeded, "Process waits for room too")
	close(release)
	st.CloseSend()
	n := 0
	for r := range st.Results() {
		mustNoError(t, r.Err)
		n++
	}
	equal(t, 2, n)
}

// Workers(n) caps the steps of a stage running at once at n, and n run when there is work.
func testWorkers(t *testing.T, c *suite) {
	var now, peak atomic.Int32
	busy := baton.Func("busy", func(ctx context.Context, m Msg) (Msg, error) {
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
	p := c.newPipeline(t, []baton.Stage[Msg]{busy})
	in := make([]Msg, 40)
	for _, r := range collect(t, p, t.Context(), in) {
		mustNoError(t, r.Err)
	}
	lessOrEqual(t, peak.Load(), int32(2))
	equal(t, int32(2), peak.Load(), "two workers run at once when there is work for them")
}
