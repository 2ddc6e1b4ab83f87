package batontest

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
)

// The strategy switch does not change concurrency: with the same stage options both strategies
// run as many steps at once, and a message never waits behind messages queued for a stage it
// does not need. These run on the bubble's virtual clock, where the durations are exact.

// Workers(n) lets n steps of a stage run at once under both strategies: 160 messages through a
// stage of 10 ms steps with Workers(16) take 100 ms, not what GOMAXPROCS would allow.
func testWorkersGiveTheSameConcurrency(t *testing.T, c *suite) {
	io := sleeper("io", 10*time.Millisecond, baton.Workers(16))
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), io, tracer("b")})
	start := time.Now()
	for _, r := range collect(t, p, t.Context(), make([]Msg, 160)) {
		mustNoError(t, r.Err)
	}
	equal(t, 100*time.Millisecond, time.Since(start), "ten rounds of sixteen steps at once")
}

// A message that skips a scarce stage (Workers(1), 20 ms steps) is not held up by the messages
// queued for it: under both strategies it finishes at once.
func testNoWaitingBehindAStageNotNeeded(t *testing.T, c *suite) {
	scarce := sleeper("scarce", 20*time.Millisecond, baton.Workers(1))
	p := c.newPipeline(t, []baton.Stage[Msg]{scarce, tracer("fast")}, baton.WithRouter(routeOf))
	var in []Msg
	for i := range 40 {
		route := []string{"fast"}
		if i%2 == 0 {
			route = []string{"scarce", "fast"}
		}
		in = append(in, Msg{ID: i, Route: route})
	}
	start := time.Now()
	var fast []time.Duration
	var last time.Duration
	for r := range p.Run(t.Context(), slices.Values(in)) {
		mustNoError(t, r.Err)
		if len(r.Value.Route) == 1 {
			fast = append(fast, time.Since(start))
		}
		last = time.Since(start)
	}
	equal(t, 20, len(fast))
	equal(t, time.Duration(0), slices.Max(fast), "the messages that skip the scarce stage finish at once")
	equal(t, 20*20*time.Millisecond, last, "the scarce stage runs one step at a time")
}

// A Process caller's message waits for a busy stage's worker slot under orchestration, as it
// waits in the stage's inbox under choreography: both honour its context there.
func testProcessWaitsForAWorkerHonouringItsContext(t *testing.T, c *suite) {
	release := make(chan struct{})
	block := baton.Func("block", func(ctx context.Context, m Msg) (Msg, error) { <-release; return m, nil }, baton.Workers(1))
	p := c.newPipeline(t, []baton.Stage[Msg]{block})
	go p.Process(context.Background(), Msg{})
	synctest.Wait() // it holds the one worker
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.DeadlineExceeded)
	errorContains(t, err, `before stage "block"`)
	equal(t, 30*time.Millisecond, time.Since(start))
	close(release)
}
