package baton_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/baton-go/baton"
)

// traced is a stage that appends its name to the message and then, at a message's first step,
// calls revise (when not nil) with the message's number (its first element's length: see
// TestRevisionLeavesSharedItinerary) and its slip.
func traced(name string, revise func(*baton.Slip)) baton.Stage[[]string] {
	return baton.SlipFunc(name, func(_ context.Context, v []string, s *baton.Slip) ([]string, error) {
		first := len(v) == 0
		v = append(slices.Clip(v), name)
		if first && revise != nil {
			revise(s)
		}
		return v, nil
	})
}

// Messages on the default itinerary share the pipeline's copy of it until a stage revises
// theirs (Slip.share): a revision — in place (Skip), truncating (End, Replace), growing
// (Append, InsertNext) — changes that message's itinerary alone, never a later message's.
func TestRevisionLeavesSharedItinerary(t *testing.T) {
	revisions := []func(*baton.Slip) error{
		nil,
		func(s *baton.Slip) error { s.Skip(1); return nil },
		func(s *baton.Slip) error { s.End(); return nil },
		func(s *baton.Slip) error { return s.Replace("c") },
		func(s *baton.Slip) error { return s.Append("b") },
		func(s *baton.Slip) error { return s.InsertNext("c") },
		nil,
	}
	want := [][]string{
		{"a", "b", "c"}, {"a", "c"}, {"a"}, {"a", "c"}, {"a", "b", "c", "b"}, {"a", "c", "b", "c"}, {"a", "b", "c"},
	}
	for _, strat := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		t.Run(strat.String(), func(t *testing.T) {
			var current func(*baton.Slip) error // one message at a time: read by its first step only
			p, err := baton.New([]baton.Stage[[]string]{
				traced("a", func(s *baton.Slip) {
					if current != nil {
						if err := current(s); err != nil {
							t.Error(err)
						}
					}
				}),
				traced("b", nil),
				traced("c", nil),
			}, baton.WithStrategy(strat))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i := range want {
				current = revisions[i]
				got, err := p.Process(context.Background(), nil)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if !slices.Equal(got, want[i]) {
					t.Errorf("message %d visited %v, want %v", i, got, want[i])
				}
			}
		})
	}
}

// Close called from inside a plain stage — default policy, no Workers cap, whose steps the
// orchestrator runs in one loop — is refused with ErrReentrant rather than waiting for its own
// message (it would wait forever).
func TestCloseInsidePlainStage(t *testing.T) {
	for _, strat := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		t.Run(strat.String(), func(t *testing.T) {
			var p *baton.Pipeline[int]
			var closeErr error
			p, err := baton.New([]baton.Stage[int]{
				baton.Func("first", func(_ context.Context, v int) (int, error) { return v, nil }),
				baton.Func("closer", func(_ context.Context, v int) (int, error) {
					closeErr = p.Close()
					return v, nil
				}),
			}, baton.WithStrategy(strat))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Process(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(closeErr, baton.ErrReentrant) {
				t.Fatalf("Close inside a stage: %v, want ErrReentrant", closeErr)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
