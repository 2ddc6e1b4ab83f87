package baton_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/baton-go/baton"
)

// WithSubmissionOrder makes streams deliver results in the order their messages were submitted:
// here the first message is the slowest, yet its result comes first, under both strategies.
func ExampleWithSubmissionOrder() {
	stages := func() []baton.Stage[int] {
		return []baton.Stage[int]{baton.Func("sleep", func(_ context.Context, ms int) (int, error) {
			time.Sleep(time.Duration(ms) * time.Millisecond)
			return ms, nil
		}, baton.Workers(3))}
	}
	exEachStrategy(stages, []baton.Option{baton.WithSubmissionOrder()}, func(p *baton.Pipeline[int]) {
		fmt.Print(p.Strategy())
		for r := range p.Run(context.Background(), slices.Values([]int{30, 1, 10})) {
			fmt.Print(" ", r.Seq, ":", r.Value)
		}
		fmt.Println()
	})
	// Output:
	// orchestrated 0:30 1:1 2:10
	// choreographed 0:30 1:1 2:10
}

// Compensation returns the compensation records of a result's log, in the order they ran: the
// reverse of the order the steps completed.
func ExampleResult_Compensation() {
	undo := func(_ context.Context, s string) error { return nil }
	stages := func() []baton.Stage[string] {
		return []baton.Stage[string]{
			baton.Compensable(baton.Func("reserve", exclaim), undo),
			baton.Compensable(baton.Func("charge", exclaim), undo),
			baton.Func("ship", func(context.Context, string) (string, error) { return "", errors.New("no courier") }),
		}
	}
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		r := p.ProcessResult(context.Background(), "order")
		fmt.Println(p.Strategy(), exSteps(r.Compensation()))
		fmt.Println(p.Strategy(), exSteps(r.Log))
	})
	// Output:
	// orchestrated charge:compensated reserve:compensated
	// orchestrated reserve:succeeded charge:succeeded ship:failed charge:compensated reserve:compensated
	// choreographed charge:compensated reserve:compensated
	// choreographed reserve:succeeded charge:succeeded ship:failed charge:compensated reserve:compensated
}

// Submit may be called from many goroutines at once; after CloseSend it fails with
// ErrStreamClosed. Results yields one result per accepted message.
func ExampleStream_Submit() {
	stages := func() []baton.Stage[string] { return []baton.Stage[string]{baton.Func("upper", upper)} }
	exEachStrategy(stages, nil, func(p *baton.Pipeline[string]) {
		ctx := context.Background()
		s := p.Stream(ctx)
		done := make(chan struct{})
		for _, words := range [][]string{{"a", "b"}, {"c", "d"}} {
			go func() {
				defer func() { done <- struct{}{} }()
				for _, w := range words {
					if err := s.Submit(ctx, w); err != nil {
						fmt.Println(err)
					}
				}
			}()
		}
		go func() {
			<-done
			<-done
			s.CloseSend()
		}()
		var got []string
		for r := range s.Results() {
			got = append(got, r.Value)
		}
		slices.Sort(got) // completion order
		fmt.Println(p.Strategy(), got, errors.Is(s.Submit(ctx, "late"), baton.ErrStreamClosed))
	})
	// Output:
	// orchestrated [A B C D] true
	// choreographed [A B C D] true
}

// CloseSend ends submission: Results then ends once every accepted message has its result.
// Calling it again does nothing.
func ExampleStream_CloseSend() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("upper", upper)}, baton.WithSubmissionOrder())
	defer p.Close()
	ctx := context.Background()
	s := p.Stream(ctx)
	s.Submit(ctx, "one")
	s.Submit(ctx, "two")
	s.CloseSend()
	s.CloseSend()
	for r := range s.Results() { // ends after "TWO"
		fmt.Println(r.Seq, r.Value)
	}
	fmt.Println("done")
	// Output:
	// 0 ONE
	// 1 TWO
	// done
}

// Results yields the stream's results as they come. Breaking out of the loop abandons the
// stream: the rest of its messages are waited for and discarded, and later Submits fail with
// ErrStreamClosed.
func ExampleStream_Results() {
	stages := func() []baton.Stage[string] { return []baton.Stage[string]{baton.Func("upper", upper)} }
	exEachStrategy(stages, []baton.Option{baton.WithSubmissionOrder()}, func(p *baton.Pipeline[string]) {
		ctx := context.Background()
		s := p.Stream(ctx)
		for _, w := range []string{"first", "second", "third"} {
			s.Submit(ctx, w)
		}
		for r := range s.Results() {
			fmt.Println(p.Strategy(), r.Value, r.Err)
			break // only the first is wanted
		}
		fmt.Println(p.Strategy(), errors.Is(s.Submit(ctx, "fourth"), baton.ErrStreamClosed), p.Stats().InFlight)
	})
	// Output:
	// orchestrated FIRST <nil>
	// orchestrated true 0
	// choreographed FIRST <nil>
	// choreographed true 0
}
