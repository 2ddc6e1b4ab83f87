package baton_test

// Randomized fault injection, both strategies compared with each other. Every other behaviour
// test lives in batontest's conformance suite (see pipeline_test.go); this one stays here because
// it does not fit either of batontest's shapes:
//
//   - the conformance suite runs one strategy at a time, and this test's oracle is the other
//     strategy: nothing here says what a message's outcome should be, only that both agree;
//   - batontest.Comparison (Equivalent, Property) streams all inputs through one Run with one
//     context, while this test calls Process concurrently, one context per message, and lets a
//     stage cancel its own message's context mid-journey — per-message cancellation that
//     Comparison cannot express without a wider public API.
//
// It runs on a virtual clock (testing/synctest): delays, backoff and attempt timeouts are exact.

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultMsg is the message of the fault-injection test.
type faultMsg struct {
	ID    int
	Trace string
}

// faults decides, from a seed, what every (message, stage, hop, attempt) does — so both
// strategies face exactly the same faults.
type faults struct {
	seed    maphash.Seed
	rounds  uint64
	stages  int
	mu      sync.Mutex
	undone  map[int][]string
	tries   map[[2]int]int
	cancels sync.Map // message ID -> context.CancelFunc
}

func (f *faults) roll(parts ...any) uint64 {
	return maphash.Comparable(f.seed, fmt.Sprint(f.rounds, parts))
}

func (f *faults) stage(i int, r *rand.Rand) baton.Stage[faultMsg] {
	name := fmt.Sprintf("s%d", i)
	opts := []baton.StageOption{
		baton.Retry(baton.RetryPolicy{MaxAttempts: 1 + r.IntN(3), InitialBackoff: time.Duration(r.IntN(20)) * time.Millisecond, Multiplier: 2}),
	}
	if r.IntN(2) == 0 {
		opts = append(opts, baton.AttemptTimeout(50*time.Millisecond))
	}
	if r.IntN(5) == 0 {
		opts = append(opts, baton.Optional())
	}
	if r.IntN(3) == 0 {
		opts = append(opts, baton.Workers(1+r.IntN(3)))
	}
	var st baton.Stage[faultMsg] = baton.SlipFunc(name, func(ctx context.Context, m faultMsg, slip *baton.Slip) (faultMsg, error) {
		f.mu.Lock()
		key := [2]int{m.ID, slip.Hops()}
		f.tries[key]++ // the attempt number of this step: a message's steps run one at a time
		attempt := f.tries[key]
		f.mu.Unlock()
		h := f.roll(m.ID, name, slip.Hops(), len(slip.Log()), attempt)
		switch h % 20 {
		case 0, 1:
			return m, errors.New(name + " failed")
		case 2:
			return m, baton.Permanent(errors.New(name + " refused"))
		case 3:
			panic(name + " panicked")
		case 4, 5:
			// Well inside or well beyond an attempt timeout of 50ms, never at it: a tie between
			// two timers at one virtual instant could go either way.
			d := time.Duration(h>>8%40) * time.Millisecond
			if h>>16%2 == 0 {
				d += 60 * time.Millisecond
			}
			time.Sleep(d)
		case 6:
			if c, ok := f.cancels.Load(m.ID); ok {
				c.(context.CancelFunc)()
			}
		case 7, 8, 9:
			if slip.Hops() < 12 {
				if err := slip.InsertNext(fmt.Sprintf("s%d", h>>8%uint64(f.stages))); err != nil {
					return m, err
				}
			}
		case 10:
			slip.Skip(1)
		}
		if err := ctx.Err(); err != nil {
			return m, err
		}
		m.Trace += name + " "
		return m, nil
	}, opts...)
	if r.IntN(2) == 0 {
		st = baton.Compensable(st, func(_ context.Context, m faultMsg) error {
			f.mu.Lock()
			f.undone[m.ID] = append(f.undone[m.ID], name)
			f.mu.Unlock()
			if f.roll("undo", m.ID, name)%4 == 0 {
				return errors.New("undo failed")
			}
			return nil
		})
	}
	return st
}

// outcome describes a message's end, independent of timing and strategy.
func (f *faults) outcome(m faultMsg, err error) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var se *baton.StepError
	var ce *baton.CompensationError
	desc := fmt.Sprintf("trace=[%s] undone=%v", strings.TrimSpace(m.Trace), f.undone[m.ID])
	if errors.As(err, &se) {
		desc += fmt.Sprintf(" failed at %s after %d", se.Stage, se.Attempts)
	}
	if errors.As(err, &ce) {
		desc += " " + fmt.Sprint(logOf(ce.Steps))
	}
	for _, s := range []error{baton.ErrTimeout, baton.ErrPanic, baton.ErrHopLimit, baton.ErrUnknownStage, context.Canceled, baton.ErrCompensationFailed} {
		if errors.Is(err, s) {
			desc += " is(" + s.Error() + ")"
		}
	}
	if err != nil && se == nil {
		desc += " err=" + err.Error()
	}
	return desc
}

func TestFaultInjectionBothStrategiesAgree(t *testing.T) {
	const nStages, nMsgs = 6, 400
	for round := range uint64(3) {
		seed := maphash.MakeSeed()
		r := rand.New(rand.NewPCG(round, 7))
		inflight := 1 + r.IntN(3)
		routes := make([][]string, nMsgs)
		for i := range routes {
			for range 1 + r.IntN(5) {
				routes[i] = append(routes[i], fmt.Sprintf("s%d", r.IntN(nStages)))
			}
		}
		var outcomes [2][]string
		for si, s := range strategies {
			t.Run(fmt.Sprintf("round%d/%v", round, s), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := &faults{seed: seed, rounds: round, stages: nStages, undone: map[int][]string{}, tries: map[[2]int]int{}}
					sr := rand.New(rand.NewPCG(round, 11)) // same stage policies for both strategies
					var stages []baton.Stage[faultMsg]
					for i := range nStages {
						stages = append(stages, f.stage(i, sr))
					}
					p, err := baton.New(stages, baton.WithStrategy(s), baton.WithMaxInFlight(inflight), baton.WithHopLimit(10),
						baton.WithRouter(func(m faultMsg) []string { return routes[m.ID] }))
					require.NoError(t, err)
					out := make([]string, nMsgs)
					var wg sync.WaitGroup
					for i := range nMsgs {
						wg.Go(func() {
							ctx, cancel := context.WithCancel(t.Context())
							defer cancel()
							f.cancels.Store(i, cancel)
							v, err := p.Process(ctx, faultMsg{ID: i})
							out[i] = f.outcome(v, err)
						})
					}
					wg.Wait()
					require.NoError(t, p.Close())
					assert.Zero(t, p.Stats().InFlight)
					outcomes[si] = out
				})
			})
		}
		kinds := map[string]int{}
		for i := range nMsgs {
			require.Equal(t, outcomes[0][i], outcomes[1][i], "round %d message %d (route %v)", round, i, routes[i])
			for _, k := range []string{"is(", "failed at", "compensated", "compensation failed", "after 2", "after 3"} {
				if strings.Contains(outcomes[0][i], k) {
					kinds[k]++
				}
			}
			if !strings.Contains(outcomes[0][i], "is(") && !strings.Contains(outcomes[0][i], "err=") && !strings.Contains(outcomes[0][i], "failed at") {
				kinds["ok"]++
			}
		}
		t.Logf("round %d: %v", round, kinds)
		for _, k := range []string{"ok", "failed at", "compensated", "is("} {
			assert.Positive(t, kinds[k], "the faults produce %q outcomes", k)
		}
	}
}
