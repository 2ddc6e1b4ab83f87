package baton_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"time"

	"github.com/baton-go/baton"
)

// exGate is a stage function that records how many of its steps run at once. Each step waits
// until n steps run together, or until a second after the first step began (one wait for the
// whole run, so a stage that can never run n at once costs a second, not a second per step),
// so that the peak it reports is the stage's real concurrency, not an accident of timing.
type exGate struct {
	n             int
	mu            sync.Mutex
	running, high int
	full          chan struct{} // closed once n steps have run together
	opened        bool
	giveUp        chan struct{} // closed a second after the first step began
}

func exNewGate(n int) *exGate { return &exGate{n: n, full: make(chan struct{})} }

func (g *exGate) step(_ context.Context, v int) (int, error) {
	g.mu.Lock()
	if g.giveUp == nil {
		g.giveUp = make(chan struct{})
		time.AfterFunc(time.Second, func() { close(g.giveUp) })
	}
	giveUp := g.giveUp
	g.running++
	g.high = max(g.high, g.running)
	if g.running == g.n && g.high == g.n && !g.opened {
		g.opened = true
		close(g.full)
	}
	g.mu.Unlock()
	select {
	case <-g.full:
	case <-giveUp:
	}
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	return v, nil
}

func (g *exGate) peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.high
}

// exInts yields 1, 2 … n.
func exInts(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 1; i <= n && yield(i); i++ {
		}
	}
}

// Func adapts a plain function to a stage; its options set the stage's policies. A function that
// returns an error fails the step: the message's error names the stage, and its value is the
// message as it was before the step.
func ExampleFunc() {
	parse := baton.Func("parse", func(_ context.Context, s string) (string, error) {
		n, err := strconv.Atoi(s)
		return strconv.Itoa(n * 2), err
	}, baton.Workers(4))
	p, _ := baton.New([]baton.Stage[string]{parse})
	defer p.Close()
	for _, in := range []string{"21", "x"} {
		out, err := p.Process(context.Background(), in)
		fmt.Printf("%q %v\n", out, err)
	}
	// Output:
	// "42" <nil>
	// "x" baton: stage "parse" failed after 1 attempt(s): strconv.Atoi: parsing "x": invalid syntax
}

// Workers(n) lets a stage run n steps at once, and no more, under either strategy: here six
// messages streamed through a stage with Workers(2) never run more than two at a time.
func ExampleWorkers() {
	for _, strategy := range exStrategies {
		gate := exNewGate(2)
		p, _ := baton.New([]baton.Stage[int]{baton.Func("work", gate.step, baton.Workers(2))},
			baton.WithStrategy(strategy))
		for range p.Run(context.Background(), exInts(6)) {
		}
		p.Close()
		fmt.Println(strategy, "peak", gate.peak())
	}
	// Output:
	// orchestrated peak 2
	// choreographed peak 2
}

// An Optional stage's failure does not fail the message: the step is logged as tolerated and the
// message goes on, unchanged, to its next step.
func ExampleOptional() {
	stages := func() []baton.Stage[string] {
		enrich := baton.Func("enrich", func(context.Context, string) (string, error) {
			return "", errors.New("geo service down")
		}, baton.Optional())
		return []baton.Stage[string]{enrich, baton.Func("upper", upper)}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		r := p.ProcessResult(context.Background(), "order")
		fmt.Println(p.Strategy(), r.Value, r.Err, exSteps(r.Log), r.Log[0].Err)
	})
	// Output:
	// orchestrated ORDER <nil> enrich:tolerated upper:succeeded geo service down
	// choreographed ORDER <nil> enrich:tolerated upper:succeeded geo service down
}

// errBusy is a transient error: the retry policy of ExampleRetry retries it, and nothing else.
var errBusy = errors.New("busy")

