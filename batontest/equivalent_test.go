package batontest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/batontest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB captures failures instead of failing the test.
type fakeTB struct {
	mu     sync.Mutex
	errs   []string
	fatals []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
}
func (f *fakeTB) text() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(append(f.errs, f.fatals...), "\n")
}

// The kit's own stages are unexported: a user's test has its own, as these are.

func with(m batontest.Msg, name string) batontest.Msg {
	m.Trace = slices.Concat(m.Trace, []string{name})
	return m
}

func tracer(name string) baton.Stage[batontest.Msg] {
	return baton.Func(name, func(_ context.Context, m batontest.Msg) (batontest.Msg, error) { return with(m, name), nil })
}

func failing(name string, err error) baton.Stage[batontest.Msg] {
	return baton.Func(name, func(_ context.Context, m batontest.Msg) (batontest.Msg, error) { return m, err })
}

// shop is a small saga: reserve (compensates), charge (fails for message 3), ship.
func shop(undo func(string) error) func() []baton.Stage[batontest.Msg] {
	return func() []baton.Stage[batontest.Msg] {
		comp := func(name string) baton.Stage[batontest.Msg] {
			return baton.Compensable(tracer(name), func(context.Context, batontest.Msg) error { return undo(name) })
		}
		charge := baton.Func("charge", func(_ context.Context, m batontest.Msg) (batontest.Msg, error) {
			if m.ID == 3 {
				return m, errors.New("card declined")
			}
			return with(m, "charge"), nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
		return []baton.Stage[batontest.Msg]{comp("reserve"), charge, tracer("ship")}
	}
}

func inputs(n int) []batontest.Msg {
	in := make([]batontest.Msg, n)
	for i := range in {
		in[i].ID = i
	}
	return in
}

func TestEquivalentPassesForEquivalentRuns(t *testing.T) {
	fake := &fakeTB{}
	ok := batontest.Equivalent(fake, batontest.Comparison[batontest.Msg]{
		Stages:  shop(func(string) error { return nil }),
		Options: []baton.Option{baton.WithMaxInFlight(2)},
		Inputs:  inputs(20),
	})
	assert.True(t, ok, fake.text())
	assert.Empty(t, fake.text())
}

// choreoOnly returns a Wrap that replaces stage name under choreography with alt(inner).
func choreoOnly(name string, alt func(inner baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg]) func(baton.Strategy, baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
	return func(s baton.Strategy, st baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
		if s != baton.Choreographed || st.Name() != name {
			return st
		}
		return alt(st)
	}
}

func TestEquivalentFindsPlantedDifferences(t *testing.T) {
	errSentinel := errors.New("my sentinel")
	cases := []struct {
		name  string
		wrap  func(inner baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg]
		stage string
		want  []string // in the failure message
	}{
		{"a value", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
			return baton.SlipFunc("ship", func(ctx context.Context, m batontest.Msg, s *baton.Slip) (batontest.Msg, error) {
				m, err := in.Process(ctx, m, s)
				if m.ID == 5 {
					m = with(m, "extra")
				}
				return m, err
			})
		}, "ship", []string{"differ on 1 of 8 message(s)", "message 5", "value:", "orchestrated:  {ID:5 Trace:[reserve charge ship]", "choreographed: {ID:5 Trace:[reserve charge ship extra]"}},
		{"an error and the log", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
			return baton.Compensable(baton.SlipFunc("ship", func(ctx context.Context, m batontest.Msg, s *baton.Slip) (batontest.Msg, error) {
				if m.ID == 6 {
					return m, errors.New("lost parcel")
				}
				return in.Process(ctx, m, s)
			}), func(context.Context, batontest.Msg) error { return nil })
		}, "ship", []string{"message 6", "error (only one failed)", `choreographed: baton: stage "ship" failed after 1 attempt(s): lost parcel`,
			"log:", "! ship succeeded ×1", "ship failed ×1: lost parcel", "! -", "reserve compensated ×1", "stats of stage \"ship\""}},
		{"only the error text", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
			return baton.Func("charge", func(_ context.Context, m batontest.Msg) (batontest.Msg, error) {
				if m.ID == 3 {
					return m, errors.New("card refused")
				}
				return with(m, "charge"), nil
			}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
		}, "charge", []string{"message 3", "(texts differ)", "card declined", "card refused"}},
		{"a sentinel", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
			return baton.Func("charge", func(_ context.Context, m batontest.Msg) (batontest.Msg, error) {
				if m.ID == 3 {
					return m, fmt.Errorf("card declined: %w", errSentinel)
				}
				return with(m, "charge"), nil
			}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
		}, "charge", []string{"message 3", `errors.Is(err, "my sentinel") is false for one and true for the other`}},
		{"the attempts", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
			return baton.Func("charge", func(_ context.Context, m batontest.Msg) (batontest.Msg, error) {
				if m.ID == 3 {
					return m, errors.New("card declined")
				}
				return with(m, "charge"), nil
			}) // the retry policy was lost
		}, "charge", []string{"message 3", `StepError at "charge" after 2 attempt(s) vs at "charge" after 1`, "! charge failed ×2: card declined", "charge failed ×1: card declined"}},
		{"the slip", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
			return baton.Compensable(baton.SlipFunc("reserve", func(ctx context.Context, m batontest.Msg, s *baton.Slip) (batontest.Msg, error) {
				if m.ID == 1 {
					s.Skip(1)
				}
				return in.Process(ctx, m, s)
			}), func(context.Context, batontest.Msg) error { return nil })
		}, "reserve", []string{"message 1", "! charge succeeded ×1", "ship succeeded ×1"}},
		{"compensation", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
			return baton.Compensable(in, func(context.Context, batontest.Msg) error { return errors.New("undo failed") })
		}, "reserve", []string{"message 3", "errors.Is(err, baton.ErrCompensationFailed) is false for one and true for the other",
			"! reserve compensated ×1", "reserve compensation failed ×1: undo failed", "compensation (CompensationError.Steps):"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeTB{}
			ok := batontest.Equivalent(fake, batontest.Comparison[batontest.Msg]{
				Stages:    shop(func(string) error { return nil }),
				Inputs:    inputs(8),
				Sentinels: []error{errSentinel},
				Wrap:      choreoOnly(tc.stage, tc.wrap),
			})
			require.False(t, ok)
			out := fake.text()
			t.Log(out)
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestEquivalentFindsStatefulStages(t *testing.T) {
	// A constructor that gives the second run different stages: state leaking between runs.
	runs := 0
	stages := func() []baton.Stage[batontest.Msg] {
		runs++
		name := "a"
		if runs == 2 {
			return []baton.Stage[batontest.Msg]{failing(name, errors.New("second run"))}
		}
		return []baton.Stage[batontest.Msg]{tracer(name)}
	}
	fake := &fakeTB{}
	require.False(t, batontest.Equivalent(fake, batontest.Comparison[batontest.Msg]{Stages: stages, Inputs: inputs(3)}))
	assert.Contains(t, fake.text(), "differ on 3 of 3 message(s)")
}

func TestEquivalentRules(t *testing.T) {
	type v struct {
		ID    int
		Stamp time.Time
	}
	stamped := func() []baton.Stage[v] {
		return []baton.Stage[v]{baton.Func("stamp", func(_ context.Context, x v) (v, error) {
			x.Stamp = time.Now()
			if x.ID == 1 {
				return x, fmt.Errorf("failed at %v", time.Now().UnixNano())
			}
			return x, nil
		})}
	}
	c := batontest.Comparison[v]{Stages: stamped, Inputs: []v{{ID: 0}, {ID: 1}}}
	fake := &fakeTB{}
	require.False(t, batontest.Equivalent(fake, c), "times differ")
	assert.Contains(t, fake.text(), "value:")
	assert.Contains(t, fake.text(), "(texts differ)")

	c.Equal = func(a, b v) bool { return a.ID == b.ID }
	c.IgnoreErrorText = true
	fake = &fakeTB{}
	assert.True(t, batontest.Equivalent(fake, c), fake.text())
}

func TestEquivalentReportsAHangWithStacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		fake := &fakeTB{}
		ok := batontest.Equivalent(fake, batontest.Comparison[batontest.Msg]{
			Stages: func() []baton.Stage[batontest.Msg] { return []baton.Stage[batontest.Msg]{tracer("a")} },
			Inputs: inputs(2),
			Wrap: choreoOnly("a", func(in baton.Stage[batontest.Msg]) baton.Stage[batontest.Msg] {
				return baton.Func("a", func(_ context.Context, m batontest.Msg) (batontest.Msg, error) { <-release; return m, nil })
			}),
			Timeout: time.Second,
		})
		require.False(t, ok)
		out := fake.text()
		assert.Contains(t, out, "choreographed: the run of 2 message(s) did not end within 1s (a hang); goroutines:")
		assert.Contains(t, out, "TestEquivalentReportsAHangWithStacks")
		close(release) // let the stuck run end, so the bubble can
	})
}

