package baton_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/baton-go/baton"
)

// The examples of this file revise or read a message's slip from inside a stage: SlipFunc hands
// each step the slip of its message. Where a router gives the itinerary, the stages it leaves out
// run only when a stage asks for them.

// exFirst is a router that starts every message at stage name alone.
func exFirst[T any](name string) baton.Option {
	return baton.WithRouter(func(T) []string { return []string{name} })
}

// exFail is a stage whose steps all fail with msg.
func exFail(name, msg string) baton.Stage[string] {
	return baton.Func(name, func(context.Context, string) (string, error) { return "", errors.New(msg) })
}

// exTag is a stage that appends its name to the message.
func exTag(name string) baton.Stage[string] {
	return baton.Func(name, func(_ context.Context, s string) (string, error) { return s + " " + name, nil })
}

// Append adds stages at the end of the itinerary: here large orders also get a "review" step.
func ExampleSlip_Append() {
	stages := func() []baton.Stage[string] {
		order := baton.SlipFunc("order", func(_ context.Context, o string, s *baton.Slip) (string, error) {
			if strings.HasPrefix(o, "large") {
				return o, s.Append("review", "ship")
			}
			return o, s.Append("ship")
		})
		return []baton.Stage[string]{order, exTag("review"), exTag("ship")}
	}
	exEachStrategy(stages, []baton.Option{exFirst[string]("order")}, func(p *baton.Pipeline[string]) {
		for _, o := range []string{"small", "large"} {
			out, err := p.Process(context.Background(), o)
			fmt.Println(p.Strategy(), out, err)
		}
	})
	// Output:
	// orchestrated small ship <nil>
	// orchestrated large review ship <nil>
	// choreographed small ship <nil>
	// choreographed large review ship <nil>
}

// AppendOptional adds steps whose failure is tolerated, although their stage is not optional:
// the receipt that cannot be mailed does not fail the order.
func ExampleSlip_AppendOptional() {
	stages := func() []baton.Stage[string] {
		order := baton.SlipFunc("order", func(_ context.Context, o string, s *baton.Slip) (string, error) {
			return o + " ordered", s.AppendOptional("mail")
		})
		return []baton.Stage[string]{order, exFail("mail", "mail server down")}
	}
	exEachStrategy(stages, []baton.Option{exFirst[string]("order")}, func(p *baton.Pipeline[string]) {
		r := p.ProcessResult(context.Background(), "book")
		fmt.Println(p.Strategy(), r.Value, r.Err, exSteps(r.Log))
	})
	// Output:
	// orchestrated book ordered <nil> order:succeeded mail:tolerated
	// choreographed book ordered <nil> order:succeeded mail:tolerated
}

// InsertNext makes stages the next ones to run, before the rest of the itinerary: compressed
// files are unzipped before they are parsed. An unknown stage is an error matching
// ErrUnknownStage.
func ExampleSlip_InsertNext() {
	stages := func() []baton.Stage[string] {
		detect := baton.SlipFunc("detect", func(_ context.Context, f string, s *baton.Slip) (string, error) {
			if strings.HasSuffix(f, ".gz") {
				return f, s.InsertNext("unzip")
			}
			return f, nil
		})
		return []baton.Stage[string]{detect, exTag("parse"), exTag("unzip")}
	}
	// Every file takes detect, then parse; unzip runs only where detect inserts it.
	route := baton.WithRouter(func(string) []string { return []string{"detect", "parse"} })
	exEachStrategy(stages, []baton.Option{route}, func(p *baton.Pipeline[string]) {
		for _, f := range []string{"a.csv", "b.csv.gz"} {
			out, _ := p.Process(context.Background(), f)
			fmt.Println(p.Strategy(), out)
		}
	})
	var err error
	p, _ := baton.New([]baton.Stage[string]{baton.SlipFunc("s", func(_ context.Context, v string, s *baton.Slip) (string, error) {
		err = s.InsertNext("nowhere")
		return v, nil
	})})
	defer p.Close()
	p.Process(context.Background(), "x")
	fmt.Println(errors.Is(err, baton.ErrUnknownStage), err)
	// Output:
	// orchestrated a.csv parse
	// orchestrated b.csv.gz unzip parse
	// choreographed a.csv parse
	// choreographed b.csv.gz unzip parse
	// true baton: unknown stage "nowhere"
}

