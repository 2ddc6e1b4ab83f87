package batontest

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
)

// Edges found by review: re-entrancy through another pipeline's context, Shutdown and queued
// Process calls, FailFast's later submissions, Workers caps for compensations of claimed
// messages, runtime.Goexit in a router or an observer.

// A stage of pipeline q calls p with context.WithoutCancel of its step context (values, no
// cancellation); a stage of p then calls p with its own step context: refused, not deadlocked.
func testReentrantThroughAnotherPipelinesContext(t *testing.T, c *suite) {
	var p *baton.Pipeline[Msg]
	inner := make(chan error, 1)
	p = c.newPipeline(t, []baton.Stage[Msg]{baton.Func("pa", func(ctx context.Context, m Msg) (Msg, error) {
		if m.ID == 1 {
			_, err := p.Process(ctx, Msg{ID: 2})
			inner <- err
		}
		return m, nil
	}, baton.Workers(1))})
	q := c.newPipeline(t, []baton.Stage[Msg]{baton.Func("qa", func(ctx context.Context, m Msg) (Msg, error) {
		return p.Process(context.WithoutCancel(ctx), m)
	})})
	_, err := q.Process(t.Context(), Msg{ID: 1})
	mustNoError(t, err)
	mustErrorIs(t, <-inner, baton.ErrReentrant)
}

// At Shutdown's deadline a Process(context.Background()) waiting behind a stage that ignores its
// context returns ErrAborted, under both strategies.
func testShutdownReleasesQueuedBackgroundProcess(t *testing.T, c *suite) {
	unblock := make(chan struct{})
	p, err := c.build(t, []baton.Stage[Msg]{baton.Func("a", func(ctx context.Context, m Msg) (Msg, error) {
		<-unblock // ignores ctx
		return m, nil
	}, baton.Workers(1))})
	mustNoError(t, err)
	go p.Process(context.Background(), Msg{ID: 1})
	synctest.Wait()
	queued := make(chan error, 1)
	go func() { _, err := p.Process(context.Background(), Msg{ID: 2}); queued <- err }()
	synctest.Wait()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	mustErrorIs(t, p.Shutdown(ctx), baton.ErrAborted)
	synctest.Wait()
	select {
	case err := <-queued:
		errorIs(t, err, baton.ErrAborted)
	default:
		t.Error("the queued Process still waits after Shutdown's deadline")
	}
	close(unblock)
	mustNoError(t, p.Close())
}

// Once a FailFast stream's first message failed, later Submits fail and Run stops pulling: the
// first message its input offers after the failure's result is refused, and no other is asked
// for.
func testFailFastRefusesLaterSubmissions(t *testing.T, c *suite) {
	boom := errors.New("boom")
	stage := baton.Func("a", func(_ context.Context, m Msg) (Msg, error) {
		if m.ID == 0 {
			return m, boom
		}
		return m, nil
	})
	p := c.newPipeline(t, []baton.Stage[Msg]{stage})
	st := p.Stream(t.Context(), baton.FailFast())
	mustNoError(t, st.Submit(t.Context(), Msg{ID: 0}))
	for r := range st.Results() {
		mustErrorIs(t, r.Err, boom)
		err := st.Submit(t.Context(), Msg{ID: 1})
		mustErrorIs(t, err, context.Canceled, "a later Submit fails")
		errorIs(t, err, boom, "and says why")
		st.CloseSend()
	}
	// Run's input offers each message once the loop has seen the result of the one before, so
	// that the first failure is known before the second message is offered, however long a
	// message takes to finish.
	seen := make(chan struct{}, 50)
	pulled := 0
	in := func(yield func(Msg) bool) {
		for i := range 50 {
			if i > 0 {
				<-seen
			}
			pulled++
			if !yield(Msg{ID: i}) {
				return
			}
		}
	}
	for range p.Run(t.Context(), in, baton.FailFast()) {
		seen <- struct{}{}
	}
	lessOrEqual(t, pulled, 2, "Run stops pulling after a FailFast stream's first failure")
}

