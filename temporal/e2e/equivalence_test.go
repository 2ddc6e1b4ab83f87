package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
)

// The equivalence property: generated pipelines give, through the engine on the real server —
// a client pipeline and a worker pipeline, each with its own engine, so that nothing is shared
// but the encoded state — the results of the in-process orchestrated strategy: values, errors
// (texts and sentinels), logs and compensation.

var (
	errFull    = errors.New("disk full")
	errRefused = errors.New("refused")
)

// spec is one generated stage; what it does to a message depends on the message's N and the
// attempt only, so it is the same wherever it runs.
type spec struct {
	name               string
	failMod, failFirst int // messages with N%failMod == 0 fail their first failFirst attempts (0: all)
	attempts           int
	permanent, panics  bool
	optional           bool
	compensates        bool
	compFails          bool // its compensation fails for odd N
	revise             int  // 1 InsertNext(to), 2 Skip(1), 3 Append(to), 4 End
	to                 string
	// timeout: 1 AttemptTimeout (a generous StepTimeout too, half the time), its first
	// slowFirst attempts outlive it; 2 StepTimeout, its first attempt outlives it. The slow
	// attempts are those of messages with N%slowMod == 0; they wait on their context (or
	// ignore it and return after the deadline, when ignores is set), never near the deadline.
	timeout, slowMod, slowFirst int
	bothTimeouts, ignores       bool
}

// The generated timeouts: a slow attempt lasts until its context ends, or slowIgnored when it
// ignores its context; either is far from the deadline, so the outcome does not hang on timing.
const (
	genTimeout  = 50 * time.Millisecond
	slowIgnored = 150 * time.Millisecond
)

func genSpecs(r *rand.Rand) []spec {
	specs := make([]spec, 2+r.IntN(4))
	for i := range specs {
		s := spec{name: fmt.Sprintf("s%d", i), attempts: 1}
		if r.IntN(2) == 0 {
			s.failMod, s.failFirst, s.attempts = 2+r.IntN(3), r.IntN(3), 1+r.IntN(3)
			s.permanent, s.panics, s.optional = r.IntN(5) == 0, r.IntN(6) == 0, r.IntN(4) == 0
		}
		s.compensates = r.IntN(2) == 0
		s.compFails = s.compensates && r.IntN(4) == 0
		if r.IntN(3) == 0 {
			s.revise, s.to = 1+r.IntN(4), fmt.Sprintf("s%d", r.IntN(len(specs)))
		}
		if r.IntN(3) == 0 {
			s.timeout, s.slowMod, s.slowFirst = 1+r.IntN(2), 2+r.IntN(3), 1+r.IntN(3)
			s.bothTimeouts, s.ignores = r.IntN(2) == 0, r.IntN(3) == 0
		}
		specs[i] = s
	}
	return specs
}

func buildStages(specs []spec) []baton.Stage[job] {
	var stages []baton.Stage[job]
	for _, s := range specs {
		s := s
		var opts []baton.StageOption
		if s.attempts > 1 {
			opts = append(opts, baton.Retry(baton.FixedBackoff(s.attempts, 0)))
		}
		if s.optional {
			opts = append(opts, baton.Optional())
		}
		switch s.timeout {
		case 1:
			opts = append(opts, baton.AttemptTimeout(genTimeout))
			if s.bothTimeouts {
				opts = append(opts, baton.StepTimeout(time.Minute))
			}
		case 2:
			opts = append(opts, baton.StepTimeout(genTimeout))
		}
		var st baton.Stage[job] = baton.SlipFunc(s.name, func(ctx context.Context, j job, slip *baton.Slip) (job, error) {
			if s.timeout > 0 && j.N%s.slowMod == 0 && (s.timeout == 2 && slip.Attempt() == 1 || s.timeout == 1 && slip.Attempt() <= s.slowFirst) {
				if s.ignores {
					time.Sleep(slowIgnored) // returns success after the deadline
				} else {
					<-ctx.Done()
					return j, fmt.Errorf("%s attempt %d: %w", s.name, slip.Attempt(), ctx.Err())
				}
			}
			if s.failMod > 0 && j.N%s.failMod == 0 && (s.failFirst == 0 || slip.Attempt() <= s.failFirst) {
				switch {
				case s.panics:
					panic(fmt.Sprintf("%s panics on %d", s.name, j.N))
				case s.permanent:
					return j, baton.Permanent(fmt.Errorf("%s: %w", s.name, errRefused))
				default:
					return j, fmt.Errorf("%s attempt %d: %w", s.name, slip.Attempt(), errFull)
				}
			}
			j.Trail = append(slices.Clip(j.Trail), s.name)
			var err error
			switch s.revise {
			case 1:
				if slip.Hops() < 6 {
					err = slip.InsertNext(s.to)
				}
			case 2:
				slip.Skip(1)
			case 3:
				if slip.Hops() < 6 {
					err = slip.Append(s.to)
				}
			case 4:
				if j.N%2 == 1 {
					slip.End()
				}
			}
			return j, err
		}, opts...)
		if s.compensates {
			st = baton.Compensable(st, func(_ context.Context, j job) error {
				if s.compFails && j.N%2 == 1 {
					return fmt.Errorf("undo %s: %w", s.name, errFull)
				}
				return nil
			})
		}
		stages = append(stages, st)
	}
	return stages
}

