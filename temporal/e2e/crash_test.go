package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
)

// job is the message of the crash tests: its trail is every step it took.
type job struct {
	N     int
	Trail []string
}

var errDeclined = errors.New("payment declined")

// crashPipelines are the pipelines a worker process can host, by name; dir is where their
// stages leave a file each time they run, so the test sees what ran where.
var crashPipelines = map[string]func(dir string) []baton.Stage[job]{
	// midstep: "slow" takes seconds, long enough to kill its worker while it runs.
	"midstep": func(dir string) []baton.Stage[job] {
		return []baton.Stage[job]{
			baton.Compensable(baton.Func("reserve", trail("reserve", dir, 0)), undo("reserve", dir, 0)),
			baton.Func("slow", trail("slow", dir, 3*time.Second)),
			baton.Func("ship", trail("ship", dir, 0)),
		}
	},
	// midcomp: "pay" fails, and undoing "reserve" takes seconds.
	"midcomp": func(dir string) []baton.Stage[job] {
		return []baton.Stage[job]{
			baton.Compensable(baton.Func("reserve", trail("reserve", dir, 0)), undo("reserve", dir, 3*time.Second)),
			baton.Func("pay", func(context.Context, job) (job, error) { return job{}, baton.Permanent(errDeclined) }),
		}
	},
}

// trail is a step that leaves a file named after the stage, the message and the process, takes
// d (honouring its context), and appends its stage to the message's trail.
func trail(stage, dir string, d time.Duration) func(context.Context, job) (job, error) {
	return func(ctx context.Context, j job) (job, error) {
		mark(dir, stage, j.N)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return j, ctx.Err()
		}
		j.Trail = append(slices.Clip(j.Trail), stage)
		return j, nil
	}
}

// undo is a compensation that leaves a file and takes d.
func undo(stage, dir string, d time.Duration) func(context.Context, job) error {
	return func(ctx context.Context, j job) error {
		mark(dir, "undo-"+stage, j.N)
		time.Sleep(d) // a compensation's context is never cancelled
		return nil
	}
}

func mark(dir, what string, n int) {
	if dir == "" {
		return
	}
	name := fmt.Sprintf("%s.%d.%d.%d", what, n, os.Getpid(), time.Now().UnixNano())
	_ = os.WriteFile(filepath.Join(dir, name), nil, 0o644)
}

// marks returns the processes (pids) that left a file for what of message n, sorted.
func marks(t *testing.T, dir, what string, n int) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, fmt.Sprintf("%s.%d.*", what, n)))
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, f := range files {
		var pid, ns int64
		if _, err := fmt.Sscanf(filepath.Base(f)[len(what)+len(fmt.Sprint(n))+2:], "%d.%d", &pid, &ns); err == nil {
			pids = append(pids, fmt.Sprint(pid))
		}
	}
	return pids
}

// waitMark waits until a file for what of message n exists.
func waitMark(t *testing.T, dir, what string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(marks(t, dir, what, n)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s of message %d never started", what, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashRun submits msgs to a worker process hosting pipeline name, kills that worker with
// SIGKILL once what has started for message 0, starts another, and returns the results (one
// per message, by Seq) with the in-process orchestrated strategy's results of the same stages.
func crashRun(t *testing.T, name, what string, msgs []job, copts ...batontemporal.Option) (got, want []baton.Result[job], dir string) {
	dir = t.TempDir()
	queue := newQueue(name)
	first := startWorker(t, queue, name, dir)

	eng, err := batontemporal.New(defaultClient(), append([]batontemporal.Option{batontemporal.WithTaskQueue(queue), batontemporal.WithoutWorker()}, copts...)...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := baton.New(crashPipelines[name](""), baton.WithEngine(eng), baton.WithSentinels(errDeclined))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results := make(chan []baton.Result[job], 1)
	go func() {
		out := make([]baton.Result[job], len(msgs))
		for r := range p.Run(ctx, slices.Values(msgs)) {
			out[r.Seq] = r
		}
		results <- out
	}()
	waitMark(t, dir, what, msgs[0].N)
	kill(t, first)
	startWorker(t, queue, name, dir)
	got = <-results

	local, err := baton.New(crashPipelines[name](""), baton.WithSentinels(errDeclined))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	want = make([]baton.Result[job], len(msgs))
	for r := range local.Run(context.Background(), slices.Values(msgs)) {
		want[r.Seq] = r
	}
	return got, want, dir
}

// TestKilledMidStep: a worker killed by SIGKILL while a step runs; another worker runs that
// step again and the message completes, once, with the in-process result.
func TestKilledMidStep(t *testing.T) {
	msgs := []job{{N: 1}, {N: 2}, {N: 3}}
	got, want, dir := crashRun(t, "midstep", "slow", msgs)
	for i := range msgs {
		sameResult(t, fmt.Sprintf("message %d", i), got[i], want[i])
	}
	if ran := marks(t, dir, "slow", 1); len(slices.Compact(ran)) < 2 {
		t.Errorf("the killed step ran in processes %v: want it run again by another worker", ran)
	}
}

// TestKilledMidCompensation: a worker killed by SIGKILL while a compensation runs; another
// worker runs it again, and the message ends, once, compensated, with its original error.
func TestKilledMidCompensation(t *testing.T) {
	msgs := []job{{N: 1}}
	got, want, dir := crashRun(t, "midcomp", "undo-reserve", msgs)
	sameResult(t, "message 0", got[0], want[0])
	if !errors.Is(got[0].Err, errDeclined) {
		t.Errorf("error %v does not match the stage's sentinel", got[0].Err)
	}
	if ran := marks(t, dir, "undo-reserve", 1); len(slices.Compact(ran)) < 2 {
		t.Errorf("the killed compensation ran in processes %v: want it run again by another worker", ran)
	}
}

// TestKilledMidLocalStep: the same with WithLocalSteps, where the step runs inside the workflow
// task of the killed worker: the server notices it at the workflow task's timeout (10 s), and
// another worker runs the step again.
func TestKilledMidLocalStep(t *testing.T) {
	msgs := []job{{N: 1}, {N: 2}}
	got, want, dir := crashRun(t, "midstep", "slow", msgs, batontemporal.WithLocalSteps())
	for i := range msgs {
		sameResult(t, fmt.Sprintf("message %d", i), got[i], want[i])
	}
	if ran := marks(t, dir, "slow", 1); len(slices.Compact(ran)) < 2 {
		t.Errorf("the killed step ran in processes %v: want it run again by another worker", ran)
	}
}