// InsertNextOptional inserts steps whose failure is tolerated: the message goes on to the rest of
// its itinerary, unchanged by the failed step.
func ExampleSlip_InsertNextOptional() {
	stages := func() []baton.Stage[string] {
		plan := baton.SlipFunc("plan", func(_ context.Context, s string, slip *baton.Slip) (string, error) {
			return s, slip.InsertNextOptional("thumbnail")
		})
		return []baton.Stage[string]{plan, exFail("thumbnail", "bad image"), exTag("store")}
	}
	route := baton.WithRouter(func(string) []string { return []string{"plan", "store"} })
	exEachStrategy(stages, []baton.Option{route}, func(p *baton.Pipeline[string]) {
		r := p.ProcessResult(context.Background(), "photo")
		fmt.Println(p.Strategy(), r.Value, r.Err, exSteps(r.Log))
	})
	// Output:
	// orchestrated photo store <nil> plan:succeeded thumbnail:tolerated store:succeeded
	// choreographed photo store <nil> plan:succeeded thumbnail:tolerated store:succeeded
}

// Replace replaces the rest of the itinerary: a cancelled order is refunded instead of packed
// and shipped.
func ExampleSlip_Replace() {
	stages := func() []baton.Stage[string] {
		check := baton.SlipFunc("check", func(_ context.Context, o string, s *baton.Slip) (string, error) {
			if strings.HasPrefix(o, "cancelled") {
				return o, s.Replace("refund")
			}
			return o, nil
		})
		return []baton.Stage[string]{check, exTag("pack"), exTag("ship"), exTag("refund")}
	}
	route := baton.WithRouter(func(string) []string { return []string{"check", "pack", "ship"} })
	exEachStrategy(stages, []baton.Option{route}, func(p *baton.Pipeline[string]) {
		for _, o := range []string{"paid", "cancelled"} {
			out, _ := p.Process(context.Background(), o)
			fmt.Println(p.Strategy(), out)
		}
	})
	// Output:
	// orchestrated paid pack ship
	// orchestrated cancelled refund
	// choreographed paid pack ship
	// choreographed cancelled refund
}

// Skip removes the next steps, and returns how many it removed (fewer when fewer remain).
func ExampleSlip_Skip() {
	stages := func() []baton.Stage[string] {
		cached := baton.SlipFunc("cache", func(_ context.Context, q string, s *baton.Slip) (string, error) {
			if q == "hit" {
				fmt.Println("  skipped", s.Skip(2), "then", s.Skip(5))
			}
			return q, nil
		})
		return []baton.Stage[string]{cached, exTag("query"), exTag("store"), exTag("reply")}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		fmt.Println(p.Strategy())
		for _, q := range []string{"miss", "hit"} {
			out, _ := p.Process(context.Background(), q)
			fmt.Println(" ", out)
		}
	})
	// Output:
	// orchestrated
	//   miss query store reply
	//   skipped 2 then 1
	//   hit
	// choreographed
	//   miss query store reply
	//   skipped 2 then 1
	//   hit
}

// End ends the itinerary after the current step: a message that is already valid completes
// there, its log showing only the steps it took.
func ExampleSlip_End() {
	stages := func() []baton.Stage[string] {
		validate := baton.SlipFunc("validate", func(_ context.Context, s string, slip *baton.Slip) (string, error) {
			if s == strings.ToLower(s) {
				slip.End()
			}
			return s, nil
		})
		return []baton.Stage[string]{validate, baton.Func("lower", func(_ context.Context, s string) (string, error) {
			return strings.ToLower(s), nil
		})}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		for _, s := range []string{"ok", "MIXED"} {
			r := p.ProcessResult(context.Background(), s)
			fmt.Println(p.Strategy(), r.Value, exSteps(r.Log))
		}
	})
	// Output:
	// orchestrated ok validate:succeeded
	// orchestrated mixed validate:succeeded lower:succeeded
	// choreographed ok validate:succeeded
	// choreographed mixed validate:succeeded lower:succeeded
}

