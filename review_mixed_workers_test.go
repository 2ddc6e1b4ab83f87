package baton_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"go.uber.org/goleak"
)

// Plain stages (the orchestrator's one loop) beside stages with one, two and three workers
// (the choreographed ring with one or several consumers), at in-flight bound 1 to 3: slips that
// revisit, skip and replace at random, steps that fail, panic or Goexit, compensations, stream
// messages whose own contexts are cancelled mid-flight beside Process callers whose contexts
// end, and Close called while the stream still submits. Every accepted message has exactly one
// result (Seq unique, none missing), every Process returns, Close returns, nothing leaks.
func TestReviewMixedWorkersExactlyOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	names := []string{"a", "b", "c", "d"}
	workers := []int{0, 1, 2, 3}
	for _, strat := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		for bound := 1; bound <= 3; bound++ {
			t.Run(fmt.Sprint(strat, bound), func(t *testing.T) {
				var stages []baton.Stage[int]
				for k, n := range names {
					var opts []baton.StageOption
					if workers[k] > 0 {
						opts = append(opts, baton.Workers(workers[k]))
					}
					st := baton.SlipFunc(n, func(ctx context.Context, v int, slip *baton.Slip) (int, error) {
						r := rand.IntN(100)
						switch {
						case r < 20 && slip.Hops() < 10:
							_ = slip.InsertNext(names[rand.IntN(len(names))], names[rand.IntN(len(names))])
						case r < 25:
							slip.Skip(1)
						case r < 28 && slip.Hops() < 10:
							_ = slip.Replace(names[rand.IntN(len(names))])
						case r < 31:
							return v, fmt.Errorf("fail at %s", n)
						case r < 33:
							panic("boom")
						case r < 34:
							runtime.Goexit()
						case r < 40:
							runtime.Gosched()
						}
						return v + 1, nil
					}, opts...)
					if k%2 == 0 {
						st = baton.WithCompensation(st, func(context.Context, int) error { return nil })
					}
					stages = append(stages, st)
				}
				p, err := baton.New(stages, baton.WithStrategy(strat), baton.WithMaxInFlight(bound))
				if err != nil {
					t.Fatal(err)
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					var wg sync.WaitGroup
					for range 2 {
						wg.Go(func() {
							for range 40 {
								ctx, cancel := context.WithCancel(context.Background())
								if rand.IntN(2) == 0 {
									go cancel()
								}
								p.Process(ctx, 0)
								cancel()
							}
						})
					}
					s := p.Stream(context.Background(), baton.MessageContexts())
					accepted := make(map[uint64]bool)
					var mu sync.Mutex
					wg.Go(func() {
						defer s.CloseSend()
						var cancels []context.CancelFunc
						defer func() {
							for _, c := range cancels {
								c()
							}
						}()
						for i := range 300 {
							ctx, cancel := context.WithCancel(context.Background())
							cancels = append(cancels, cancel)
							if i%3 == 0 {
								go cancel() // the message's own context ends mid-flight
							}
							err := s.Submit(ctx, i)
							if err == nil {
								mu.Lock()
								accepted[uint64(i)] = true
								mu.Unlock()
							}
							if i == 200 {
								go p.Close() // Close while the stream still submits
							}
						}
					})
					seen := make(map[uint64]int)
					for r := range s.Results() {
						seen[r.Seq]++
					}
					wg.Wait()
					mu.Lock()
					n := len(accepted)
					mu.Unlock()
					dups := 0
					for _, c := range seen {
						if c != 1 {
							dups++
						}
					}
					if dups != 0 || len(seen) < n {
						t.Errorf("%d results (%d seqs seen more than once) for %d accepted", len(seen), dups, n)
					}
					if err := p.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				}()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					buf := make([]byte, 1<<20)
					t.Fatalf("hung\n%s", buf[:runtime.Stack(buf, true)])
				}
			})
		}
	}
}
