package baton_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

func upper(_ context.Context, s string) (string, error)   { return strings.ToUpper(s), nil }
func exclaim(_ context.Context, s string) (string, error) { return s + "!", nil }

// A pipeline of two stages, run under each strategy.
func Example() {
	for _, strategy := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		p, err := baton.New([]baton.Stage[string]{
			baton.Func("upper", upper),
			baton.Func("exclaim", exclaim),
		}, baton.WithStrategy(strategy))
		if err != nil {
			panic(err)
		}
		out, err := p.Process(context.Background(), "hello")
		fmt.Println(strategy, out, err)
		p.Close()
	}
	// Output:
	// orchestrated HELLO! <nil>
	// choreographed HELLO! <nil>
}

// A Strategy is a command-line flag with flag.TextVar (it implements encoding.TextMarshaler and
// TextUnmarshaler); ParseStrategy reads one from a string.
func ExampleStrategy_UnmarshalText() {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var strategy baton.Strategy
	fs.TextVar(&strategy, "strategy", baton.Orchestrated, "orchestrated or choreographed")

	fmt.Println(fs.Parse([]string{"-strategy", "Choreographed"}), strategy)
	fmt.Println(fs.Parse([]string{"-strategy", "relay"}))
	s, err := baton.ParseStrategy("orchestrated")
	fmt.Println(s, err)
	// Output:
	// <nil> choreographed
	// invalid value "relay" for flag -strategy: baton: unknown strategy "relay": want "orchestrated" or "choreographed"
	// orchestrated <nil>
}

func ExampleNew() {
	_, err := baton.New([]baton.Stage[string]{baton.Func("a", upper), baton.Func("a", exclaim)})
	fmt.Println(errors.Is(err, baton.ErrInvalidPipeline))
	fmt.Println(err)
	// Output:
	// true
	// baton: invalid pipeline: stage name "a" used twice
}

func ExamplePipeline_Run() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper)},
		baton.WithStrategy(baton.Choreographed), baton.WithSubmissionOrder())
	defer p.Close()
	for r := range p.Run(context.Background(), slices.Values([]string{"a", "b", "c"})) {
		fmt.Println(r.Seq, r.Value, r.Err, len(r.Log))
	}
	// Output:
	// 0 A <nil> 1
	// 1 B <nil> 1
	// 2 C <nil> 1
}

func ExamplePipeline_Stream() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper)})
	defer p.Close()
	ctx := context.Background()
	s := p.Stream(ctx)
	go func() {
		defer s.CloseSend()
		for _, w := range []string{"x", "y"} {
			if err := s.Submit(ctx, w); err != nil {
				return
			}
		}
	}()
	var got []string
	for r := range s.Results() {
		got = append(got, r.Value)
	}
	slices.Sort(got) // completion order by default
	fmt.Println(got)
	// Output: [X Y]
}

func ExampleWithRouter() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper), baton.Func("exclaim", exclaim)},
		baton.WithRouter(func(s string) []string {
			if strings.HasPrefix(s, "!") {
				return []string{"exclaim", "exclaim"}
			}
			return []string{"upper"}
		}))
	defer p.Close()
	a, _ := p.Process(context.Background(), "quiet")
	b, _ := p.Process(context.Background(), "!loud")
	fmt.Println(a, b)
	// Output: QUIET !loud!!
}

// A router that sends some messages nowhere: by default such a message fails with
// ErrEmptyItinerary; with AllowEmptyItinerary it completes unchanged, with no step.
func ExampleAllowEmptyItinerary() {
	stages := []baton.Stage[string]{baton.Func("upper", upper)}
	route := func(s string) []string {
		if strings.HasPrefix(s, "#") {
			return nil // a comment: nothing to do
		}
		return []string{"upper"}
	}
	strict, _ := baton.New(stages, baton.WithRouter(route))
	defer strict.Close()
	_, err := strict.Process(context.Background(), "# note")
	fmt.Println(errors.Is(err, baton.ErrEmptyItinerary))

	lenient, _ := baton.New(stages, baton.WithRouter(route), baton.AllowEmptyItinerary(), baton.WithSubmissionOrder())
	defer lenient.Close()
	for r := range lenient.Run(context.Background(), slices.Values([]string{"# note", "hi"})) {
		fmt.Printf("%q %v %d step(s)\n", r.Value, r.Err, len(r.Log))
	}
	// Output:
	// true
	// "# note" <nil> 0 step(s)
	// "HI" <nil> 1 step(s)
}

