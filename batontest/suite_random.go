package batontest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Deadlock freedom, by construction: random slips with revisits at the smallest settings. Each
// run must end (or the test fails with every goroutine's stack) with exactly one result per
// message. It runs on the real clock, so that goroutines interleave as they would in production:
// 200 messages a run within 30 s, or, for a subject with Features.RealClock, whose steps may
// take milliseconds (a server's round trips), 20 within 2 minutes.
func testRandomSlipsNoDeadlock(t *testing.T, c *suite) {
	messages, limit := 200, 30*time.Second
	if c.subject.Features.RealClock {
		messages, limit = 20, 2*time.Minute
	}
	base := rand.Uint64()
	for _, inflight := range []int{1, 2} {
		for round := range uint64(3) {
			seed := mix(base, uint64(inflight), round)
			t.Run(fmt.Sprintf("inflight=%d/seed=%#x", inflight, seed), func(t *testing.T) {
				sc := generate(seed, GenConfig{Stages: 5, Messages: messages, MaxInFlight: inflight, HopLimit: 40, Workers1: true})
				cmp := sc.comparison
				cmp.Timeout = limit
				build := func(stages []baton.Stage[Msg], opts ...baton.Option) (*baton.Pipeline[Msg], error) {
					return c.build(t, stages, opts...)
				}
				rep, err := cmp.run(c.subject.Strategy.String(), build, nil)
				if err != nil {
					t.Fatalf("seed %#x, %s:\n%v", seed, sc.description, err)
				}
				for _, p := range rep.problems {
					t.Errorf("seed %#x, %s: %s", seed, sc.description, p)
				}
				var steps int64
				for _, s := range rep.stats.Stages {
					steps += s.Processed + s.Failed
				}
				isTrue(t, steps > 0, "the messages took steps")
				equal(t, 0, rep.stats.InFlight)
			})
		}
	}
}
