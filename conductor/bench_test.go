package conductor

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/baton-go/baton"
)

// BenchmarkRun measures a run of a sequence of n SIMPLE tasks with an echo worker, each reading
// the previous one's output: the cost of the conductor layer per task (resolution, state,
// Baton step) with no work of its own.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{1, 10} {
		var tasks []string
		for i := range n {
			in := `{"x":"${workflow.input.x}"}`
			if i > 0 {
				in = fmt.Sprintf(`{"x":"${t%d.output.x}"}`, i-1)
			}
			tasks = append(tasks, fmt.Sprintf(`{"name":"work","taskReferenceName":"t%d","inputParameters":%s}`, i, in))
		}
		def := `{"name":"w","tasks":[` + strings.Join(tasks, ",") + `]}`
		for _, s := range strategies {
			b.Run(fmt.Sprintf("%v/tasks=%d", s, n), func(b *testing.B) {
				rt, _ := New(WithStrategy(s), WithWorker("work", echoWorker))
				w, err := rt.Load([]byte(def))
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				in := map[string]any{"x": "v"}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := w.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRunObserved runs 10 SIMPLE tasks unobserved, with an Observer that does nothing, and
// with timing alone: what observing costs the conductor layer (an observer's own work aside).
func BenchmarkRunObserved(b *testing.B) {
	var tasks []string
	for i := range 10 {
		tasks = append(tasks, fmt.Sprintf(`{"name":"work","taskReferenceName":"t%d"}`, i))
	}
	def := `{"name":"bench_observed","tasks":[` + strings.Join(tasks, ",") + `]}`
	for _, s := range strategies {
		for _, o := range []struct {
			name string
			opt  baton.Option
		}{
			{"none", nil},
			{"observer", baton.WithObserver(baton.ObserverFunc(func(baton.Event) {}))},
			{"timing", baton.WithTiming()},
		} {
			b.Run(fmt.Sprintf("%v/%s", s, o.name), func(b *testing.B) {
				opts := []Option{WithStrategy(s), WithWorker("work", echoWorker)}
				if o.opt != nil {
					opts = append(opts, WithPipelineOptions(o.opt))
				}
				rt, _ := New(opts...)
				w, err := rt.Load([]byte(def))
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				in := map[string]any{"x": "v"}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := w.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
