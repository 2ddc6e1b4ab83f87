// Command compare runs one order-processing pipeline under both strategies on the same orders,
// checks that every order comes out the same, and prints the time per message of each.
//
// Orders take different routes: digital orders skip packing and shipping, international orders
// visit customs, and the fraud check revises a risky order's slip on the fly to insert a manual
// review. Run it with:
//
//	go run ./examples/compare [-orders 2000]
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"reflect"
	"time"

	"github.com/baton-go/baton"
)

// Order is the message: each stage fills in its part.
type Order struct {
	ID       int
	Country  string
	Digital  bool
	Amount   int // cents
	Tax      int
	Duty     int
	Risk     int
	Reviewed bool
	Parcel   string
	Steps    int
}

func main() {
	n := flag.Int("orders", 2000, "orders to process")
	flag.Parse()
	orders := makeOrders(*n)

	results := map[baton.Strategy][]baton.Result[Order]{}
	elapsed := map[baton.Strategy]time.Duration{}
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		p, err := baton.New(stages(), baton.WithStrategy(s), baton.WithRouter(route), baton.WithSubmissionOrder())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		start := time.Now()
		for r := range p.Run(context.Background(), func(yield func(Order) bool) {
			for _, o := range orders {
				if !yield(o) {
					return
				}
			}
		}) {
			results[s] = append(results[s], r)
		}
		elapsed[s] = time.Since(start)
		p.Close()
	}

	same := 0
	for i := range orders {
		a, b := results[baton.Orchestrated][i], results[baton.Choreographed][i]
		if reflect.DeepEqual(a.Value, b.Value) && fmt.Sprint(a.Err) == fmt.Sprint(b.Err) && reflect.DeepEqual(stepsOf(a.Log), stepsOf(b.Log)) {
			same++
		} else {
			fmt.Printf("order %d differs:\n  orchestrated:  %+v %v %v\n  choreographed: %+v %v %v\n",
				i, a.Value, a.Err, stepsOf(a.Log), b.Value, b.Err, stepsOf(b.Log))
		}
	}
	failed, shown := 0, -1
	for i, r := range results[baton.Orchestrated] {
		if r.Err != nil {
			failed++
			if shown < 0 && len(r.Compensation()) > 0 {
				shown = i
			}
		}
	}
	fmt.Printf("%d orders, %d identical under both strategies (values, errors, slip logs); %d failed under each\n\n", len(orders), same, failed)
	fmt.Println("some routes:")
	for _, i := range []int{0, 1, 2, shown} {
		if i < 0 {
			continue
		}
		r := results[baton.Orchestrated][i]
		fmt.Printf("  order %d (%s, digital=%v): %v", i, orders[i].Country, orders[i].Digital, stepsOf(r.Log))
		if r.Err != nil {
			fmt.Printf("\n    error: %v", r.Err)
		}
		fmt.Println()
	}
	fmt.Printf("\n%-14s %12s %14s\n", "strategy", "total", "per message")
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		fmt.Printf("%-14s %12v %14v\n", s, elapsed[s].Round(time.Microsecond), (elapsed[s] / time.Duration(len(orders))).Round(time.Nanosecond))
	}
	if same != len(orders) {
		os.Exit(1)
	}
}

func stepsOf(log []baton.StepRecord) []string {
	var out []string
	for _, r := range log {
		s := r.Stage
		if r.Outcome != baton.Succeeded {
			s += "(" + r.Outcome.String() + ")"
		}
		out = append(out, s)
	}
	return out
}

func makeOrders(n int) []Order {
	countries := []string{"NL", "NL", "DE", "US", "JP", "NL", "FR"}
	out := make([]Order, n)
	for i := range out {
		out[i] = Order{ID: i, Country: countries[i%len(countries)], Digital: i%3 == 0, Amount: 500 + (i*7919)%20000}
	}
	return out
}

// route is the Router: each order's own itinerary.
func route(o Order) []string {
	r := []string{"validate", "price", "fraud"}
	if !o.Digital {
		r = append(r, "pack")
	}
	if o.Country != "NL" {
		r = append(r, "customs")
	}
	if !o.Digital {
		r = append(r, "ship")
	}
	return append(r, "notify")
}

// work burns a little CPU, standing in for real computation.
func work(seed int, rounds int) int {
	h := fnv.New32a()
	for i := range rounds {
		h.Write([]byte{byte(seed), byte(i)})
	}
	return int(h.Sum32())
}

func stages() []baton.Stage[Order] {
	step := func(name string, f func(Order) (Order, error)) baton.Stage[Order] {
		return baton.Func(name, func(_ context.Context, o Order) (Order, error) {
			o, err := f(o)
			o.Steps++
			return o, err
		})
	}
	return []baton.Stage[Order]{
		step("validate", func(o Order) (Order, error) {
			if o.Amount <= 0 {
				return o, baton.Permanent(fmt.Errorf("order %d: no amount", o.ID))
			}
			return o, nil
		}),
		step("price", func(o Order) (Order, error) {
			o.Tax = o.Amount * 21 / 100
			_ = work(o.ID, 20)
			return o, nil
		}),
		baton.SlipFunc("fraud", func(_ context.Context, o Order, slip *baton.Slip) (Order, error) {
			o.Risk = work(o.ID, 40) % 100
			o.Steps++
			if o.Risk > 90 { // risky: a human looks at it before anything else happens
				return o, slip.InsertNext("review")
			}
			return o, nil
		}),
		step("review", func(o Order) (Order, error) { o.Reviewed = true; return o, nil }),
		step("customs", func(o Order) (Order, error) {
			o.Duty = o.Amount * 5 / 100
			if o.Country == "JP" && o.Amount > 19000 {
				return o, fmt.Errorf("order %d: customs refused", o.ID)
			}
			return o, nil
		}),
		baton.Compensable(step("pack", func(o Order) (Order, error) {
			o.Parcel = fmt.Sprintf("P%06d", o.ID)
			return o, nil
		}), func(context.Context, Order) error { return nil }),
		step("ship", func(o Order) (Order, error) { _ = work(o.ID, 30); return o, nil }),
		step("notify", func(o Order) (Order, error) { return o, nil }),
	}
}
