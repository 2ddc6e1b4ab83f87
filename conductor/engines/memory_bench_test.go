package engines

import (
	"context"
	"testing"
	"time"
)

// BenchmarkJavaScriptLimits: one evaluation of a small script with the memory watchdog and the
// string guards (the defaults) beside the same without them (the floor), in the same run; it
// reports the ratio, for a script that cannot reach the guarded built-ins and one that can.
func BenchmarkJavaScriptLimits(b *testing.B) {
	for name, src := range map[string]string{"unguarded": `$.a + $.b`, "guarded": `$.l.join(',') + $.a`} {
		b.Run(name, func(b *testing.B) { benchmarkLimits(b, src) })
	}
}

func benchmarkLimits(b *testing.B, src string) {
	in := map[string]any{"a": 1.0, "b": 2.0, "l": []any{"x", "y"}}
	measure := func(js *JavaScript) float64 {
		p, err := js.CompileJavaScript(src)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		start := time.Now()
		for range b.N {
			if _, err := p.Run(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		return float64(time.Since(start).Nanoseconds()) / float64(b.N)
	}
	b.ReportAllocs()
	floor := measure(&JavaScript{MaxMemory: -1, MaxStringLength: -1})
	limited := measure(&JavaScript{})
	b.ReportMetric(floor, "floor-ns/eval")
	b.ReportMetric(limited, "limited-ns/eval")
	b.ReportMetric(limited/floor, "ratio")
}

// BenchmarkHeapSample is the cost of one watchdog sample of the heap.
func BenchmarkHeapSample(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		heapBytes()
	}
}