// exTrace is a stage that prints the slip as it sees it: the stage running, the steps started,
// and the stages still to run after it.
func exTrace(name string) baton.Stage[string] {
	return baton.SlipFunc(name, func(_ context.Context, v string, s *baton.Slip) (string, error) {
		fmt.Printf("  %s: hop %d, remaining %v\n", s.Stage(), s.Hops(), s.Remaining())
		return v, nil
	})
}

// Remaining lists the stages still to run after the current one.
func ExampleSlip_Remaining() {
	stages := func() []baton.Stage[string] { return []baton.Stage[string]{exTrace("a"), exTrace("b"), exTrace("c")} }
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		fmt.Println(p.Strategy())
		p.Process(context.Background(), "x")
	})
	// Output:
	// orchestrated
	//   a: hop 1, remaining [b c]
	//   b: hop 2, remaining [c]
	//   c: hop 3, remaining []
	// choreographed
	//   a: hop 1, remaining [b c]
	//   b: hop 2, remaining [c]
	//   c: hop 3, remaining []
}

// Stage names the stage running now: one function shared by several stages can tell which it
// is running as.
func ExampleSlip_Stage() {
	stamp := func(_ context.Context, v string, s *baton.Slip) (string, error) { return v + "/" + s.Stage(), nil }
	stages := func() []baton.Stage[string] {
		return []baton.Stage[string]{baton.SlipFunc("eu", stamp), baton.SlipFunc("us", stamp)}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		out, _ := p.Process(context.Background(), "deploy")
		fmt.Println(p.Strategy(), out)
	})
	// Output:
	// orchestrated deploy/eu/us
	// choreographed deploy/eu/us
}

// Hops counts the steps the message has started, the current one included: a stage that
// revisits itself can use it to stop.
func ExampleSlip_Hops() {
	stages := func() []baton.Stage[int] {
		return []baton.Stage[int]{baton.SlipFunc("double", func(_ context.Context, n int, s *baton.Slip) (int, error) {
			if s.Hops() < 4 {
				return n * 2, s.InsertNext("double")
			}
			return n * 2, nil
		})}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[int]) {
		r := p.ProcessResult(context.Background(), 1)
		fmt.Println(p.Strategy(), r.Value, len(r.Log))
	})
	// Output:
	// orchestrated 16 4
	// choreographed 16 4
}

// Attempt is the number of the attempt running now: a stage retried by its policy can tell its
// first attempt from its retries.
func ExampleSlip_Attempt() {
	stages := func() []baton.Stage[string] {
		return []baton.Stage[string]{baton.SlipFunc("send", func(_ context.Context, m string, s *baton.Slip) (string, error) {
			fmt.Println("  attempt", s.Attempt())
			if s.Attempt() < 3 {
				return "", errors.New("timeout")
			}
			return m + " sent", nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3}))}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		fmt.Println(p.Strategy())
		out, err := p.Process(context.Background(), "mail")
		fmt.Println(" ", out, err)
	})
	// Output:
	// orchestrated
	//   attempt 1
	//   attempt 2
	//   attempt 3
	//   mail sent <nil>
	// choreographed
	//   attempt 1
	//   attempt 2
	//   attempt 3
	//   mail sent <nil>
}

// Log returns the steps the message took before the current one: here a last stage reports
// the steps that were tolerated on the way.
func ExampleSlip_Log() {
	stages := func() []baton.Stage[string] {
		report := baton.SlipFunc("report", func(_ context.Context, v string, s *baton.Slip) (string, error) {
			for _, rec := range s.Log() {
				if rec.Outcome == baton.Tolerated {
					v += fmt.Sprintf(" (%s: %v)", rec.Stage, rec.Err)
				}
			}
			return v, nil
		})
		spell := baton.Configure(exFail("spell", "dictionary missing"), baton.Optional())
		return []baton.Stage[string]{exTag("format"), spell, report}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		out, _ := p.Process(context.Background(), "doc")
		fmt.Println(p.Strategy(), out)
	})
	// Output:
	// orchestrated doc format (spell: dictionary missing)
	// choreographed doc format (spell: dictionary missing)
}
