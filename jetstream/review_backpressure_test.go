package jetstream_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
)

// TestReviewMaxPendingBoundsAStage (review, issue 13 "a bound on messages in flight ... per
// stage"): Config.MaxPending is documented as bounding the hand-offs given to a stage's workers
// and not yet acknowledged. With MaxPending 2 and a stage of 8 workers that holds each step
// until released, no more than 2 steps of that stage may run at once. No other test of the
// module sets MaxPending.
func TestReviewMaxPendingBoundsAStage(t *testing.T) {
	var running, most atomic.Int64
	release := make(chan struct{})
	stages := []baton.Stage[int]{baton.Func("hold", func(ctx context.Context, n int) (int, error) {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return n, nil
	}, baton.Workers(8))}
	e := newEngine(t, jetstream.Config{HostAll: true, Memory: true, MaxPending: 2})
	p, err := baton.New(stages, baton.WithEngine(e), baton.WithMaxInFlight(16))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan int)
	go func() {
		n := 0
		for r := range p.Run(context.Background(), slices.Values(make([]int, 10))) {
			if r.Err != nil {
				t.Error(r.Err)
			}
			n++
		}
		done <- n
	}()
	time.Sleep(2 * time.Second) // let every delivery the server allows arrive
	seen := most.Load()
	close(release)
	if n := <-done; n != 10 {
		t.Errorf("%d results, want 10", n)
	}
	if seen > 2 {
		t.Errorf("%d steps of the stage ran at once with MaxPending 2", seen)
	}
	t.Logf("at most %d steps at once with MaxPending 2 and 8 workers", seen)
}
