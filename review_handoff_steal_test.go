package baton_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// k messages at one stage with k workers, message i waiting until message i+1 has left the
// stage (the last waits for none): all k must be at the stage at once. A batch taken by one worker
// (or driver) must never hold a message back while another worker is idle: each round would
// hang otherwise. Both strategies, streamed; exactly one result per message.
func TestReviewBatchNeverHoldsBackWhileAWorkerIdles(t *testing.T) {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		for _, k := range []int{2, 3, 4} {
			for round := range 40 {
				left := make([]chan struct{}, k)
				for i := range left {
					left[i] = make(chan struct{})
				}
				var once sync.Map
				stage := baton.Func("a", func(ctx context.Context, v int) (int, error) {
					if v+1 < k {
						select {
						case <-left[v+1]:
						case <-time.After(5 * time.Second):
							return v, fmt.Errorf("message %d waited 5s for message %d", v, v+1)
						}
					}
					if _, dup := once.LoadOrStore(v, true); !dup {
						close(left[v])
					}
					return v, nil
				}, baton.Workers(k))
				p, err := baton.New([]baton.Stage[int]{stage, baton.Func("b", r2id)}, baton.WithStrategy(s), baton.WithMaxInFlight(k))
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for r := range p.Run(context.Background(), func(yield func(int) bool) {
					for i := range k {
						if !yield(i) {
							return
						}
					}
				}) {
					n++
					if r.Err != nil {
						t.Fatalf("%v k=%d round %d: %v", s, k, round, r.Err)
					}
				}
				if n != k {
					t.Fatalf("%v k=%d: %d results, want %d", s, k, n, k)
				}
				p.Close()
			}
		}
	}
}
