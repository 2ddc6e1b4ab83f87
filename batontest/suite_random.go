package batontest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Deadlock freedom, by construction: random slips with revisits at the smallest settings. Each
// run must end (or the test fails with every goroutine's stack) with exactly one result per
// message. It runs on the real clock, so that goroutines interleave as they would in production.
func testRandomSlipsNoDeadlock(t *testing.T, c *suite) {
	base := rand.Uint64()
	for _, inflight := range []int{1, 2} {
		for round := range uint64(3) {
			seed := mix(base, uint64(inflight), round)
			t.Run(fmt.Sprintf("inflight=%d/seed=%#x", inflight, seed), func(t *testing.T) {
				sc := Generate(seed, GenConfig{Stages: 5, Messages: 200, MaxInFlight: inflight, HopLimit: 40, Workers1: true})
				cmp := sc.Comparison
				cmp.Options = slices.Concat(c.extra, cmp.Options)
				cmp.Timeout = 30 * time.Second
				rep, err := cmp.Execute(c.strategy)
				if err != nil {
					t.Fatalf("seed %#x, %s:\n%v", seed, sc.Description, err)
				}
				for _, p := range rep.Problems {
					t.Errorf("seed %#x, %s: %s", seed, sc.Description, p)
				}
				var steps int64
				for _, s := range rep.Stats.Stages {
					steps += s.Processed + s.Failed
				}
				isTrue(t, steps > 0, "the messages took steps")
				equal(t, baton.Stats{}.InFlight, rep.Stats.InFlight)
			})
		}
	}
}
