package baton

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// The clock of untimed rates ticks only while messages finish: an idle pipeline has no timer
// armed, the first message after a pause arms it again and counts in its own second, and stop
// disarms it for good.
func TestRateClockTicksOnlyWhileBusy(t *testing.T) {
	for _, s := range []Strategy{Orchestrated, Choreographed} {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				id := Func("id", func(_ context.Context, v int) (int, error) { return v, nil })
				p, err := New([]Stage[int]{id}, WithStrategy(s))
				if err != nil {
					t.Fatal(err)
				}
				armed := func() bool {
					p.live.mu.Lock()
					defer p.live.mu.Unlock()
					return p.live.armed
				}
				start := time.Now()
				for range 3 {
					if _, err := p.Process(context.Background(), 1); err != nil {
						t.Fatal(err)
					}
				}
				if !armed() {
					t.Fatal("the first message arms the clock")
				}
				time.Sleep(10 * time.Second)
				if armed() {
					t.Fatal("still armed after 10s idle")
				}
				time.Sleep(time.Until(start.Add(10300 * time.Millisecond)))
				for range 2 {
					if _, err := p.Process(context.Background(), 1); err != nil {
						t.Fatal(err)
					}
				}
				if !armed() {
					t.Fatal("a message after a pause arms the clock again")
				}
				time.Sleep(time.Until(start.Add(10500 * time.Millisecond)))
				st := p.Stats()
				if got := [2]float64{st.Rate1s, st.Stages[0].Rate1s}; got != [2]float64{2, 2} {
					t.Errorf("Rate1s at 10.5s: got %v, want 2 (the messages of second 10)", got)
				}
				if err := p.Close(); err != nil {
					t.Fatal(err)
				}
				if armed() || !p.live.halted {
					t.Error("stop disarms the clock")
				}
			})
		})
	}
}

func TestInBubble(t *testing.T) {
	if inBubble(time.Now()) {
		t.Error("outside a bubble, time.Now has a monotonic reading")
	}
	synctest.Test(t, func(t *testing.T) {
		if !inBubble(time.Now()) {
			t.Error("inside a bubble, time.Now has none")
		}
	})
}
