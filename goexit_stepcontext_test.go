package baton_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

type r2GoexitCtxObs struct{}

func (r2GoexitCtxObs) Observe(baton.Event) {}
func (r2GoexitCtxObs) StepContext(ctx context.Context, e baton.Event) context.Context {
	runtime.Goexit() // t.FailNow in a test's ContextObserver
	return ctx
}

// A ContextObserver's StepContext that calls runtime.Goexit is an observer's Goexit like
// Observe's: the message ends with ErrGoexit and nothing crashes. It runs in a child process,
// so that a crash fails the test instead of the test binary.
func TestStepContextGoexitIsContained(t *testing.T) {
	for _, s := range []string{"orchestrated", "choreographed"} {
		if os.Getenv("R2_CHILD") == s {
			st := baton.Orchestrated
			if s == "choreographed" {
				st = baton.Choreographed
			}
			p, err := baton.New([]baton.Stage[int]{baton.Func("a", r2id)}, baton.WithStrategy(st), baton.WithObserver(r2GoexitCtxObs{}))
			if err != nil {
				t.Fatal(err)
			}
			res := make(chan error, 1)
			go func() { _, err := p.Process(context.Background(), 1); res <- err }()
			select {
			case err := <-res:
				t.Logf("Process: %v", err)
			case <-time.After(time.Second):
			}
			p.Close()
			return
		}
	}
	if os.Getenv("R2_CHILD") != "" {
		return
	}
	for _, s := range []string{"orchestrated", "choreographed"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStepContextGoexitIsContained$", "-test.v")
		cmd.Env = append(os.Environ(), "R2_CHILD="+s)
		out, err := cmd.CombinedOutput()
		if err != nil {
			lines := string(out)
			if len(lines) > 600 {
				lines = lines[:600]
			}
			t.Errorf("%s: the process crashed (%v):\n%s", s, err, lines)
		}
	}
}
