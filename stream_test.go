package baton_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Run whose context ends while another stream's unread results hold every in-flight slot
// still returns, each of its messages reported refused: refusals wait on their own stream's
// consumer, not on the pipeline.
func TestRunReturnsWhenAnotherStreamHoldsTheSlots(t *testing.T) {
	for _, s := range strategies {
		for _, closed := range []bool{false, true} {
			t.Run(s.String(), func(t *testing.T) {
				p, err := baton.New([]baton.Stage[msg]{tracer("a")}, baton.WithStrategy(s), baton.WithMaxInFlight(1))
				require.NoError(t, err)
				other := p.Stream(context.Background())
				require.NoError(t, other.Submit(t.Context(), msg{ID: 99}))
				for p.Stats().InFlight != 0 { // finished, its result unread: it holds the one slot
					time.Sleep(time.Millisecond)
				}
				if closed {
					go p.Close()
				}
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
				defer cancel()
				done := make(chan []error)
				go func() {
					var errs []error
					for r := range p.Run(ctx, slices.Values([]msg{{ID: 1}, {ID: 2}})) {
						errs = append(errs, r.Err)
					}
					done <- errs
				}()
				select {
				case errs := <-done:
					require.Len(t, errs, 2, "one result per message")
					for _, err := range errs {
						assert.Error(t, err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("Run did not return after its context ended")
				}
				other.CloseSend()
				for r := range other.Results() {
					require.NoError(t, r.Err)
				}
				require.NoError(t, p.Close())
			})
		}
	}
}