// Retry sets how often and how patiently a stage's steps are attempted. Its Retryable decides
// which errors are worth another attempt: here "busy" is retried until the third attempt
// succeeds, while "bad request" fails the step at once.
func ExampleRetry() {
	stages := func() []baton.Stage[string] {
		call := baton.SlipFunc("call", func(_ context.Context, req string, s *baton.Slip) (string, error) {
			if req == "bad" {
				return "", errors.New("bad request")
			}
			if s.Attempt() < 3 {
				return "", errBusy
			}
			return req + " ok", nil
		}, baton.Retry(baton.RetryPolicy{
			MaxAttempts:    5,
			InitialBackoff: time.Millisecond,
			Retryable:      func(err error) bool { return errors.Is(err, errBusy) },
		}))
		return []baton.Stage[string]{call}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		for _, req := range []string{"good", "bad"} {
			r := p.ProcessResult(context.Background(), req)
			fmt.Println(p.Strategy(), r.Value, r.Log[0].Attempts, r.Err)
		}
	})
	// Output:
	// orchestrated good ok 3 <nil>
	// orchestrated bad 1 baton: stage "call" failed after 1 attempt(s): bad request
	// choreographed good ok 3 <nil>
	// choreographed bad 1 baton: stage "call" failed after 1 attempt(s): bad request
}

// AttemptTimeout gives each attempt its own deadline: an attempt that hangs fails with ErrTimeout
// and is retried as the policy says. Here the first attempt hangs and the second answers.
func ExampleAttemptTimeout() {
	stages := func() []baton.Stage[string] {
		fetch := baton.SlipFunc("fetch", func(ctx context.Context, url string, s *baton.Slip) (string, error) {
			if s.Attempt() == 1 {
				<-ctx.Done() // a server that never answers
				fmt.Println("  attempt 1:", errors.Is(ctx.Err(), context.DeadlineExceeded))
				return "", ctx.Err()
			}
			return "<html>", nil
		}, baton.AttemptTimeout(10*time.Millisecond), baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
		return []baton.Stage[string]{fetch}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		fmt.Println(p.Strategy())
		r := p.ProcessResult(context.Background(), "https://example.com")
		fmt.Println(" ", r.Value, r.Err, exSteps(r.Log))
	})
	// Output:
	// orchestrated
	//   attempt 1: true
	//   <html> <nil> fetch:succeeded×2
	// choreographed
	//   attempt 1: true
	//   <html> <nil> fetch:succeeded×2
}

// StepTimeout bounds a whole step, its retries and backoff waits included: a stage that keeps
// failing stops being retried when the time is up, and the step fails with ErrTimeout.
func ExampleStepTimeout() {
	stages := func() []baton.Stage[string] {
		poll := baton.Func("poll", func(context.Context, string) (string, error) {
			return "", errors.New("not ready")
		}, baton.Retry(baton.FixedBackoff(1000, 5*time.Millisecond)), baton.StepTimeout(30*time.Millisecond))
		return []baton.Stage[string]{poll}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		_, err := p.Process(context.Background(), "job")
		var se *baton.StepError
		fmt.Println(p.Strategy(), errors.Is(err, baton.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
			errors.As(err, &se) && se.Attempts < 1000)
	})
	// Output:
	// orchestrated true true true
	// choreographed true true true
}

// exSchedule prints a retry policy's attempts and the waits between them.
func exSchedule(p baton.RetryPolicy) {
	fmt.Print(p.MaxAttempts, " attempts, waits:")
	for n := 1; n < p.MaxAttempts; n++ {
		fmt.Print(" ", p.Backoff(n, 0))
	}
	fmt.Println()
}

// ExponentialBackoff doubles the wait after each failed attempt, up to a cap.
func ExampleExponentialBackoff() {
	exSchedule(baton.ExponentialBackoff(6, 100*time.Millisecond, time.Second))
	// Output: 6 attempts, waits: 100ms 200ms 400ms 800ms 1s
}

// FixedBackoff waits the same time between attempts; pass it to Retry.
func ExampleFixedBackoff() {
	pol := baton.FixedBackoff(4, 250*time.Millisecond)
	exSchedule(pol)

	tries := 0
	flaky := baton.Func("flaky", func(_ context.Context, s string) (string, error) {
		if tries++; tries < 2 {
			return "", errors.New("try again")
		}
		return s, nil
	}, baton.Retry(baton.FixedBackoff(4, time.Millisecond)))
	p, _ := baton.New([]baton.Stage[string]{flaky})
	defer p.Close()
	r := p.ProcessResult(context.Background(), "x")
	fmt.Println(r.Err, exSteps(r.Log))
	// Output:
	// 4 attempts, waits: 250ms 250ms 250ms
	// <nil> flaky:succeeded×2
}

