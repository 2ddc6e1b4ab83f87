package batontest

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
)

// Stats: frozen at stop, live rates over the last second and minute, Processed per step when
// timed. All on a virtual clock: the pipelines' first message starts each test's clock at 0.

// near reports whether got is want, to within rounding.
func near(t TB, want, got float64, args ...any) bool {
	t.Helper()
	if math.IsNaN(got) || math.Abs(want-got) > 1e-9*max(1, math.Abs(want)) {
		t.Errorf("want %v, got %v%s", want, got, msgOf(args))
		return false
	}
	return true
}

// Elapsed, the throughputs and the rates stop when the pipeline stops, by Close or by Shutdown,
// instead of decaying as time goes on.
func testStatsFreezeAtStop(t *testing.T, c *suite) {
	for _, how := range []string{"Close", "Shutdown"} {
		p, err := c.build(t, []baton.Stage[Msg]{tracer("a"), tracer("b")})
		mustNoError(t, err)
		collect(t, p, t.Context(), make([]Msg, 10))
		time.Sleep(100 * time.Millisecond)
		equal(t, 100*time.Millisecond, p.Stats().Elapsed, "%s: the clock runs until the pipeline stops", how)
		if how == "Close" {
			mustNoError(t, p.Close())
		} else {
			mustNoError(t, p.Shutdown(t.Context()))
		}
		at := p.Stats()
		time.Sleep(50 * time.Millisecond)
		later := p.Stats()
		equal(t, 100*time.Millisecond, at.Elapsed, "%s: Elapsed as it stopped", how)
		equal(t, at.Elapsed, later.Elapsed, "%s: Elapsed 50ms after stopping", how)
		near(t, 10/0.1, at.Rate1s, "%s: messages per second over the 100ms run", how)
		equal(t, at.Rate1s, later.Rate1s, "%s: Rate1s", how)
		equal(t, at.Rate1m, later.Rate1m, "%s: Rate1m", how)
		for i, sg := range at.Stages {
			near(t, 100, sg.Throughput, "%s: stage %s", how, sg.Name)
			equal(t, sg.Throughput, later.Stages[i].Throughput, "%s: stage %s's Throughput 50ms after stopping", how, sg.Name)
			equal(t, sg.Rate1s, later.Stages[i].Rate1s, "%s: stage %s", how, sg.Name)
			equal(t, sg.Rate1m, later.Stages[i].Rate1m, "%s: stage %s", how, sg.Name)
		}
	}
}

// A pipeline closed before any message has no time and no rates, however long after.
func testStatsOfAnUnusedPipeline(t *testing.T, c *suite) {
	p, err := c.build(t, []baton.Stage[Msg]{tracer("a")})
	mustNoError(t, err)
	mustNoError(t, p.Close())
	time.Sleep(time.Second)
	st := p.Stats()
	equal(t, time.Duration(0), st.Elapsed)
	equal(t, [3]float64{}, [3]float64{st.Rate1s, st.Rate1m, st.Stages[0].Throughput})
}

// The rates over the last second and the last minute, after known steps at known times: whole
// seconds of the pipeline's clock count fully, the oldest, partly covered second its share;
// before a window's length has passed, the rate divides by the time run. Stage rates count
// steps that succeeded, the pipeline's rates messages finished, failed or not.
func testStatsRates(t *testing.T, c *suite) {
	fail := errors.New("refused")
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), reviser("b", func(m Msg, _ *baton.Slip) error {
		if m.ID == 1 {
			return fail
		}
		return nil
	})})
	start := time.Now()
	at := func(d time.Duration) baton.Stats {
		t.Helper()
		time.Sleep(time.Until(start.Add(d)))
		return p.Stats()
	}
	// rates are a's, b's and the messages', each over 1s then 1m.
	type rates [6]float64
	check := func(when time.Duration, want rates) {
		t.Helper()
		st := at(when)
		a, b := st.Stages[0], st.Stages[1]
		got := rates{a.Rate1s, a.Rate1m, b.Rate1s, b.Rate1m, st.Rate1s, st.Rate1m}
		for i, what := range []string{"a 1s", "a 1m", "b 1s", "b 1m", "messages 1s", "messages 1m"} {
			near(t, want[i], got[i], "at %v: %s", when, what)
		}
	}
	// Second 0: 10 messages, at once.
	collect(t, p, t.Context(), make([]Msg, 10))
	check(0, rates{}) // no time has passed yet
	check(500*time.Millisecond, rates{20, 20, 20, 20, 20, 20})
	check(time.Second, rates{10, 10, 10, 10, 10, 10})
	check(1500*time.Millisecond, rates{5, 10 / 1.5, 5, 10 / 1.5, 5, 10 / 1.5})
	// Second 1: 4 messages, of which one fails at b.
	in := []Msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}}
	rs := collect(t, p, t.Context(), in)
	errorIs(t, rs[1].Err, fail)
	check(2250*time.Millisecond, rates{3, 14 / 2.25, 0.75 * 3, 13 / 2.25, 3, 14 / 2.25})
	check(60*time.Second, rates{0, 14.0 / 60, 0, 13.0 / 60, 0, 14.0 / 60})
	check(61500*time.Millisecond, rates{0, 2.0 / 60, 0, 1.5 / 60, 0, 2.0 / 60})
	check(62500*time.Millisecond, rates{})
	st := p.Stats()
	equal(t, [2]int64{14, 13}, [2]int64{st.Stages[0].Processed, st.Stages[1].Processed})
	equal(t, int64(1), st.Stages[1].Failed)
	near(t, 14/62.5, st.Stages[0].Throughput, "the lifetime average")
}

