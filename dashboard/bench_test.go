package dashboard

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// The cost of the dashboard attached: a step of a four-stage pipeline with the dashboard's
// observer, beside the same pipeline with a no-op observer (which turns on timing alike, so
// the difference is the dashboard's own work), without observer, and the floors: a direct
// call through an interface for orchestration, a goroutine-and-channel pipeline for
// choreography. Each reports ns/step and allocs/step, and its ratio to the floor measured in
// the same run (x-floor).
//
//	go test -run '^$' -bench . -benchtime 200000x ./dashboard

const benchStages = 4

type stepper interface{ step(int) int }
type noop struct{}

func (noop) step(v int) int { return v + 1 }

// floors holds the ns/step of each strategy's floor, measured by its "floor" sub-benchmark,
// which runs before the others of its strategy.
var floors = map[baton.Strategy]float64{}

func runFloor(b *testing.B, s baton.Strategy) {
	start := time.Now()
	if s == baton.Orchestrated {
		stages := make([]stepper, benchStages)
		for i := range stages {
			stages[i] = noop{}
		}
		v := 0
		for i := 0; i < b.N; i++ {
			for _, st := range stages {
				v = st.step(v)
			}
		}
		sink = v
	} else {
		chans := make([]chan int, benchStages+1)
		for i := range chans {
			chans[i] = make(chan int, 64)
		}
		for i := range benchStages {
			go func() {
				for v := range chans[i] {
					chans[i+1] <- v + 1
				}
				close(chans[i+1])
			}()
		}
		go func() {
			for i := 0; i < b.N; i++ {
				chans[0] <- i
			}
			close(chans[0])
		}()
		for range chans[benchStages] {
		}
	}
	ns := float64(time.Since(start).Nanoseconds()) / float64(b.N) / benchStages
	floors[s] = ns
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ns, "ns/step")
}

var sink int

func BenchmarkObserverCost(b *testing.B) {
	for _, s := range strategies {
		b.Run(s.String()+"/floor", func(b *testing.B) { runFloor(b, s) })
		for _, mode := range []string{"none", "noop-observer", "dashboard"} {
			b.Run(s.String()+"/"+mode, func(b *testing.B) {
				d, _ := New()
				defer d.Close()
				stages := make([]baton.Stage[int], benchStages)
				for i := range stages {
					stages[i] = baton.Func("s"+strconv.Itoa(i), func(_ context.Context, v int) (int, error) { return v + 1, nil })
				}
				opts := []baton.Option{baton.WithName("bench"), baton.WithStrategy(s), baton.WithMaxInFlight(256),
					baton.WithKey(func(v int) string { return "k" })}
				switch mode {
				case "noop-observer":
					opts = append(opts, baton.WithObserver(baton.ObserverFunc(func(baton.Event) {})))
				case "dashboard":
					opts = append(opts, baton.WithObserver(d.Observer()))
				}
				p, err := baton.New(stages, opts...)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				d.AddPipeline("bench", p)
				floor := floors[s]
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				b.ResetTimer()
				start := time.Now()
				if s == baton.Orchestrated {
					ctx := context.Background()
					for i := 0; i < b.N; i++ {
						if _, err := p.Process(ctx, i); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					n := 0
					for r := range p.Run(context.Background(), func(yield func(int) bool) {
						for i := 0; i < b.N && yield(i); i++ {
						}
					}) {
						if r.Err != nil {
							b.Fatal(r.Err)
						}
						n++
					}
				}
				ns := float64(time.Since(start).Nanoseconds()) / float64(b.N) / benchStages
				b.StopTimer()
				runtime.ReadMemStats(&m1)
				b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N)/benchStages, "allocs/step")
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(ns, "ns/step")
				if floor > 0 {
					b.ReportMetric(ns/floor, "x-floor")
				} else {
					b.Log("no x-floor: run the strategy's floor sub-benchmark in the same run (-bench ObserverCost/" + s.String() + ")")
				}
			})
		}
	}
}

// The cost of the live updates: one snapshot (State) and its JSON, which each open page's
// stream makes every interval, for two four-stage pipelines with traffic and a workflow.
func BenchmarkStreamTick(b *testing.B) {
	d, _ := New()
	defer d.Close()
	for _, s := range strategies {
		p := shop(b, d, name(s), s)
		runAll(b, d, name(s), p, 200)
	}
	workflow(b, d, baton.Orchestrated, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(d.State()); err != nil {
			b.Fatal(err)
		}
	}
}