// LinearBackoff waits delay × n after the n-th failed attempt.
func ExampleLinearBackoff() {
	exSchedule(baton.LinearBackoff(5, 100*time.Millisecond))
	// Output: 5 attempts, waits: 100ms 200ms 300ms 400ms
}

// IsPermanent tells whether an error was marked with Permanent, through any wrapping: the error
// of a message whose stage returned a Permanent error still reports it.
func ExampleIsPermanent() {
	errInvalid := errors.New("invalid card number")
	pay := baton.Func("pay", func(context.Context, string) (string, error) {
		return "", baton.Permanent(errInvalid)
	}, baton.Retry(baton.FixedBackoff(5, time.Millisecond)))
	p, _ := baton.New([]baton.Stage[string]{pay})
	defer p.Close()
	_, err := p.Process(context.Background(), "order")
	fmt.Println(baton.IsPermanent(err), errors.Is(err, errInvalid))
	fmt.Println(baton.IsPermanent(errInvalid), baton.IsPermanent(fmt.Errorf("charging: %w", baton.Permanent(errInvalid))))
	// Output:
	// true true
	// false true
}

// WithCompensation (deprecated: use Compensable) gives a stage the function that undoes its work
// when a later step fails.
func ExampleWithCompensation() {
	reserve := baton.WithCompensation(baton.Func("reserve", exclaim), func(_ context.Context, s string) error {
		fmt.Println("releasing", s)
		return nil
	})
	fail := baton.Func("pay", func(context.Context, string) (string, error) { return "", errors.New("declined") })
	p, _ := baton.New([]baton.Stage[string]{reserve, fail})
	defer p.Close()
	r := p.ProcessResult(context.Background(), "seat")
	fmt.Println(exSteps(r.Log))
	// Output:
	// releasing seat!
	// reserve:succeeded pay:failed reserve:compensated
}

// CompensationRetry retries a compensation that fails: here the release fails once, and its
// second attempt succeeds.
func ExampleCompensationRetry() {
	stages := func() []baton.Stage[string] {
		tries := 0
		reserve := baton.Compensable(baton.Func("reserve", exclaim,
			baton.CompensationRetry(baton.FixedBackoff(3, time.Millisecond))),
			func(context.Context, string) error {
				if tries++; tries == 1 {
					return errors.New("inventory service busy")
				}
				return nil
			})
		fail := baton.Func("pay", func(context.Context, string) (string, error) { return "", errors.New("declined") })
		return []baton.Stage[string]{reserve, fail}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		r := p.ProcessResult(context.Background(), "seat")
		fmt.Println(p.Strategy(), exSteps(r.Compensation()), errors.Is(r.Err, baton.ErrCompensationFailed))
	})
	// Output:
	// orchestrated reserve:compensated×2 false
	// choreographed reserve:compensated×2 false
}

// CompensationTimeout bounds each attempt of a compensation: one that hangs fails with a
// timeout, and the message's error then matches ErrCompensationFailed.
func ExampleCompensationTimeout() {
	stages := func() []baton.Stage[string] {
		reserve := baton.Compensable(baton.Func("reserve", exclaim, baton.CompensationTimeout(10*time.Millisecond)),
			func(ctx context.Context, _ string) error {
				<-ctx.Done() // the inventory service never answers
				return ctx.Err()
			})
		fail := baton.Func("pay", func(context.Context, string) (string, error) { return "", errors.New("declined") })
		return []baton.Stage[string]{reserve, fail}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		r := p.ProcessResult(context.Background(), "seat")
		rec := r.Compensation()[0]
		fmt.Println(p.Strategy(), rec.Stage, rec.Outcome, errors.Is(rec.Err, context.DeadlineExceeded),
			errors.Is(r.Err, baton.ErrCompensationFailed))
	})
	// Output:
	// orchestrated reserve compensation failed true true
	// choreographed reserve compensation failed true true
}
