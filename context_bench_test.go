package baton_test

// What a Process call's context costs (the package doc, "Cost"): a message under
// context.Background runs under the pipeline's own context at no cost; a cancellable context
// gets a child linked to Shutdown's abort signal.
//
//	go test -run '^$' -bench '^BenchmarkProcessContext$' -count 5 .

import (
	"context"
	"testing"
)

func BenchmarkProcessContext(b *testing.B) {
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"background", context.Background()},
		{"values", context.WithValue(context.Background(), ctxKey{}, 1)},
		{"cancellable", cancellable},
	} {
		for _, s := range strategies {
			b.Run(tc.name+"/"+s.String(), func(b *testing.B) {
				p := newBenchPipeline(b, s, benchStages(1, 0))
				b.ReportAllocs()
				for i := range b.N {
					if _, err := p.Process(tc.ctx, uint64(i)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type ctxKey struct{}
