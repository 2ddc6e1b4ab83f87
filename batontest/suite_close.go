package batontest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
)

// Close and Shutdown in every state.

// Close before any use is safe, twice; then Process and Submit fail with ErrClosed, and Shutdown
// returns nil.
func testCloseBeforeUse(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{tracer("a")})
	mustNoError(t, err)
	mustNoError(t, p.Close())
	mustNoError(t, p.Close())
	_, err = p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrClosed)
	mustErrorIs(t, p.Stream(t.Context()).Submit(t.Context(), Msg{}), baton.ErrClosed)
	mustNoError(t, p.Shutdown(t.Context()), "Shutdown after Close")
}

// After Close (safe twice), Process fails with ErrClosed, and Run reports the message it could
// not submit with ErrClosed.
func testCloseAfterUse(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{tracer("a"), tracer("b")})
	mustNoError(t, err)
	_, err = p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	collect(t, p, t.Context(), make([]Msg, 10))
	mustNoError(t, p.Close())
	_, err = p.Process(t.Context(), Msg{})
	mustErrorIs(t, err, baton.ErrClosed)
	var errs []error
	for r := range p.Run(t.Context(), slices2(Msg{ID: 1})) {
		errs = append(errs, r.Err)
	}
	mustEqual(t, 1, len(errs), "Run reports the refused message")
	errorIs(t, errs[0], baton.ErrClosed)
	mustNoError(t, p.Close())
}

// Stats stay readable after Close, with the counts of the pipeline's life.
func testStatsStayReadableAfterClose(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{tracer("a"), tracer("b")})
	mustNoError(t, err)
	collect(t, p, t.Context(), make([]Msg, 11))
	mustNoError(t, p.Close())
	equal(t, int64(11), p.Stats().Stages[1].Processed)
}

func slices2(ms ...Msg) func(func(Msg) bool) {
	return func(yield func(Msg) bool) {
		for _, m := range ms {
			if !yield(m) {
				return
			}
		}
	}
}

// Close, called by several goroutines at once, stops intake (Submit fails with ErrClosed) and
// waits for the messages in flight; their results stay readable.
func testCloseDrains(t *testing.T, c *suite) {
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	block := baton.Func("block", func(ctx context.Context, m Msg) (Msg, error) {
		started <- struct{}{}
		<-release
		return m.with("block"), nil
	}, baton.Workers(4))
	p, err := c.build(t, []baton.Stage[Msg]{block, tracer("after")})
	mustNoError(t, err)
	st := p.Stream(t.Context())
	for i := range 4 {
		mustNoError(t, st.Submit(t.Context(), Msg{ID: i}))
	}
	for range 4 {
		<-started
	}
	var closed sync.WaitGroup
	var done [3]bool
	var mu sync.Mutex
	for i := range 3 {
		closed.Go(func() {
			noError(t, p.Close())
			mu.Lock()
			done[i] = true
			mu.Unlock()
		})
	}
	synctest.Wait() // every Close is blocked
	mu.Lock()
	equal(t, [3]bool{}, done, "Close waits for the in-flight messages: they are still blocked")
	mu.Unlock()
	mustErrorIs(t, st.Submit(t.Context(), Msg{}), baton.ErrClosed)
	close(release)
	closed.Wait()
	st.CloseSend()
	n := 0
	for r := range st.Results() {
		mustNoError(t, r.Err)
		equal(t, []string{"block", "after"}, r.Value.Trace)
		n++
	}
	equal(t, 4, n, "results finished before Close stay readable")
}

// Close does not wait for results to be read, and they stay readable after it.
func testCloseUnread(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{tracer("a")}, baton.WithMaxInFlight(3))
	mustNoError(t, err)
	st := p.Stream(t.Context())
	for i := range 3 {
		mustNoError(t, st.Submit(t.Context(), Msg{ID: i}))
	}
	st.CloseSend()
	mustNoError(t, p.Close(), "Close does not wait for results to be read")
	n := 0
	for r := range st.Results() {
		mustNoError(t, r.Err)
		n++
	}
	equal(t, 3, n)
}

// Close wakes a Submit and a Process waiting for room: both return ErrClosed.
func testCloseWakesSubmitter(t *testing.T, c *suite) {
	release := make(chan struct{})
	block := baton.Func("block", func(ctx context.Context, m Msg) (Msg, error) { <-release; return m, nil })
	p, err := c.build(t, []baton.Stage[Msg]{block}, baton.WithMaxInFlight(1))
	mustNoError(t, err)
	st := p.Stream(t.Context())
	mustNoError(t, st.Submit(t.Context(), Msg{}))
	errc := make(chan error)
	go func() { errc <- st.Submit(t.Context(), Msg{}) }()
	perr := make(chan error)
	go func() { _, err := p.Process(t.Context(), Msg{}); perr <- err }()
	synctest.Wait() // both wait for room
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	mustErrorIs(t, <-errc, baton.ErrClosed)
	mustErrorIs(t, <-perr, baton.ErrClosed)
	close(release)
	<-done
	st.CloseSend()
	for r := range st.Results() {
		noError(t, r.Err)
	}
}

