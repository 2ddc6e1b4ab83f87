package e2e

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
)

// TestKeyAsIdentity: under WithKeyAsIdentity a message's key is its workflow's ID, so the same
// message submitted twice — here by two pipelines, as by two processes — runs once and both
// get that run's result.
func TestKeyAsIdentity(t *testing.T) {
	queue := newQueue("identity")
	var runs atomic.Int64
	stages := func() []baton.Stage[job] {
		return []baton.Stage[job]{baton.Func("charge", func(_ context.Context, j job) (job, error) {
			runs.Add(1)
			j.Trail = append(j.Trail, "charged")
			return j, nil
		})}
	}
	key := baton.WithKey(func(j job) string { return "order-" + strconv.Itoa(j.N) })
	var results []baton.Result[job]
	for i := range 2 {
		opts := []batontemporal.Option{batontemporal.WithTaskQueue(queue), batontemporal.WithKeyAsIdentity(),
			batontemporal.WithWorkflowIDPrefix(queue + "-")}
		if i == 1 {
			opts = append(opts, batontemporal.WithoutWorker())
		}
		eng, err := batontemporal.New(defaultClient(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		p, err := baton.New(stages(), baton.WithEngine(eng), key)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		r := p.ProcessResult(context.Background(), job{N: 7})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		results = append(results, r)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the stage ran %d times for one message submitted twice, want 1", n)
	}
	sameResult(t, "the second submission", results[1], results[0])
}