// A message stopped where it waits still has its compensations run on their stages, within
// their Workers: a Workers(1) stage never runs two actions at once.
func testStoppedMessagesCompensateWithinWorkers(t *testing.T, c *suite) {
	var running, most atomic.Int32
	enter := func() func() {
		if n := running.Add(1); n > most.Load() {
			most.Store(n)
		}
		return func() { running.Add(-1) }
	}
	unblockA, unblockB := make(chan struct{}), make(chan struct{})
	a := baton.Compensable(baton.Func("a", func(ctx context.Context, m Msg) (Msg, error) {
		defer enter()()
		if m.ID == 3 {
			<-unblockA // ignores ctx
		}
		return m, nil
	}, baton.Workers(1)), func(context.Context, Msg) error {
		defer enter()()
		time.Sleep(time.Millisecond)
		return nil
	})
	b := baton.Func("b", func(ctx context.Context, m Msg) (Msg, error) {
		if m.ID == 1 {
			<-unblockB
		}
		return m, nil
	}, baton.Workers(1))
	p := c.newPipeline(t, []baton.Stage[Msg]{a, b})
	go p.Process(context.Background(), Msg{ID: 1}) // holds b
	synctest.Wait()
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error, 1)
	go func() { _, err := p.Process(ctx, Msg{ID: 2}); stopped <- err }() // a done, waits for b
	synctest.Wait()
	go p.Process(context.Background(), Msg{ID: 3}) // holds a
	synctest.Wait()
	cancel() // 2 stops where it waits; its compensation at a must wait for a's worker
	synctest.Wait()
	time.Sleep(10 * time.Millisecond)
	close(unblockA)
	err := <-stopped
	mustErrorIs(t, err, context.Canceled)
	var ce *baton.CompensationError
	mustErrorAs(t, err, &ce, "its step at a was compensated")
	lessOrEqual(t, most.Load(), int32(1), "stage a (Workers(1)) never ran two actions at once")
	close(unblockB)
}

// A router or a planner (WithItinerary) that calls runtime.Goexit (unsupported) ends its message
// with ErrGoexit: no slot leaks, and Close returns.
func testRouterGoexitEndsItsMessage(t *testing.T, c *suite) {
	router := baton.WithRouter(func(m Msg) []string {
		if m.ID == 1 {
			runtime.Goexit()
		}
		return []string{"a"}
	})
	planner := baton.WithItinerary(func(m Msg, s *baton.Slip) error {
		if m.ID == 1 {
			runtime.Goexit()
		}
		return s.Append("a")
	})
	for _, opt := range []baton.Option{router, planner} {
		p, err := c.build(t, []baton.Stage[Msg]{tracer("a")}, opt)
		mustNoError(t, err)
		done := make(chan struct{})
		go func() { defer close(done); p.Process(context.Background(), Msg{ID: 1}) }()
		<-done
		equal(t, 0, p.Stats().InFlight, "the message that exited left nothing in flight")
		rs := collect(t, p, t.Context(), []Msg{{ID: 2}})
		mustNoError(t, rs[0].Err)
		equal(t, []string{"a"}, rs[0].Value.Trace)
		mustNoError(t, p.Close())
	}
}

// An observer that calls runtime.Goexit (unsupported: t.FailNow in a test's observer) during a
// step, or as a message finishes, crashes nothing: the message ends with ErrGoexit or is
// delivered, the pipeline goes on, and Close returns.
func testObserverGoexitIsContained(t *testing.T, c *suite) {
	for _, kind := range []baton.EventKind{baton.StepStarted, baton.StepEnded, baton.MessageFinished, baton.MessageAccepted} {
		var exits atomic.Int32
		obs := baton.ObserverFunc(func(e baton.Event) {
			if e.Kind == kind && e.Key == "exit" && exits.Add(1) == 1 {
				runtime.Goexit()
			}
		})
		key := baton.WithKey(func(m Msg) string {
			if m.ID == 1 {
				return "exit"
			}
			return ""
		})
		p, err := c.build(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithObserver(obs), key)
		mustNoError(t, err)
		done := make(chan struct{})
		go func() { defer close(done); p.Process(context.Background(), Msg{ID: 1}) }()
		<-done
		rs := collect(t, p, t.Context(), []Msg{{ID: 1}, {ID: 2}, {ID: 3}})
		for _, r := range rs {
			noError(t, r.Err, "%v: the pipeline goes on", kind)
		}
		closed := make(chan struct{})
		go func() { p.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: Close hangs after an observer's Goexit", kind)
		}
		equal(t, 0, p.Stats().InFlight, "%v", kind)
	}
}