// At Shutdown's deadline it returns ErrAborted, and a message still travelling stops before its
// next stage with ErrAborted, its completed steps compensated.
func testShutdownAborts(t *testing.T, c *suite) {
	release := make(chan struct{})
	var undone undoLog
	block := baton.Func("block", func(ctx context.Context, m Msg) (Msg, error) { <-release; return m, nil })
	p, err := c.build(t, []baton.Stage[Msg]{saga("a", &undone, nil), block, tracer("c")})
	mustNoError(t, err)
	errc := make(chan error)
	go func() { _, err := p.Process(t.Context(), Msg{}); errc <- err }()
	synctest.Wait() // the message waits in block, after a
	// Untimed, steps are counted when their message finishes; timed, as each succeeds.
	done := int64(0)
	if p.Stats().Timed {
		done = 1
	}
	mustEqual(t, done, p.Stats().Stages[0].Processed)
	mustEqual(t, 1, p.Stats().InFlight)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	go func() { time.Sleep(20 * time.Millisecond); close(release) }()
	mustErrorIs(t, p.Shutdown(ctx), baton.ErrAborted)
	err = <-errc
	mustErrorIs(t, err, baton.ErrAborted)
	errorContains(t, err, `before stage "c"`)
	equal(t, []string{"a"}, undone.Names())
}

// Shutdown returns nil when every message finishes before its deadline; Close after it is safe.
func testShutdownInTime(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{sleeper("s", 10*time.Millisecond)})
	mustNoError(t, err)
	errc := make(chan error)
	go func() { _, err := p.Process(context.Background(), Msg{}); errc <- err }()
	synctest.Wait()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	mustNoError(t, p.Shutdown(ctx))
	mustNoError(t, <-errc)
	mustNoError(t, p.Close(), "Close after Shutdown")
}

// At Shutdown's deadline, each of the messages waiting behind one slow worker that has not
// finished stops before its next step with ErrAborted, its completed steps compensated; one
// result per message.
func testShutdownAbortsQueued(t *testing.T, c *suite) {
	var undone undoLog
	slow := sleeper("slow", 10*time.Millisecond, baton.Workers(1))
	p, err := c.build(t, []baton.Stage[Msg]{saga("a", &undone, nil), slow, tracer("c")}, baton.WithMaxInFlight(8))
	mustNoError(t, err)
	st := p.Stream(context.Background())
	for i := range 8 {
		mustNoError(t, st.Submit(t.Context(), Msg{ID: i}))
	}
	st.CloseSend()
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Millisecond)
	defer cancel()
	mustErrorIs(t, p.Shutdown(ctx), baton.ErrAborted)
	var ok, aborted, passedA int
	for r := range st.Results() {
		switch {
		case r.Err == nil:
			ok++
			equal(t, []string{"a", "slow", "c"}, r.Value.Trace)
		case errorIs(t, r.Err, baton.ErrAborted, "message %d", r.Seq):
			aborted++
			if slices.Contains(logOf(r.Log), "a:succeeded") {
				passedA++
				equal(t, "a:compensated", logOf(r.Log)[len(r.Log)-1], "message %d", r.Seq)
			}
		}
	}
	equal(t, 8, ok+aborted, "one result per message")
	isTrue(t, ok >= 1 && aborted >= 1, "some finished (%d), some were aborted (%d)", ok, aborted)
	equal(t, passedA, len(undone.Names()), "every aborted message that passed a was compensated")
	equal(t, 0, p.Stats().InFlight)
}

// When eight messages wait for one worker whose steps ignore their context (in its inbox, or
// for its worker slot), Shutdown returns at its deadline; the step running then finishes, and
// no waiting one starts.
func testShutdownQueuedWhereTheyWait(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{slowOne()}, baton.WithMaxInFlight(8))
	mustNoError(t, err)
	st := p.Stream(context.Background())
	for i := range 8 {
		mustNoError(t, st.Submit(t.Context(), Msg{ID: i}))
	}
	st.CloseSend()
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Millisecond)
	defer cancel()
	start := time.Now()
	mustErrorIs(t, p.Shutdown(ctx), baton.ErrAborted)
	equal(t, 25*time.Millisecond, time.Since(start), "Shutdown returns at its deadline")
	ok, aborted := 0, 0
	for r := range st.Results() {
		if r.Err == nil {
			ok++
		} else if errors.Is(r.Err, baton.ErrAborted) {
			aborted++
		}
	}
	equal(t, 3, ok)
	equal(t, 5, aborted)
}
