package batontest

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/baton-go/baton"
)

// Streams: fail-fast, abandoning, rejected submissions, stats under load.

// Under FailFast the first failure cancels the stream: the messages still in it fail with
// context.Canceled, saying which failure stopped them.
func testFailFast(t *testing.T, c *suite) {
	cause := errors.New("poison")
	var after sync.WaitGroup
	after.Add(4)
	st := baton.Func("st", func(ctx context.Context, m Msg) (Msg, error) {
		if m.ID == 3 {
			after.Wait() // the messages after it are in their step: they are cut short, not refused
			return m, cause
		}
		if m.ID > 3 {
			after.Done()
			<-ctx.Done() // everything after the poison waits until the stream is cancelled
			return m, ctx.Err()
		}
		return m, nil
	}, baton.Workers(8))
	p := c.newPipeline(t, []baton.Stage[Msg]{st, tracer("after")}, baton.WithMaxInFlight(8))
	in := make([]Msg, 8)
	for i := range in {
		in[i].ID = i
	}
	rs := collect(t, p, t.Context(), in, baton.FailFast())
	mustErrorIs(t, rs[3].Err, cause)
	for _, r := range rs[4:] {
		mustErrorIs(t, r.Err, context.Canceled, "message %d", r.Seq)
		errorContains(t, r.Err, "poison")
	}
}

// Without FailFast a failure stays its message's own: the others of the stream succeed.
func testFailureStaysItsMessagesOwn(t *testing.T, c *suite) {
	cause := errors.New("poison")
	p2 := c.newPipeline(t, []baton.Stage[Msg]{reviser("r", func(m Msg, _ *baton.Slip) error {
		if m.ID == 1 {
			return cause
		}
		return nil
	})})
	rs := collect(t, p2, t.Context(), []Msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}})
	mustErrorIs(t, rs[1].Err, cause)
	for _, i := range []int{0, 2, 3} {
		noError(t, rs[i].Err, "message %d", i)
	}
}

// A consumer that breaks out of Run leaves nothing in flight, and the pipeline serves on.
func testRunBreak(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithMaxInFlight(2))
	endless := func(yield func(Msg) bool) {
		for i := 0; ; i++ {
			if !yield(Msg{ID: i}) {
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
	equal(t, 0, p.Stats().InFlight)
	_, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err, "the pipeline still serves after an abandoned stream")
}

// Run stops pulling from its input at the first message it cannot submit, and that message
// gets a result carrying the reason: a cancelled context, or a closed pipeline.
func testRunRejects(t *testing.T, c *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithMaxInFlight(1))
	in := []Msg{{ID: 7}, {ID: 8}, {ID: 9}}
	pulled := 0
	counted := func(yield func(Msg) bool) {
		for _, m := range in {
			pulled++
			if !yield(m) {
				return
			}
		}
	}
	var rs []baton.Result[Msg]
	for r := range p.Run(ctx, counted) {
		rs = append(rs, r)
	}
	equal(t, 1, pulled, "Run stops pulling at the first refusal")
	mustEqual(t, 1, len(rs), "the message pulled gets its result")
	equal(t, 7, rs[0].Value.ID)
	errorIs(t, rs[0].Err, context.Canceled)
	empty(t, rs[0].Value.Trace, "a refused message runs no step")
	// The same when the pipeline is closed.
	mustNoError(t, p.Close())
	pulled, rs = 0, nil
	for r := range p.Run(t.Context(), counted) {
		rs = append(rs, r)
	}
	equal(t, 1, pulled)
	mustEqual(t, 1, len(rs))
	errorIs(t, rs[0].Err, baton.ErrClosed)
}

// After CloseSend (safe twice) Submit fails with ErrStreamClosed, and the results of the
// messages submitted before stay readable.
func testSubmitAfterCloseSend(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")})
	st := p.Stream(t.Context())
	mustNoError(t, st.Submit(t.Context(), Msg{ID: 1}))
	st.CloseSend()
	st.CloseSend() // twice is safe
	mustErrorIs(t, st.Submit(t.Context(), Msg{ID: 2}), baton.ErrStreamClosed)
	var got []baton.Result[Msg]
	for r := range st.Results() {
		got = append(got, r)
	}
	mustEqual(t, 1, len(got))
	equal(t, []string{"a"}, got[0].Value.Trace)
}