func TestEquivalentWithoutATimeLimit(t *testing.T) {
	// In a bubble, Timeout is virtual time: a run of two virtual minutes passes the default limit
	// of one without hanging; a negative Timeout sets no limit.
	synctest.Test(t, func(t *testing.T) {
		c := batontest.Comparison[batontest.Msg]{
			Stages: func() []baton.Stage[batontest.Msg] {
				return []baton.Stage[batontest.Msg]{baton.Func("slow", func(_ context.Context, m batontest.Msg) (batontest.Msg, error) {
					time.Sleep(2 * time.Minute)
					return m, nil
				})}
			},
			Inputs: inputs(1),
		}
		fake := &fakeTB{}
		require.False(t, batontest.Equivalent(fake, c))
		assert.Contains(t, fake.text(), "did not end within 1m0s (a hang)")
		synctest.Wait() // the stuck run ends after its two minutes
		time.Sleep(2 * time.Minute)

		c.Timeout = -1
		fake = &fakeTB{}
		assert.True(t, batontest.Equivalent(fake, c), fake.text())
	})
}

func TestPropertySmoke(t *testing.T) {
	batontest.Property(t, 3, batontest.GenConfig{Messages: 20})
	batontest.Property(t, 3, batontest.GenConfig{Messages: 20, Delays: true, Timeouts: true})
}
