package batontest

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
)

// Shutdown's deadline, closed pipelines, streams that are closed, slow or re-entered, and Run's
// input.

// After Close, Process and Submit fail with ErrClosed, also when their context is already
// cancelled.
func testClosedBeforeCancelled(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")})
	st := p.Stream(t.Context())
	mustNoError(t, p.Close())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, baton.ErrClosed)
	mustErrorIs(t, st.Submit(ctx, Msg{}), baton.ErrClosed)
	mustErrorIs(t, p.Stream(t.Context()).Submit(ctx, Msg{}), baton.ErrClosed)
	st.CloseSend()
	for range st.Results() {
	}
}

// At Shutdown's deadline the context of every running step is cancelled with a cause matching
// ErrAborted, and Shutdown returns at once — also when a stage ignores its context. Each message
// still gets exactly one result, matching ErrAborted, its completed steps compensated; a later
// Close waits for the last of them.
func testShutdownIsBoundedByItsDeadline(t *testing.T, c *suite) {
	var undone undoLog
	release := make(chan struct{})
	var causes sync.Map
	honours := baton.Func("honours", func(ctx context.Context, m Msg) (Msg, error) {
		<-ctx.Done()
		causes.Store(m.ID, context.Cause(ctx))
		return m, ctx.Err()
	}, baton.Workers(2))
	ignores := baton.Func("ignores", func(ctx context.Context, m Msg) (Msg, error) {
		<-release
		return m.with("ignores"), nil
	}, baton.Workers(2))
	route := baton.WithRouter(func(m Msg) []string {
		if m.ID%2 == 0 {
			return []string{"a", "honours"}
		}
		return []string{"a", "ignores", "b"}
	})
	p, err := c.build(t, []baton.Stage[Msg]{saga("a", &undone, nil), honours, ignores, tracer("b")}, route)
	mustNoError(t, err)
	procErr := make(chan error, 2)
	for id := range 2 {
		go func() { _, err := p.Process(context.Background(), Msg{ID: id}); procErr <- err }()
	}
	st := p.Stream(t.Context())
	mustNoError(t, st.Submit(t.Context(), Msg{ID: 2}))
	mustNoError(t, st.Submit(t.Context(), Msg{ID: 3}))
	st.CloseSend()
	synctest.Wait() // every message waits in its stage

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	start := time.Now()
	mustErrorIs(t, p.Shutdown(ctx), baton.ErrAborted)
	equal(t, 5*time.Millisecond, time.Since(start), "Shutdown returns at its deadline")
	synctest.Wait()
	for _, id := range []int{0, 2} {
		cause, _ := causes.Load(id)
		errorIs(t, cause.(error), baton.ErrAborted, "the running step's context of message %d", id)
	}
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	synctest.Wait()
	select {
	case <-closed:
		t.Fatal("Close returned while a stage still runs")
	default:
	}
	close(release)
	<-closed
	for range 2 {
		errorIs(t, <-procErr, baton.ErrAborted)
	}
	n := 0
	for r := range st.Results() {
		n++
		errorIs(t, r.Err, baton.ErrAborted, "message %d", r.Seq)
	}
	equal(t, 2, n)
	equal(t, 4, len(undone.Names()), "every message's completed step was compensated")
}

// CloseSend wakes a Submit waiting for room: it returns ErrStreamClosed at once.
func testCloseSendWakesSubmit(t *testing.T, c *suite) {
	release := make(chan struct{})
	p := c.newPipeline(t, []baton.Stage[Msg]{baton.Func("block", func(ctx context.Context, m Msg) (Msg, error) {
		<-release
		return m, nil
	})}, baton.WithMaxInFlight(1))
	st := p.Stream(t.Context())
	mustNoError(t, st.Submit(t.Context(), Msg{}))
	errc := make(chan error)
	go func() { errc <- st.Submit(t.Context(), Msg{}) }()
	synctest.Wait() // it waits for room
	st.CloseSend()
	mustErrorIs(t, <-errc, baton.ErrStreamClosed)
	close(release)
	for r := range st.Results() {
		noError(t, r.Err)
	}
}

// A stream whose results are not read holds up only itself: other streams and Process calls
// of the same pipeline go on. The unread stream's own Submit waits (its room is its unread
// results), and its results stay readable.
func testUnreadStreamDoesNotStarveOthers(t *testing.T, c *suite) {
	const bound = 4
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithMaxInFlight(bound))
	unread := p.Stream(t.Context())
	for i := range bound {
		mustNoError(t, unread.Submit(t.Context(), Msg{ID: i}))
	}
	synctest.Wait() // all finished, none read
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	mustErrorIs(t, unread.Submit(ctx, Msg{}), context.DeadlineExceeded, "the unread stream has no room")
	for range 3 * bound {
		_, err := p.Process(t.Context(), Msg{})
		mustNoError(t, err, "Process is not held up by another stream's unread results")
	}
	rs := collect(t, p, t.Context(), make([]Msg, 3*bound))
	for _, r := range rs {
		noError(t, r.Err, "another stream is not held up")
	}
	unread.CloseSend()
	n := 0
	for r := range unread.Results() {
		noError(t, r.Err)
		n++
	}
	equal(t, bound, n)
}

// A stage calling its own pipeline — Process, Stream or Submit with its step's context, Close or
// Shutdown — gets ErrReentrant at once, under both strategies, even with one worker (where the
// call would wait for the worker its caller holds). The pipeline goes on, or stops once its
// messages finish when the stage asked it to close.
func testReentrantCallsAreRefused(t *testing.T, c *suite) {
	var p *baton.Pipeline[Msg]
	var errs sync.Map
	self := baton.Func("self", func(ctx context.Context, m Msg) (Msg, error) {
		switch m.ID {
		case 1:
			_, err := p.Process(ctx, Msg{ID: 100})
			errs.Store(m.ID, err)
		case 2:
			tctx, cancel := context.WithTimeout(ctx, time.Second) // derived from the step's context
			defer cancel()
			_, err := p.Process(tctx, Msg{ID: 100})
			errs.Store(m.ID, err)
		case 3:
			errs.Store(m.ID, p.Stream(ctx).Submit(context.Background(), Msg{ID: 100}))
		case 4:
			errs.Store(m.ID, p.Stream(context.Background()).Submit(ctx, Msg{ID: 100}))
		case 5:
			var err error
			for r := range p.Run(ctx, func(yield func(Msg) bool) { yield(Msg{ID: 100}) }) {
				err = r.Err
			}
			errs.Store(m.ID, err)
		case 6:
			errs.Store(m.ID, p.Shutdown(ctx))
		case 7:
			errs.Store(m.ID, p.Close())
		}
		return m.with("self"), nil
	}, baton.Workers(1))
	var err error
	p, err = c.build(t, []baton.Stage[Msg]{self})
	mustNoError(t, err)
	for id := 1; id <= 5; id++ {
		out, err := p.Process(t.Context(), Msg{ID: id})
		mustNoError(t, err)
		equal(t, []string{"self"}, out.Trace)
		got, _ := errs.Load(id)
		errorIs(t, got.(error), baton.ErrReentrant, "call %d", id)
	}
	mustNoError(t, p.Close())
	for _, id := range []int{6, 7} {
		q, err := c.build(t, []baton.Stage[Msg]{self})
		mustNoError(t, err)
		p = q
		_, err = p.Process(t.Context(), Msg{ID: id})
		mustNoError(t, err)
		got, _ := errs.Load(id)
		errorIs(t, got.(error), baton.ErrReentrant, "call %d", id)
		_, err = p.Process(t.Context(), Msg{})
		mustErrorIs(t, err, baton.ErrClosed, "the stage's Close or Shutdown stopped intake")
		mustNoError(t, p.Close(), "and the pipeline stops")
	}
}

