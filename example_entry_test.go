package baton_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// exStrategies are the two strategies the examples of the example_entry files run under.
var exStrategies = []baton.Strategy{baton.Orchestrated, baton.Choreographed}

// exEachStrategy builds the pipeline of stages() and opts under each strategy, calls run with it
// and closes it: the examples use it to show that both strategies give the same output.
func exEachStrategy[T any](stages func() []baton.Stage[T], opts []baton.Option, run func(p *baton.Pipeline[T])) {
	for _, s := range exStrategies {
		p, err := baton.New(stages(), append([]baton.Option{baton.WithStrategy(s)}, opts...)...)
		if err != nil {
			panic(err)
		}
		run(p)
		p.Close()
	}
}

// exSteps renders a log as "stage:outcome" entries, with the attempts when there were several.
func exSteps(log []baton.StepRecord) string {
	var parts []string
	for _, r := range log {
		s := r.Stage + ":" + r.Outcome.String()
		if r.Attempts > 1 {
			s += fmt.Sprintf("×%d", r.Attempts)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// errEmpty is the error of the "check" stage of ExamplePipeline_Process.
var errEmpty = errors.New("empty input")

// Process runs one message through every stage and returns its final value, or the error of the
// step that failed (a *StepError naming the stage). Both strategies give the same answers.
func ExamplePipeline_Process() {
	check := func(_ context.Context, s string) (string, error) {
		if s == "" {
			return s, errEmpty
		}
		return s, nil
	}
	for _, strategy := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		p, err := baton.New([]baton.Stage[string]{baton.Func("check", check), baton.Func("upper", upper)},
			baton.WithStrategy(strategy))
		if err != nil {
			panic(err)
		}
		out, err := p.Process(context.Background(), "hello")
		fmt.Println(strategy, out, err)

		_, err = p.Process(context.Background(), "")
		var se *baton.StepError
		fmt.Println(strategy, errors.Is(err, errEmpty), errors.As(err, &se) && se.Stage == "check")
		p.Close()
	}
	// Output:
	// orchestrated HELLO <nil>
	// orchestrated true true
	// choreographed HELLO <nil>
	// choreographed true true
}

// Close waits for the messages in flight to finish before it returns; calls made after it fail
// with ErrClosed, and a second Close is harmless.
func ExamplePipeline_Close() {
	for _, strategy := range exStrategies {
		started := make(chan struct{})
		slow := baton.Func("slow", func(_ context.Context, s string) (string, error) {
			close(started)
			time.Sleep(10 * time.Millisecond)
			return s + " done", nil
		})
		p, _ := baton.New([]baton.Stage[string]{slow}, baton.WithStrategy(strategy))
		result := make(chan string, 1)
		go func() {
			out, err := p.Process(context.Background(), "job")
			result <- fmt.Sprint(out, " ", err)
		}()
		<-started
		fmt.Println(strategy, "close:", p.Close()) // waits for "job"
		fmt.Println(strategy, "in flight:", <-result)
		_, err := p.Process(context.Background(), "late")
		fmt.Println(strategy, "after close:", errors.Is(err, baton.ErrClosed), p.Close())
	}
	// Output:
	// orchestrated close: <nil>
	// orchestrated in flight: job done <nil>
	// orchestrated after close: true <nil>
	// choreographed close: <nil>
	// choreographed in flight: job done <nil>
	// choreographed after close: true <nil>
}

// WithStrategy chooses how the pipeline coordinates its stages; nothing else changes, so a
// program can take the strategy from its configuration.
func ExampleWithStrategy() {
	strategy, err := baton.ParseStrategy("choreographed") // from a flag or a config file, say
	if err != nil {
		panic(err)
	}
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper), baton.Func("exclaim", exclaim)},
		baton.WithStrategy(strategy))
	defer p.Close()
	out, err := p.Process(context.Background(), "go")
	fmt.Println(p.Strategy(), out, err)
	// Output: choreographed GO! <nil>
}

// ParseStrategy reads a strategy's name in any case, as a configuration would give it; any other
// name is an error that names it.
func ExampleParseStrategy() {
	for _, name := range []string{"orchestrated", "Choreographed", "relay"} {
		s, err := baton.ParseStrategy(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s)
	}
	// Output:
	// orchestrated
	// choreographed
	// baton: unknown strategy "relay": want "orchestrated" or "choreographed"
}

// Strategy reports the strategy the pipeline runs: Orchestrated by default.
func ExamplePipeline_Strategy() {
	stages := []baton.Stage[string]{baton.Func("upper", upper)}
	a, _ := baton.New(stages)
	defer a.Close()
	b, _ := baton.New(stages, baton.WithStrategy(baton.Choreographed))
	defer b.Close()
	fmt.Println(a.Strategy(), b.Strategy())
	// Output: orchestrated choreographed
}

// WithMaxInFlight bounds the messages in flight: at the bound, Process waits for room, and gives
// up with its context's error when the context ends first.
func ExampleWithMaxInFlight() {
	for _, strategy := range exStrategies {
		started, release := make(chan struct{}), make(chan struct{})
		hold := baton.Func("hold", func(_ context.Context, s string) (string, error) {
			close(started)
			<-release
			return s, nil
		})
		p, _ := baton.New([]baton.Stage[string]{hold}, baton.WithStrategy(strategy), baton.WithMaxInFlight(1))
		done := make(chan error, 1)
		go func() { _, err := p.Process(context.Background(), "first"); done <- err }()
		<-started

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := p.Process(ctx, "second") // no room until "first" finishes
		cancel()
		fmt.Println(strategy, p.Stats().InFlight, errors.Is(err, context.DeadlineExceeded))
		close(release)
		fmt.Println(strategy, <-done)
		p.Close()
	}
	// Output:
	// orchestrated 1 true
	// orchestrated <nil>
	// choreographed 1 true
	// choreographed <nil>
}

// WithMessageTimeout bounds each message end to end: the step running when the time is up sees
// its context cancelled, the message fails with ErrTimeout (and context.DeadlineExceeded), and
// its completed steps are compensated.
func ExampleWithMessageTimeout() {
	stages := func() []baton.Stage[string] {
		reserve := baton.Compensable(baton.Func("reserve", exclaim), func(_ context.Context, s string) error {
			fmt.Println("  releasing", s)
			return nil
		})
		wait := baton.Func("wait", func(ctx context.Context, s string) (string, error) {
			<-ctx.Done() // a reply that never comes
			return s, ctx.Err()
		})
		return []baton.Stage[string]{reserve, wait}
	}
	exEachStrategy(stages, []baton.Option{baton.WithMessageTimeout(200 * time.Millisecond)}, func(p *baton.Pipeline[string]) {
		fmt.Println(p.Strategy())
		r := p.ProcessResult(context.Background(), "seat")
		fmt.Println(" ", errors.Is(r.Err, baton.ErrTimeout), errors.Is(r.Err, context.DeadlineExceeded), exSteps(r.Log))
	})
	// Output:
	// orchestrated
	//   releasing seat!
	//   true true reserve:succeeded wait:failed reserve:compensated
	// choreographed
	//   releasing seat!
	//   true true reserve:succeeded wait:failed reserve:compensated
}

// WithName names the pipeline: its events carry the name, so one Observer can tell pipelines
// apart.
func ExampleWithName() {
	obs := baton.ObserverFunc(func(e baton.Event) {
		if e.Kind == baton.MessageFinished {
			fmt.Println(e.Pipeline, e.Message, e.Err)
		}
	})
	stages := []baton.Stage[string]{baton.Func("upper", upper)}
	orders, _ := baton.New(stages, baton.WithName("orders"), baton.WithObserver(obs))
	defer orders.Close()
	refunds, _ := baton.New(stages, baton.WithName("refunds"), baton.WithObserver(obs))
	defer refunds.Close()
	orders.Process(context.Background(), "a")
	refunds.Process(context.Background(), "b")
	// Output:
	// orders 1 <nil>
	// refunds 1 <nil>
}

// WithHopLimit caps the steps one message may take: a slip that keeps revisiting a stage fails
// with ErrHopLimit instead of running for ever.
func ExampleWithHopLimit() {
	stages := func() []baton.Stage[int] {
		return []baton.Stage[int]{baton.SlipFunc("again", func(_ context.Context, n int, s *baton.Slip) (int, error) {
			return n + 1, s.InsertNext("again") // forgets to stop
		})}
	}
	exEachStrategy(stages, []baton.Option{baton.WithHopLimit(5)}, func(p *baton.Pipeline[int]) {
		r := p.ProcessResult(context.Background(), 0)
		fmt.Println(p.Strategy(), r.Value, errors.Is(r.Err, baton.ErrHopLimit), len(r.Log))
	})
	// Output:
	// orchestrated 5 true 5
	// choreographed 5 true 5
}

// WithTiming times every step: each StepRecord gets its Start and Duration (zero without it), and
// Stats its latency quantiles.
func ExampleWithTiming() {
	nap := baton.Func("nap", func(_ context.Context, s string) (string, error) {
		time.Sleep(time.Millisecond)
		return s, nil
	})
	for _, opts := range [][]baton.Option{nil, {baton.WithTiming()}} {
		p, _ := baton.New([]baton.Stage[string]{nap}, opts...)
		rec := p.ProcessResult(context.Background(), "x").Log[0]
		fmt.Println(p.Stats().Timed, !rec.Start.IsZero(), rec.Duration >= time.Millisecond)
		p.Close()
	}
	// Output:
	// false false false
	// true true true
}

// WithDrivers (deprecated: set Workers instead) lets orchestrated streams run more steps of a
// stage without Workers at once; under choreography such a stage still has one goroutine.
func ExampleWithDrivers() {
	for _, strategy := range exStrategies {
		gate := exNewGate(4)
		p, _ := baton.New([]baton.Stage[int]{baton.Func("work", gate.step)},
			baton.WithStrategy(strategy), baton.WithDrivers(4))
		for range p.Run(context.Background(), exInts(4)) {
		}
		p.Close()
		fmt.Println(strategy, "peak", gate.peak())
	}
	// Output:
	// orchestrated peak 4
	// choreographed peak 1
}
