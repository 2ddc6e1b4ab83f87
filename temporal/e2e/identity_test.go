package e2e

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	var results []baton.Result[job]
	for _, p := range keyedPipelines(t, queue, stages) {
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

// TestKeyAsIdentityWhileRunning: the same key submitted again while its workflow runs — by a
// second pipeline (another process) and twice more by the first, all at once — starts no
// second run: the stage runs once, and every submission gets that run's result once it ends.
func TestKeyAsIdentityWhileRunning(t *testing.T) {
	queue := newQueue("identity-running")
	var runs atomic.Int64
	started, release := make(chan struct{}, 1), make(chan struct{})
	stages := func() []baton.Stage[job] {
		return []baton.Stage[job]{baton.Func("charge", func(_ context.Context, j job) (job, error) {
			runs.Add(1)
			started <- struct{}{}
			<-release
			j.Trail = append(j.Trail, "charged")
			return j, nil
		})}
	}
	pipes := keyedPipelines(t, queue, stages)
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the pipelines' Close, which waits for the step
	results := make(chan baton.Result[job], 4)
	submit := func(p *baton.Pipeline[job]) { results <- p.ProcessResult(context.Background(), job{N: 9}) }
	go submit(pipes[0])
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the step never started")
	}
	// The workflow runs, its step waiting: three more submissions of the key, at once, each
	// through a stream, whose Submit returns once the engine has sent the message (the server
	// has answered its workflow's start) — all while the step still waits.
	var wg sync.WaitGroup
	var streams []*baton.Stream[job]
	for _, p := range []*baton.Pipeline[job]{pipes[1], pipes[0], pipes[1]} {
		s := p.Stream(context.Background())
		streams = append(streams, s)
		wg.Go(func() {
			if err := s.Submit(context.Background(), job{N: 9}); err != nil {
				t.Error(err)
			}
			s.CloseSend()
		})
	}
	wg.Wait()
	free()
	for _, s := range streams {
		for r := range s.Results() {
			results <- r
		}
	}
	first := <-results
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	for range 3 {
		r := <-results
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		sameResult(t, "a submission while the key's workflow ran", r, first)
		if r.Key != first.Key {
			t.Errorf("key %q, want %q", r.Key, first.Key)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the stage ran %d times for a key submitted four times, want 1", n)
	}
	select {
	case <-started:
		t.Error("a second run of the step started")
	default:
	}
}

// keyedPipelines returns two pipelines of stages on queue, as two processes would build them,
// whose messages' keys are their workflows' IDs (WithKeyAsIdentity): the first with a worker,
// the second a client only. They are closed when the test ends.
func keyedPipelines(t *testing.T, queue string, stages func() []baton.Stage[job]) []*baton.Pipeline[job] {
	t.Helper()
	key := baton.WithKey(func(j job) string { return "order-" + strconv.Itoa(j.N) })
	var pipes []*baton.Pipeline[job]
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
		t.Cleanup(func() { p.Close() })
		pipes = append(pipes, p)
	}
	return pipes
}
