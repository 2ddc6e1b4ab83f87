package jetstream_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
)

// TestReviewClosedWorkerHandsOver (review, issue 13 "Close drains in-flight work; a stopped
// worker leaves its messages to be redelivered to another"): two worker pipelines host the same
// slow stage; one is closed mid-run, holding steps it runs and hand-offs it fetched ahead. Every
// message still gets exactly one result, without error, and the run ends within a few AckWaits.
// No other test of the module closes a worker while another takes over.
func TestReviewClosedWorkerHandsOver(t *testing.T) {
	name := uniqueName(t)
	stages := func() []baton.Stage[int] {
		return []baton.Stage[int]{
			baton.Func("slow", func(_ context.Context, n int) (int, error) {
				time.Sleep(20 * time.Millisecond)
				return n + 1, nil
			}, baton.Workers(2)),
			baton.Func("last", func(_ context.Context, n int) (int, error) { return n * 10, nil }),
		}
	}
	pipeline := func(cfg jetstream.Config) *baton.Pipeline[int] {
		cfg.Name, cfg.AckWait = name, time.Second
		e, err := jetstream.New(nc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := baton.New(stages(), baton.WithEngine(e), baton.WithMaxInFlight(64))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	w1 := pipeline(jetstream.Config{HostAll: true})
	w2 := pipeline(jetstream.Config{HostAll: true})
	defer w2.Close()
	client := pipeline(jetstream.Config{})
	defer client.Close()
	in := make([]int, 60)
	for i := range in {
		in[i] = i
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	seen := make([]int, len(in))
	n := 0
	for r := range client.Run(ctx, slices.Values(in)) {
		if r.Err != nil {
			t.Errorf("message %d: %v", r.Seq, r.Err)
		} else if r.Value != (in[r.Seq]+1)*10 {
			t.Errorf("message %d: value %d, want %d", r.Seq, r.Value, (in[r.Seq]+1)*10)
		}
		seen[r.Seq]++
		if n++; n == 10 {
			if err := w1.Close(); err != nil {
				t.Errorf("closing a worker: %v", err)
			}
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Errorf("message %d: %d results, want 1", i, c)
		}
	}
	t.Logf("%d messages in %v, one of two workers closed after 10 results", len(in), time.Since(start))
}
