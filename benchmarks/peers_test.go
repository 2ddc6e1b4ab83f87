package benchmarks_test

import (
	"fmt"
	"testing"

	"github.com/baton-go/baton/benchmarks"
)

// BenchmarkPeers runs the workload through every implementation:
//
//	go test -run '^$' -bench Peers -count 5
//
// cmd/peers runs the same and prints the table.
func BenchmarkPeers(b *testing.B) {
	for _, impl := range benchmarks.Impls {
		b.Run(impl.Name, func(b *testing.B) {
			for _, s := range []int{10, 100} {
				for _, w := range []string{"0", "200ns"} {
					b.Run(fmt.Sprintf("stages=%d/work=%s", s, w), func(b *testing.B) {
						work := benchmarks.WorkTarget
						if w == "0" {
							work = 0
						}
						benchmarks.Bench(b, impl, benchmarks.Stages(s, work))
					})
				}
			}
		})
	}
}

// TestImplsAgree checks, cheaply, that every implementation delivers every message's result.
func TestImplsAgree(t *testing.T) {
	for _, impl := range benchmarks.Impls {
		t.Run(impl.Name, func(t *testing.T) {
			t.Parallel()
			for _, n := range []int{0, 1, 300} {
				stages := benchmarks.Stages(3, 0)
				got, err := impl.Run(n, stages, func() {})
				if err != nil {
					t.Fatal(err)
				}
				if want := benchmarks.Want(n, stages); got != want {
					t.Fatalf("%d messages: sum %d, want %d", n, got, want)
				}
			}
		})
	}
}
