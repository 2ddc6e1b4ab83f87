package baton_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baton-go/baton"
)

// A stage that plans a message's next step can give that step a policy of its own: here the
// "fetch" stage makes one attempt by default, but the step "plan" inserts is retried three
// times. The step runs at "fetch": the log names the stage, with the step's attempts.
func ExampleSlip_InsertNextWith() {
	calls := 0
	fetch := baton.Func("fetch", func(_ context.Context, url string) (string, error) {
		if calls++; calls < 3 {
			return "", errors.New("flaky network")
		}
		return "<html>", nil
	})
	plan := baton.SlipFunc("plan", func(_ context.Context, url string, s *baton.Slip) (string, error) {
		return url, s.InsertNextWith(baton.StepPolicy{Retry: baton.FixedBackoff(3, time.Millisecond)}, "fetch")
	})
	p, _ := baton.New([]baton.Stage[string]{plan, fetch}, baton.WithRouter(func(string) []string { return []string{"plan"} }))
	defer p.Close()
	r := p.ProcessResult(context.Background(), "https://example.com")
	fmt.Println(r.Value, r.Err)
	for _, rec := range r.Log {
		fmt.Println(rec.Stage, rec.Attempts, rec.Outcome)
	}
	// Output:
	// <html> <nil>
	// plan 1 succeeded
	// fetch 3 succeeded
}

// AppendWith adds steps with a policy of their own at the end of the itinerary: here an
// optional step, whose failure is tolerated although its stage is not optional.
func ExampleSlip_AppendWith() {
	notify := baton.Func("notify", func(context.Context, string) (string, error) { return "", errors.New("mail server down") })
	order := baton.SlipFunc("order", func(_ context.Context, o string, s *baton.Slip) (string, error) {
		return o + " ordered", s.AppendWith(baton.StepPolicy{Optional: true}, "notify")
	})
	p, _ := baton.New([]baton.Stage[string]{order, notify}, baton.WithRouter(func(string) []string { return []string{"order"} }))
	defer p.Close()
	r := p.ProcessResult(context.Background(), "book")
	fmt.Println(r.Value, r.Err)
	fmt.Println(r.Log[1].Stage, r.Log[1].Outcome, r.Log[1].Err)
	// Output:
	// book ordered <nil>
	// notify tolerated mail server down
}

// WithItinerary plans each message's itinerary on its empty slip, so that its first steps too
// can have policies of their own: here each job carries the attempts it may make.
func ExampleWithItinerary() {
	type job struct {
		Name     string
		Attempts int
	}
	var tries int
	run := baton.Func("run", func(_ context.Context, j job) (job, error) {
		if tries++; tries < 2 {
			return j, errors.New("busy")
		}
		return j, nil
	})
	p, _ := baton.New([]baton.Stage[job]{run}, baton.WithItinerary(func(j job, s *baton.Slip) error {
		return s.AppendWith(baton.StepPolicy{Retry: baton.RetryPolicy{MaxAttempts: j.Attempts}}, "run")
	}))
	defer p.Close()
	r := p.ProcessResult(context.Background(), job{Name: "report", Attempts: 2})
	fmt.Println(r.Value.Name, r.Err, r.Log[0].Attempts)
	// Output: report <nil> 2
}

// StepPolicy is a step's whole policy; the zero value is one attempt, no timeout, not optional.
func ExampleStepPolicy() {
	pol := baton.StepPolicy{
		Retry:          baton.ExponentialBackoff(4, 10*time.Millisecond, time.Second),
		AttemptTimeout: 2 * time.Second,
		StepTimeout:    10 * time.Second,
		Optional:       true,
	}
	fmt.Println(pol.Retry.MaxAttempts, pol.Retry.Backoff(3, 0.5), pol.Optional)
	// Output: 4 40ms true
}

// A Tolerator chooses the value a tolerated step leaves: here a price lookup that fails falls
// back to a marked default, and the message goes on with it.
func ExampleTolerating() {
	type quote struct {
		Price    int
		Fallback bool
	}
	lookup := baton.Func("lookup", func(context.Context, quote) (quote, error) {
		return quote{}, errors.New("price service down")
	}, baton.Optional())
	lookup = baton.Tolerating(lookup, func(q quote, s *baton.Slip, err error) quote {
		return quote{Price: 100, Fallback: true}
	})
	total := baton.Func("total", func(_ context.Context, q quote) (quote, error) { q.Price += 5; return q, nil })
	p, _ := baton.New([]baton.Stage[quote]{lookup, total})
	defer p.Close()
	r := p.ProcessResult(context.Background(), quote{})
	fmt.Printf("%+v %v %v\n", r.Value, r.Err, r.Log[0].Outcome)
	// Output: {Price:105 Fallback:true} <nil> tolerated
}

// errNoSensor is the error of the stage in ExampleTolerator.
var errNoSensor = errors.New("sensor offline")

// reading is a stage that is its own Tolerator: a reading it cannot take is recorded as
// missing, with the reason, instead of leaving the message as it was.
type reading struct{}

type sample struct {
	Value   float64
	Missing string
}

func (reading) Name() string { return "read" }
func (reading) Process(context.Context, sample, *baton.Slip) (sample, error) {
	return sample{}, errNoSensor
}
func (reading) Tolerate(s sample, slip *baton.Slip, err error) sample {
	s.Missing = fmt.Sprintf("%s after %d attempt(s): %v", slip.Stage(), slip.Attempt(), err)
	return s
}

// A stage implementing Tolerator is asked for the value its tolerated steps leave.
func ExampleTolerator() {
	p, _ := baton.New([]baton.Stage[sample]{baton.Configure[sample](reading{}, baton.Optional())})
	defer p.Close()
	out, err := p.Process(context.Background(), sample{})
	fmt.Println(out.Missing, err)
	// Output: read after 1 attempt(s): sensor offline <nil>
}

// A revision given a policy that cannot be carried out fails with ErrInvalidPolicy and revises
// nothing.
func ExampleErrInvalidPolicy() {
	var got error
	s := baton.SlipFunc("s", func(_ context.Context, v int, slip *baton.Slip) (int, error) {
		got = slip.AppendWith(baton.StepPolicy{AttemptTimeout: -time.Second}, "s")
		return v, nil
	})
	p, _ := baton.New([]baton.Stage[int]{s})
	defer p.Close()
	r := p.ProcessResult(context.Background(), 1)
	fmt.Println(errors.Is(got, baton.ErrInvalidPolicy), len(r.Log))
	// Output: true 1
}