// When the pipeline times steps, Processed (and its rates) move as each step succeeds, while its
// message still travels; untimed, a message's steps are counted when it finishes.
func testStatsProcessedWhileTravelling(t *testing.T, c *suite) {
	for _, timing := range []bool{false, true} {
		var own []baton.Option
		if timing {
			own = append(own, baton.WithTiming())
		}
		release := make(chan struct{})
		block := baton.Func("block", func(_ context.Context, m Msg) (Msg, error) { <-release; return m.with("block"), nil })
		p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), block, tracer("c")}, own...)
		start := time.Now()
		errc := make(chan error)
		go func() { _, err := p.Process(t.Context(), Msg{}); errc <- err }()
		synctest.Wait() // the message waits in block, after a
		time.Sleep(500 * time.Millisecond)
		st := p.Stats()
		timed := st.Timed
		isTrue(t, timed || !timing, "WithTiming times the steps")
		a, b := st.Stages[0], st.Stages[1]
		if timed {
			equal(t, int64(1), a.Processed, "timed: a's step is counted as it succeeds")
			near(t, 2, a.Rate1s, "timed: one step in the half second run")
			near(t, 2, a.Rate1m, "timed")
			equal(t, int64(1), b.Running, "timed")
		} else {
			equal(t, int64(0), a.Processed, "untimed: counted when the message finishes")
			near(t, 0, a.Rate1s, "untimed")
		}
		equal(t, int64(0), b.Processed, "timed=%v", timed)
		near(t, 0, st.Rate1s, "timed=%v: no message has finished", timed)
		equal(t, 1, st.InFlight, "timed=%v", timed)
		close(release)
		mustNoError(t, <-errc)
		time.Sleep(time.Until(start.Add(time.Second)))
		st = p.Stats()
		for _, sg := range st.Stages {
			equal(t, int64(1), sg.Processed, "timed=%v: %s", timed, sg.Name)
			near(t, 1, sg.Rate1s, "timed=%v: %s", timed, sg.Name)
		}
		near(t, 1, st.Rate1s, "timed=%v: messages", timed)
		mustNoError(t, p.Close())
	}
}

// inboxWhileBusy streams three messages to a stage made with opts whose steps wait for release,
// and returns its Inbox once they are all submitted; then it releases them and checks that Inbox
// is back to 0.
func inboxWhileBusy(t *testing.T, c *suite, opts ...baton.StageOption) int {
	release := make(chan struct{})
	block := baton.Func("block", func(_ context.Context, m Msg) (Msg, error) { <-release; return m, nil }, opts...)
	p := c.newPipeline(t, []baton.Stage[Msg]{block}, baton.WithMaxInFlight(4))
	st := p.Stream(t.Context())
	for i := range 3 {
		mustNoError(t, st.Submit(t.Context(), Msg{ID: i}))
	}
	synctest.Wait() // every message runs or waits
	inbox := p.Stats().Stages[0].Inbox
	close(release)
	st.CloseSend()
	for r := range st.Results() {
		noError(t, r.Err)
	}
	equal(t, 0, p.Stats().Stages[0].Inbox, "nothing waits once every message finished")
	return inbox
}

// The streamed messages waiting for the one worker of a Workers(1) stage are counted in its
// StageStats.Inbox, under every subject: in the stage's inbox, or parked for its worker slot.
func testInboxCountsMessagesWaitingForAWorker(t *testing.T, c *suite) {
	equal(t, 2, inboxWhileBusy(t, c, baton.Workers(1)), "one message runs, two wait")
}

// The Inbox of a stage without baton.Workers is as Features.InboxDepth declares: the messages
// queued behind its running step (2 of 3), or always 0.
func testInboxOfAStageWithoutWorkers(t *testing.T, c *suite) {
	want := 0
	if c.subject.Features.InboxDepth {
		want = 2
	}
	equal(t, want, inboxWhileBusy(t, c), "InboxDepth %v", c.subject.Features.InboxDepth)
}