// A stream's Results yields each result once: a second range yields nothing.
func testResultsYieldEachResultOnce(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")})
	st := p.Stream(t.Context())
	mustNoError(t, st.Submit(t.Context(), Msg{ID: 1}))
	st.CloseSend()
	n := 0
	for range st.Results() {
		n++
	}
	equal(t, 1, n)
	for range st.Results() {
		n++
	}
	equal(t, 1, n, "a second range yields nothing")
}

// While 200 messages stream through a pipeline, Stats never shows more messages in flight, or
// waiting for a stage, than WithMaxInFlight allows.
func testStatsStayWithinTheBound(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithMaxInFlight(4))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				st := p.Stats()
				lessOrEqual(t, st.InFlight, 4)
				for _, sg := range st.Stages {
					lessOrEqual(t, sg.Inbox, 4)
				}
			}
		}
	})
	collect(t, p, t.Context(), make([]Msg, 200))
	close(stop)
	wg.Wait()
}

// Once a stream's messages are all delivered, Stats counts every step of them, per stage named
// as given to New, and none is in flight.
func testStatsCountEveryStep(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithMaxInFlight(4))
	collect(t, p, t.Context(), make([]Msg, 200))
	st := p.Stats()
	equal(t, int64(200), st.Stages[0].Processed)
	equal(t, int64(200), st.Stages[1].Processed)
	equal(t, 0, st.InFlight)
	equal(t, []string{"a", "b"}, []string{st.Stages[0].Name, st.Stages[1].Name})
}

// Results held back for submission order are released when the consumer breaks out of Run:
// nothing stays in flight.
func testOrderedBreak(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithSubmissionOrder(), baton.WithMaxInFlight(3))
	for range 3 {
		n := 0
		for r := range p.Run(t.Context(), slices.Values(make([]Msg, 50))) {
			mustNoError(t, r.Err)
			if n++; n == 2 {
				break
			}
		}
		equal(t, 0, p.Stats().InFlight)
	}
	rs := collect(t, p, t.Context(), make([]Msg, 10))
	equal(t, 10, len(rs))
}

// Process callers racing Close each get their message's outcome or ErrClosed, never a hang.
func testConcurrentProcessAndClose(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithMaxInFlight(2))
	mustNoError(t, err)
	var wg sync.WaitGroup
	var okN, closedN atomicInt
	for i := range 50 {
		wg.Go(func() {
			out, err := p.Process(context.Background(), Msg{ID: i})
			switch {
			case err == nil:
				equal(t, []string{"a", "b"}, out.Trace)
				okN.add()
			case errors.Is(err, baton.ErrClosed):
				closedN.add()
			default:
				t.Errorf("message %d: %v", i, err)
			}
		})
	}
	noError(t, p.Close())
	wg.Wait()
	equal(t, 50, okN.get()+closedN.get())
	equal(t, 0, p.Stats().InFlight)
}

type atomicInt struct {
	mu sync.Mutex
	n  int
}

func (a *atomicInt) add() { a.mu.Lock(); a.n++; a.mu.Unlock() }
func (a *atomicInt) get() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// A loop body over Run that panics or calls runtime.Goexit (as t.FailNow does) leaves nothing
// in flight: every slot is free again.
func testRunBodyPanicsOrExits(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithMaxInFlight(2))
	in := make([]Msg, 10)
	func() {
		defer func() { equal(t, "body bug", recover()) }()
		for range p.Run(t.Context(), slices.Values(in)) {
			panic("body bug")
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range p.Run(t.Context(), slices.Values(in)) {
			runtime.Goexit() // what t.FailNow does on failure inside the loop
		}
	}()
	<-done
	equal(t, 0, p.Stats().InFlight)
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err, "all slots are free again")
	equal(t, []string{"a"}, out.Trace)
}