// A Process call from inside a stage with an unrelated context, for a message that needs the
// worker its caller holds, honours that context while it waits — in the stage's inbox under
// choreography, for the stage's worker slot under orchestration — and returns at its deadline,
// its message stopped where it waited.
func testWaitingMessageHonoursItsContext(t *testing.T, c *suite) {
	var p *baton.Pipeline[Msg]
	inner := make(chan error, 1)
	var undone undoLog
	self := baton.Func("self", func(ctx context.Context, m Msg) (Msg, error) {
		if m.ID == 1 {
			tctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := p.Process(tctx, Msg{ID: 2})
			if time.Since(start) != 50*time.Millisecond {
				err = errors.Join(err, errors.New("the inner call did not return at its deadline"))
			}
			inner <- err
		}
		return m.with("self"), nil
	}, baton.Workers(1))
	var err error
	p, err = c.build(t, []baton.Stage[Msg]{saga("first", &undone, nil), self})
	mustNoError(t, err)
	t.Cleanup(func() { p.Close() })
	out, err := p.Process(t.Context(), Msg{ID: 1})
	mustNoError(t, err)
	equal(t, []string{"first", "self"}, out.Trace)
	got := <-inner
	mustErrorIs(t, got, context.DeadlineExceeded)
	errorContains(t, got, `before stage "self"`)
	var ce *baton.CompensationError
	mustErrorAs(t, got, &ce, "its completed step was compensated")
	equal(t, []string{"first"}, undone.Names())
}

// Run never lets its input crash the program: a panic in the input is re-raised in the
// goroutine ranging over Run, as a *PanicError matching ErrPanic, after the results of the
// messages pulled; a Goexit is re-raised there too; a nil input panics there at once.
func testRunInputPanicIsTheCallers(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")})
	input := func(fail func()) iter.Seq[Msg] {
		return func(yield func(Msg) bool) {
			for i := range 3 {
				if !yield(Msg{ID: i}) {
					return
				}
			}
			fail()
		}
	}
	consume := func(in iter.Seq[Msg]) (n int, recovered any, exited bool) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			returned := false
			defer func() {
				if !returned {
					if recovered = recover(); recovered == nil {
						exited = true
					}
				}
			}()
			for r := range p.Run(t.Context(), in) {
				noError(t, r.Err)
				n++
			}
			returned = true
		}()
		<-done
		return n, recovered, exited
	}
	n, r, _ := consume(input(func() { panic("input bug") }))
	equal(t, 3, n, "the messages pulled before the panic get their results")
	pe, ok := r.(*baton.PanicError)
	mustTrue(t, ok, "re-raised as a *PanicError: %#v", r)
	errorIs(t, pe, baton.ErrPanic)
	equal(t, "input bug", pe.Value)

	n, r, exited := consume(input(runtime.Goexit))
	equal(t, 3, n)
	isTrue(t, r == nil && exited, "a Goexit in the input ends the caller's goroutine too")

	_, r, _ = consume(nil)
	isTrue(t, r != nil, "a nil input panics in the caller's goroutine")

	_, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err, "the pipeline goes on")
}

// After the run's context is cancelled, Run stops pulling from its input: an endless input
// ends, and every message pulled gets exactly one result.
func testRunStopsPullingWhenCancelled(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithMaxInFlight(4))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pulled := 0
	endless := func(yield func(Msg) bool) {
		for i := 0; ; i++ {
			pulled++
			if !yield(Msg{ID: i}) {
				return
			}
		}
	}
	seen := map[uint64]bool{}
	for r := range p.Run(ctx, endless) {
		mustTrue(t, !seen[r.Seq], "two results for message %d", r.Seq)
		seen[r.Seq] = true
		if r.Err != nil {
			errorIs(t, r.Err, context.Canceled)
		}
		if len(seen) == 20 {
			cancel()
		}
	}
	equal(t, pulled, len(seen), "every message pulled has one result")
	lessOrEqual(t, pulled, 20+2*4+1, "Run stops pulling once cancelled: at most the in-flight and unread ones, and one refused")
}
