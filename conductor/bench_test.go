package conductor

import (
	"context"
	"fmt"
	"strings"
	"testing"
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
