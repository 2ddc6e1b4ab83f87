package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/baton-go/baton/conductor/engines"
	"github.com/baton-go/baton/dashboard"
)

//go:embed fulfilment.json
var fulfilment []byte

// Order is the pipelines' message.
type Order struct {
	ID     int
	Amount int
	Paid   bool
}

func (o Order) String() string {
	return fmt.Sprintf("order %d: %d €, paid %t", o.ID, o.Amount, o.Paid)
}

var (
	errOutOfStock = errors.New("warehouse busy, try again")
	errDeclined   = errors.New("card declined")
)

// demo is the pipelines, the workflow and their dashboard.
type demo struct {
	dash    *dashboard.Dashboard
	pipes   map[string]*baton.Pipeline[Order]
	flow    *conductor.Workflow
	actions bool
	wg      sync.WaitGroup
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func jitter(ms int) time.Duration { return time.Duration(ms/2+rand.IntN(ms)) * time.Millisecond }

// stages are the order pipeline's: reserve fails now and then and is retried, charge declines
// some payments (reserve is then compensated), ship is slow and runs four at a time.
func stages() []baton.Stage[Order] {
	return []baton.Stage[Order]{
		baton.Func("validate", func(ctx context.Context, o Order) (Order, error) {
			return o, pause(ctx, jitter(2))
		}),
		baton.Compensable(baton.Func("reserve", func(ctx context.Context, o Order) (Order, error) {
			if rand.IntN(5) == 0 {
				return o, errOutOfStock
			}
			return o, pause(ctx, jitter(4))
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 3, InitialBackoff: 2 * time.Millisecond})),
			func(ctx context.Context, o Order) error { return pause(ctx, jitter(2)) }),
		baton.Func("charge", func(ctx context.Context, o Order) (Order, error) {
			if o.Amount > 900 {
				return o, fmt.Errorf("%w: %d € over the limit", errDeclined, o.Amount)
			}
			o.Paid = true
			return o, pause(ctx, jitter(3))
		}),
		baton.Func("ship", func(ctx context.Context, o Order) (Order, error) {
			return o, pause(ctx, jitter(20))
		}, baton.Workers(4)),
	}
}

func newDemo(actions bool) (*demo, error) {
	var opts []dashboard.Option
	if actions {
		opts = append(opts, dashboard.WithActions())
	}
	d, err := dashboard.New(append(opts, dashboard.WithTitle("Baton demo"))...)
	if err != nil {
		return nil, err
	}
	dm := &demo{dash: d, pipes: map[string]*baton.Pipeline[Order]{}, actions: actions}
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		name := "orders/" + s.String()
		p, err := baton.New(stages(), baton.WithName(name), baton.WithStrategy(s), baton.WithObserver(d.Observer()),
			baton.WithMaxInFlight(32), baton.WithKey(func(o Order) string { return fmt.Sprintf("ord-%05d", o.ID) }))
		if err != nil {
			dm.close()
			return nil, err
		}
		dm.pipes[name] = p
		if err := d.AddPipeline(name, p); err != nil {
			dm.close()
			return nil, err
		}
	}
	worker := func(fail int, ms int, out func(in map[string]any) map[string]any) conductor.Worker {
		return func(ctx context.Context, in map[string]any) (map[string]any, error) {
			if fail > 0 && rand.IntN(fail) == 0 {
				return nil, errOutOfStock
			}
			if err := pause(ctx, jitter(ms)); err != nil {
				return nil, err
			}
			return out(in), nil
		}
	}
	rt, err := conductor.New(append(engines.Options(),
		conductor.WithPipelineOptions(baton.WithObserver(d.Observer())),
		conductor.WithWorker("check_stock", worker(4, 10, func(in map[string]any) map[string]any { return map[string]any{"inStock": true} })),
		conductor.WithWorker("book_courier", worker(0, 30, func(map[string]any) map[string]any { return map[string]any{"courier": "bike-7"} })),
		conductor.WithWorker("book_truck", worker(0, 40, func(map[string]any) map[string]any { return map[string]any{"truck": "T-12"} })),
		conductor.WithWorker("pack", worker(0, 30, func(in map[string]any) map[string]any { return map[string]any{"parcels": in["items"]} })),
		conductor.WithWorker("invoice", worker(12, 20, func(in map[string]any) map[string]any {
			return map[string]any{"number": fmt.Sprintf("INV-%v", in["order"])}
		})),
		conductor.WithWorker("print_label", worker(0, 10, func(map[string]any) map[string]any { return map[string]any{"printed": true} })),
	)...)
	if err != nil {
		dm.close()
		return nil, err
	}
	if dm.flow, err = rt.Load(fulfilment); err != nil {
		dm.close()
		return nil, err
	}
	if err := d.AddWorkflow(dm.flow); err != nil {
		dm.close()
		return nil, err
	}
	return dm, nil
}

// traffic feeds the pipelines and the workflow until ctx is done.
func (dm *demo) traffic(ctx context.Context) {
	for name, p := range dm.pipes {
		dm.wg.Go(func() {
			orders := func(yield func(Order) bool) {
				for id := 1; ctx.Err() == nil; id++ {
					if pause(ctx, jitter(25)) != nil || !yield(Order{ID: id, Amount: 10 + rand.IntN(1000)}) {
						return
					}
				}
			}
			for r := range p.Run(ctx, orders) {
				dashboard.RecordResult(dm.dash, name, r)
			}
		})
	}
	dm.wg.Go(func() {
		modes := []string{"express", "standard", "standard", "manual"}
		for n := 1; pause(ctx, jitter(400)) == nil; n++ {
			h, err := dm.dash.Start(ctx, dm.flow, map[string]any{"order": n, "items": 1 + rand.IntN(4), "mode": modes[n%len(modes)]},
				conductor.WithWorkflowID(fmt.Sprintf("fulfil-%04d", n)))
			if err != nil {
				return
			}
			if !dm.actions { // nobody approves from the page: approve after a while
				dm.wg.Go(func() {
					if pause(ctx, 5*time.Second) == nil {
						_ = h.CompleteTask(ctx, "approve", map[string]any{"approvedBy": "auto"})
					}
					h.Wait(context.WithoutCancel(ctx))
				})
			}
		}
	})
}

func (dm *demo) close() {
	dm.wg.Wait()
	for _, p := range dm.pipes {
		p.Close()
	}
	if dm.flow != nil {
		dm.flow.Close()
	}
	dm.dash.Close()
}