func ExampleSlipFunc() {
	// A stage that revises the slip: short words skip the rest, long words get shouted twice.
	triage := baton.SlipFunc("triage", func(_ context.Context, s string, slip *baton.Slip) (string, error) {
		if len(s) < 3 {
			slip.End()
			return s, nil
		}
		return s, slip.InsertNext("exclaim")
	})
	p, _ := baton.New([]baton.Stage[string]{triage, baton.Func("upper", upper), baton.Func("exclaim", exclaim)})
	defer p.Close()
	for _, w := range []string{"hi", "hello"} {
		out, _ := p.Process(context.Background(), w)
		fmt.Println(out)
	}
	// Output:
	// hi
	// HELLO!!
}

func ExampleCompensable() {
	reserve := baton.Compensable(baton.Func("reserve", exclaim), func(_ context.Context, s string) error {
		fmt.Println("releasing", s)
		return nil
	})
	pay := baton.Func("pay", func(context.Context, string) (string, error) { return "", errors.New("card declined") })
	p, _ := baton.New([]baton.Stage[string]{reserve, pay})
	defer p.Close()
	_, err := p.Process(context.Background(), "seat")
	var se *baton.StepError
	fmt.Println(errors.As(err, &se), se.Stage)
	fmt.Println(err)
	// Output:
	// releasing seat!
	// true pay
	// baton: stage "pay" failed after 1 attempt(s): card declined (compensated 1 step(s))
}

func ExampleConfigure() {
	tries := 0
	flaky := baton.Func("flaky", func(_ context.Context, s string) (string, error) {
		if tries++; tries < 3 {
			return "", errors.New("try again")
		}
		return s + " ok", nil
	})
	p, _ := baton.New([]baton.Stage[string]{
		baton.Configure(flaky, baton.Retry(baton.ExponentialBackoff(5, time.Millisecond, 10*time.Millisecond))),
	})
	defer p.Close()
	out, err := p.Process(context.Background(), "third time")
	fmt.Println(out, err, tries)
	// Output: third time ok <nil> 3
}

func ExamplePermanent() {
	p, _ := baton.New([]baton.Stage[string]{
		baton.Func("parse", func(context.Context, string) (string, error) {
			return "", baton.Permanent(errors.New("not a number"))
		}, baton.Retry(baton.FixedBackoff(10, time.Second))),
	})
	defer p.Close()
	_, err := p.Process(context.Background(), "x")
	fmt.Println(err)
	// Output: baton: stage "parse" failed after 1 attempt(s): not a number
}

func ExampleRetryPolicy_Backoff() {
	pol := baton.ExponentialBackoff(5, 100*time.Millisecond, 300*time.Millisecond)
	for n := 1; n < 5; n++ {
		fmt.Print(pol.Backoff(n, 0), " ")
	}
	fmt.Println()
	// Output: 100ms 200ms 300ms 300ms
}

func ExampleFailFast() {
	p, _ := baton.New([]baton.Stage[int]{
		baton.Func("check", func(ctx context.Context, n int) (int, error) {
			if n == 0 {
				return n, errors.New("zero")
			}
			return n, nil
		}),
	}, baton.WithSubmissionOrder(), baton.WithMaxInFlight(1))
	defer p.Close()
	for r := range p.Run(context.Background(), slices.Values([]int{1, 0, 2}), baton.FailFast()) {
		fmt.Println(r.Value, r.Err != nil)
	}
	// Output:
	// 1 false
	// 0 true
	// 2 true
}

func ExamplePipeline_Stats() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper)}, baton.WithTiming())
	defer p.Close()
	for range 10 {
		p.Process(context.Background(), "x")
	}
	st := p.Stats()
	fmt.Println(st.Stages[0].Name, st.Stages[0].Processed, st.InFlight, st.Stages[0].Latency.P99 > 0)
	// Output: upper 10 0 true
}

func ExamplePipeline_Shutdown() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper)})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fmt.Println(p.Shutdown(ctx)) // nothing in flight: returns at once
	_, err := p.Process(context.Background(), "late")
	fmt.Println(errors.Is(err, baton.ErrClosed))
	// Output:
	// <nil>
	// true
}

func ExampleWithObserver() {
	obs := baton.ObserverFunc(func(e baton.Event) {
		if e.Kind == baton.StepEnded {
			fmt.Println(e.Message, e.Stage, e.Outcome)
		}
	})
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper), baton.Func("exclaim", exclaim)},
		baton.WithObserver(obs))
	defer p.Close()
	p.Process(context.Background(), "hi")
	// Output:
	// 1 upper succeeded
	// 1 exclaim succeeded
}

func ExampleSlogObserver() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelInfo,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { // drop times for a stable output
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper)}, baton.WithObserver(baton.SlogObserver(logger)))
	defer p.Close()
	p.Process(context.Background(), "hi")
	// Output: level=INFO msg="baton: message finished" strategy=orchestrated message=1
}