// genOptions are a generated pipeline's options: each message's itinerary from its N.
func genOptions(specs []spec, seed uint64) []baton.Option {
	return []baton.Option{
		baton.WithSentinels(errFull, errRefused),
		baton.WithHopLimit(12),
		baton.WithRouter(func(j job) []string {
			r := rand.New(rand.NewPCG(seed, uint64(j.N)))
			route := make([]string, 1+r.IntN(len(specs)+1))
			for i := range route {
				route[i] = specs[r.IntN(len(specs))].name
			}
			return route
		}),
	}
}

// TestEquivalence: 50 generated pipelines of 8 messages each, and 10 more whose client runs
// their steps as local activities (WithLocalSteps). It fails too if no generated step timed
// out, in process: the timeouts would then be untested.
func TestEquivalence(t *testing.T) {
	var timedOut atomic.Int64
	t.Run("pipelines", func(t *testing.T) { testEquivalence(t, &timedOut) })
	if timedOut.Load() == 0 && !t.Failed() {
		t.Error("no generated step timed out")
	}
	t.Logf("%d step records of timed-out attempts or steps", timedOut.Load())
}

func testEquivalence(t *testing.T, timedOut *atomic.Int64) {
	const pipelines, localPipelines, messages = 50, 10, 8
	base := rand.Uint64()
	for k := range pipelines + localPipelines {
		seed := base + uint64(k)
		var copts []batontemporal.Option
		name := fmt.Sprintf("seed=%#x", seed)
		if k >= pipelines {
			copts, name = append(copts, batontemporal.WithLocalSteps()), name+"/local"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			specs := genSpecs(rand.New(rand.NewPCG(seed, 1)))
			msgs := make([]job, messages)
			for i := range msgs {
				msgs[i] = job{N: i + 1}
			}
			queue := newQueue("equivalence")
			weng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(queue))
			if err != nil {
				t.Fatal(err)
			}
			worker, err := baton.New(buildStages(specs), append([]baton.Option{baton.WithEngine(weng)}, genOptions(specs, seed)...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer worker.Close()
			ceng, err := batontemporal.New(defaultClient(), append([]batontemporal.Option{batontemporal.WithTaskQueue(queue), batontemporal.WithoutWorker()}, copts...)...)
			if err != nil {
				t.Fatal(err)
			}
			client, err := baton.New(buildStages(specs), append([]baton.Option{baton.WithEngine(ceng)}, genOptions(specs, seed)...)...)
			if err != nil {
				t.Fatal(err)
			}
			local, err := baton.New(buildStages(specs), genOptions(specs, seed)...)
			if err != nil {
				t.Fatal(err)
			}
			got, want := runAll(t, client, msgs), runAll(t, local, msgs)
			for i := range msgs {
				for _, rec := range want[i].Log {
					if errors.Is(rec.Err, baton.ErrTimeout) {
						timedOut.Add(1)
					}
				}
				sameResult(t, fmt.Sprintf("seed %#x message %d (specs %+v)", seed, i, specs), got[i], want[i])
				for _, s := range []error{errFull, errRefused, baton.ErrPanic, baton.ErrHopLimit, baton.ErrCompensationFailed, baton.ErrUnknownStage,
					baton.ErrTimeout, context.DeadlineExceeded} {
					if errors.Is(got[i].Err, s) != errors.Is(want[i].Err, s) {
						t.Errorf("seed %#x message %d: errors.Is(%v, %v) differs from in process", seed, i, got[i].Err, s)
					}
				}
			}
			for _, p := range []*baton.Pipeline[job]{client, local} {
				if err := p.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// runAll runs msgs through p and returns the results by Seq, checking one per message.
func runAll(t *testing.T, p *baton.Pipeline[job], msgs []job) []baton.Result[job] {
	t.Helper()
	out := make([]baton.Result[job], len(msgs))
	seen := make([]bool, len(msgs))
	for r := range p.Run(context.Background(), slices.Values(msgs)) {
		if seen[r.Seq] {
			t.Errorf("two results for message %d", r.Seq)
		}
		seen[r.Seq], out[r.Seq] = true, r
	}
	for i, ok := range seen {
		if !ok {
			t.Errorf("no result for message %d", i)
		}
	}
	return out
}
