package baton_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// driverGoroutines counts the goroutines running (or parked in) an orchestrator driver or a
// choreographed stage worker.
func driverGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, ").driver(") || strings.Contains(g, "choreography[...]).work(") {
			n++
		}
	}
	return n
}

// A stage calling runtime.Goexit ends its driver (orchestration) or worker (choreography);
// exactly one must take its place. Each Goexit must leave the number of drivers unchanged: otherwise a stream whose
// stage exits now and then grows a driver (and a registered stash) per exit, without bound.
func TestReviewGoexitReplacesADriverOnce(t *testing.T) {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		t.Run(s.String(), func(t *testing.T) { testGoexitReplacesOnce(t, s) })
	}
}

func testGoexitReplacesOnce(t *testing.T, s baton.Strategy) {
	p, err := baton.New([]baton.Stage[int]{baton.Func("a", func(_ context.Context, v int) (int, error) {
		if v%2 == 1 {
			runtime.Goexit()
		}
		return v, nil
	})}, baton.WithStrategy(s), baton.WithMaxInFlight(64))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	run := func(from, to int) {
		seq := func(yield func(int) bool) {
			for i := from; i < to; i++ {
				if !yield(i) {
					return
				}
			}
		}
		n := 0
		for range p.Run(context.Background(), seq) {
			n++
		}
		if n != to-from {
			t.Fatalf("got %d results, want %d", n, to-from)
		}
	}
	settle := func() int {
		last, same := -1, 0
		for range 200 {
			n := driverGoroutines()
			if n == last {
				if same++; same == 10 {
					return n
				}
			} else {
				last, same = n, 0
			}
			time.Sleep(5 * time.Millisecond)
		}
		return last
	}
	run(0, 2) // drivers are started; one Goexit already
	before := settle()
	run(2, 42) // 20 Goexits
	after := settle()
	if before == 0 {
		t.Fatal("no driver or worker goroutine found: the stack pattern is stale")
	}
	if after != before {
		t.Fatalf("drivers: %d before 20 stage Goexits, %d after (want unchanged)", before, after)
	}
}
