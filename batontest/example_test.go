package batontest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/batontest"
)

// Order is the message of a user's own pipeline.
type Order struct {
	ID     int
	Amount int
	Status string
}

var errFraud = errors.New("fraud suspected")

// orderStages builds fresh stages for each run: a stage may keep state (here, a count of
// reservations), so each strategy must get its own.
func orderStages() []baton.Stage[Order] {
	var reserved atomic.Int64 // stages run concurrently: state must be safe for it
	return []baton.Stage[Order]{
		baton.Compensable(baton.Func("reserve", func(_ context.Context, o Order) (Order, error) {
			reserved.Add(1)
			o.Status = "reserved"
			return o, nil
		}), func(context.Context, Order) error { reserved.Add(-1); return nil }),
		baton.SlipFunc("check", func(_ context.Context, o Order, slip *baton.Slip) (Order, error) {
			if o.Amount > 1000 {
				return o, fmt.Errorf("order %d: %w", o.ID, errFraud)
			}
			if o.Amount > 100 {
				return o, slip.InsertNext("review") // big orders get a review step
			}
			return o, nil
		}),
		baton.Func("review", func(_ context.Context, o Order) (Order, error) { o.Status += ", reviewed"; return o, nil }),
		baton.Func("charge", func(_ context.Context, o Order) (Order, error) { o.Status += ", charged"; return o, nil },
			baton.Retry(baton.RetryPolicy{MaxAttempts: 3})),
	}
}

// A unit test of a user's own pipeline: both strategies must agree on every order, whatever
// their completion order.
func TestOrdersUnderBothStrategies(t *testing.T) {
	batontest.Equivalent(t, batontest.Comparison[Order]{
		Stages: orderStages,
		// Every message visits every stage by default; "review" is only for slips that ask.
		Options: []baton.Option{
			baton.WithRouter(func(Order) []string { return []string{"reserve", "check", "charge"} }),
			baton.WithMaxInFlight(4),
		},
		Inputs:    []Order{{ID: 1, Amount: 10}, {ID: 2, Amount: 500}, {ID: 3, Amount: 5000}},
		Sentinels: []error{errFraud},
	})
}

// printTB prints what a test would report.
type printTB struct{}

func (printTB) Helper()                           {}
func (printTB) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (printTB) Fatalf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func Example() {
	// In a test, pass t; here a TB that prints shows what passes and what fails.
	ok := batontest.Equivalent(printTB{}, batontest.Comparison[Order]{
		Stages: orderStages,
		Options: []baton.Option{
			baton.WithRouter(func(Order) []string { return []string{"reserve", "check", "charge"} }),
		},
		Inputs: []Order{{ID: 1, Amount: 10}, {ID: 2, Amount: 500}, {ID: 3, Amount: 5000}},
	})
	fmt.Println("equivalent:", ok)

	// A stage that behaves differently under one strategy is caught, message by message.
	var out strings.Builder
	ok = batontest.Equivalent(tbTo(&out), batontest.Comparison[Order]{
		Stages: orderStages,
		Inputs: []Order{{ID: 1, Amount: 10}},
		Wrap: func(s baton.Strategy, st baton.Stage[Order]) baton.Stage[Order] {
			if s == baton.Choreographed && st.Name() == "charge" {
				return baton.Func("charge", func(_ context.Context, o Order) (Order, error) { o.Status += ", charged twice"; return o, nil })
			}
			return st
		},
	})
	fmt.Println("equivalent:", ok)
	fmt.Println(out.String())
	// Output:
	// equivalent: true
	// equivalent: false
	// batontest.Equivalent: orchestrated and choreographed differ on 1 of 1 message(s)
	// message 0 (input {ID:1 Amount:10 Status:}):
	//   value:
	//     orchestrated:  {ID:1 Amount:10 Status:reserved, reviewed, charged}
	//     choreographed: {ID:1 Amount:10 Status:reserved, reviewed, charged twice}
}

type writerTB struct{ w *strings.Builder }

func tbTo(w *strings.Builder) writerTB               { return writerTB{w} }
func (writerTB) Helper()                             {}
func (t writerTB) Errorf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }
func (t writerTB) Fatalf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }
