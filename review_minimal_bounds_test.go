package baton_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"go.uber.org/goleak"
)

// Minimal bounds, cycles and claims together: in-flight bound 1 or 2, every stage Workers(1),
// slips that revisit stages at random, stages that sometimes fail, panic or Goexit, Process callers
// whose contexts end at random (their messages claimed from the batched inboxes) beside a stream.
// Every Process returns, the stream yields exactly one result per message, Close returns, and
// nothing leaks.
func TestReviewMinimalBoundsCyclesAndClaims(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	names := []string{"a", "b", "c"}
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		for _, bound := range []int{1, 2} {
			var stages []baton.Stage[int]
			for _, n := range names {
				stages = append(stages, baton.SlipFunc(n, func(ctx context.Context, v int, slip *baton.Slip) (int, error) {
					r := rand.IntN(100)
					switch {
					case r < 30 && slip.Hops() < 12:
						_ = slip.InsertNext(names[rand.IntN(len(names))])
					case r < 33:
						return v, context.Canceled
					case r < 35:
						panic("boom")
					case r < 36:
						runtime.Goexit()
					case r < 45:
						select {
						case <-time.After(time.Duration(rand.IntN(300)) * time.Microsecond):
						case <-ctx.Done():
							return v, ctx.Err()
						}
					}
					return v + 1, nil
				}, baton.Workers(1)))
			}
			p, err := baton.New(stages, baton.WithStrategy(s), baton.WithMaxInFlight(bound))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				var wg sync.WaitGroup
				for range 3 {
					wg.Go(func() {
						for range 60 {
							ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(400))*time.Microsecond)
							p.Process(ctx, 0)
							cancel()
						}
					})
				}
				const n = 200
				got := 0
				for range p.Run(context.Background(), func(yield func(int) bool) {
					for i := range n {
						if !yield(i) {
							return
						}
					}
				}) {
					got++
				}
				if got != n {
					t.Errorf("%v bound %d: %d results, want %d", s, bound, got, n)
				}
				wg.Wait()
				p.Close()
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				buf := make([]byte, 1<<20)
				t.Fatalf("%v bound %d: hung\n%s", s, bound, buf[:runtime.Stack(buf, true)])
			}
		}
	}
}
