package batontest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
)

// GenConfig shapes the pipelines Property generates. The zero value is a good mix.
type GenConfig struct {
	// Stages is the most stages a pipeline gets (default 6; at least 2 are made).
	Stages int
	// Messages is the number of inputs (default 50).
	Messages int
	// MaxInFlight, when > 0, is the pipeline's bound on messages in flight (default: random, 1 to 4).
	MaxInFlight int
	// HopLimit, when > 0, is the pipeline's hop limit (default: random, 5 to 30).
	HopLimit int
	// Workers1 gives every stage Workers(1): the smallest settings.
	Workers1 bool
	// Delays lets stages sleep (1 or 5 ms) and retries back off (1 ms). Property then runs in a
	// testing/synctest bubble, where sleeping costs nothing.
	Delays bool
	// Timeouts gives some stages a 3 ms attempt timeout. Outcomes are then decided by time, so
	// Property runs in a testing/synctest bubble, where they are deterministic.
	Timeouts bool
	// NoFailures makes stages only transform and revise slips: no errors, panics or timeouts.
	NoFailures bool
}

// scenario is a generated pipeline: its stages, options and inputs as a Comparison, and a
// description for failure messages.
type scenario struct {
	seed        uint64
	config      GenConfig
	comparison  Comparison[Msg]
	description string
}

// stageSpec is the fixed policy of a generated stage; its behaviour per message is scripted by
// a hash of the seed, the stage, the message, the visit and the attempt.
type stageSpec struct {
	name        string
	attempts    int
	optional    bool
	workers     int
	compensates bool
	timeout     bool
}

// generate makes the random pipeline and inputs of seed and cfg, the same for the same pair;
// Property's doc says what its scripted stages do. Messages get random itineraries through
// baton.WithRouter(routeOf).
func generate(seed uint64, cfg GenConfig) scenario {
	r := rand.New(rand.NewPCG(seed, 0x6261746f6e))
	if cfg.Stages < 2 {
		cfg.Stages = 6
	}
	if cfg.Messages <= 0 {
		cfg.Messages = 50
	}
	specs := make([]stageSpec, 2+r.IntN(cfg.Stages-1))
	var desc []string
	for i := range specs {
		s := stageSpec{name: fmt.Sprintf("s%d", i), attempts: 1 + r.IntN(3), workers: 1, compensates: r.IntN(2) == 0}
		s.optional = r.IntN(6) == 0
		if !cfg.Workers1 {
			s.workers = 1 + r.IntN(3)
		}
		s.timeout = cfg.Timeouts && r.IntN(3) == 0
		specs[i] = s
		d := fmt.Sprintf("%s{attempts %d, workers %d", s.name, s.attempts, s.workers)
		for _, f := range []struct {
			on   bool
			what string
		}{{s.optional, "optional"}, {s.compensates, "compensates"}, {s.timeout, "attempt timeout 3ms"}} {
			if f.on {
				d += ", " + f.what
			}
		}
		desc = append(desc, d+"}")
	}
	inflight := cfg.MaxInFlight
	if inflight <= 0 {
		inflight = 1 + r.IntN(4)
	}
	hops := cfg.HopLimit
	if hops <= 0 {
		hops = 5 + r.IntN(26)
	}
	opts := []baton.Option{baton.WithRouter(routeOf), baton.WithMaxInFlight(inflight), baton.WithHopLimit(hops)}
	optDesc := fmt.Sprintf("MaxInFlight %d, HopLimit %d", inflight, hops)
	if r.IntN(3) == 0 {
		opts = append(opts, baton.WithSubmissionOrder())
		optDesc += ", SubmissionOrder"
	}
	inputs := make([]Msg, cfg.Messages)
	for i := range inputs {
		inputs[i].ID = i
		for range 1 + r.IntN(5) {
			inputs[i].Route = append(inputs[i].Route, specs[r.IntN(len(specs))].name)
		}
		if !cfg.NoFailures && r.IntN(50) == 0 {
			inputs[i].Route = append(inputs[i].Route, "unknown")
		}
	}
	g := &script{seed: seed, cfg: cfg, specs: specs}
	return scenario{
		seed:   seed,
		config: cfg,
		comparison: Comparison[Msg]{
			Stages:  g.stages,
			Options: opts,
			Inputs:  inputs,
			Format:  func(m Msg) string { return fmt.Sprintf("{ID:%d Route:%v Trace:%v}", m.ID, m.Route, m.Trace) },
		},
		description: fmt.Sprintf("stages %s; %s; %d messages", strings.Join(desc, " "), optDesc, len(inputs)),
	}
}

// script makes the scripted stages of a scenario.
type script struct {
	seed  uint64
	cfg   GenConfig
	specs []stageSpec
}

// stages returns fresh stages: their attempt counters start empty.
func (g *script) stages() []baton.Stage[Msg] {
	out := make([]baton.Stage[Msg], len(g.specs))
	for i, sp := range g.specs {
		out[i] = g.stage(uint64(i), sp)
	}
	return out
}

func (g *script) stage(idx uint64, sp stageSpec) baton.Stage[Msg] {
	var mu sync.Mutex
	tries := map[[2]int]int{} // (message, hop) → attempts so far: a message's steps run one at a time
	name := sp.name
	var st baton.Stage[Msg] = baton.SlipFunc(name, func(ctx context.Context, m Msg, slip *baton.Slip) (Msg, error) {
		mu.Lock()
		key := [2]int{m.ID, slip.Hops()}
		tries[key]++
		attempt := tries[key]
		mu.Unlock()
		visit := 0
		for _, r := range slip.Log() {
			if r.Stage == name {
				visit++
			}
		}
		h := mix(g.seed, idx, uint64(m.ID), uint64(visit), uint64(attempt))
		where := fmt.Sprintf("%s (message %d, visit %d, attempt %d)", name, m.ID, visit, attempt)
		if g.cfg.Delays {
			if d := [...]time.Duration{0, 0, time.Millisecond, 5 * time.Millisecond}[h>>40%4]; d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return m, ctx.Err()
				}
			}
		}
		pick := func(k uint64) string { return g.specs[mix(h, k)%uint64(len(g.specs))].name }
		action := h % 40
		if g.cfg.NoFailures && (action < 5 || action == 14 || action == 15) {
			action = 39
		}
		var err error
		switch action {
		case 0, 1, 2:
			return m, errors.New(where + ": failed")
		case 3:
			return m, baton.Permanent(errors.New(where + ": refused"))
		case 4:
			panic(where + ": panicked")
		case 5, 6, 7, 8:
			names := []string{pick(1)}
			if h>>32%2 == 0 {
				names = append(names, pick(2))
			}
			err = slip.InsertNext(names...)
		case 9:
			err = slip.Append(pick(1))
		case 10:
			slip.Skip(1)
		case 11:
			if h>>32%3 == 0 {
				slip.End()
			}
		case 12:
			err = slip.Replace(pick(1), pick(2))
		case 13:
			err = slip.InsertNextOptional(pick(1))
		case 14:
			if h>>32%3 == 0 {
				err = slip.InsertNext("unknown")
			}
		case 15:
			_ = slip.InsertNext(pick(1))
			return m, errors.New(where + ": revised, then failed")
		}
		if err != nil {
			return m, err
		}
		if !g.cfg.Delays && h>>36%4 == 0 {
			runtime.Gosched()
		}
		return m.with(name), nil
	}, g.options(sp)...)
	if sp.compensates {
		st = baton.Compensable(st, func(_ context.Context, m Msg) error {
			switch mix(g.seed, idx, uint64(m.ID), 0xc0) % 8 {
			case 0, 1:
				return fmt.Errorf("%s: undo of message %d failed", name, m.ID)
			case 2:
				panic(fmt.Sprintf("%s: undo of message %d panicked", name, m.ID))
			}
			return nil
		})
	}
	return st
}

func (g *script) options(sp stageSpec) []baton.StageOption {
	var backoff time.Duration
	if g.cfg.Delays {
		backoff = time.Millisecond
	}
	opts := []baton.StageOption{baton.Retry(baton.FixedBackoff(sp.attempts, backoff)), baton.Workers(sp.workers)}
	if sp.optional {
		opts = append(opts, baton.Optional())
	}
	if sp.timeout {
		opts = append(opts, baton.AttemptTimeout(3*time.Millisecond))
	}
	return opts
}

// mix hashes its arguments (splitmix64 steps).
func mix(parts ...uint64) uint64 {
	var h uint64 = 0x9e3779b97f4a7c15
	for _, p := range parts {
		h ^= p
		h += 0x9e3779b97f4a7c15
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
		h = (h ^ (h >> 27)) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// checkGenerated generates the scenario of seed and cfg and checks that both strategies agree
// on it (see Equivalent). A failure names the seed and the pipeline. In a testing/synctest
// bubble (inBubble) the run has no time limit: a deadlock is synctest's to report.
func checkGenerated(t TB, seed uint64, cfg GenConfig, inBubble bool) bool {
	t.Helper()
	sc := generate(seed, cfg)
	if inBubble {
		sc.comparison.Timeout = -1
	}
	var rec recorder
	ok := Equivalent(&rec, sc.comparison)
	if !ok {
		t.Errorf("batontest: generated pipeline, seed %#x (reproduce: %s=%#x go test -run ...):\n  %s\n%s",
			seed, seedEnv, seed, sc.description, strings.Join(rec.msgs, "\n"))
	}
	return ok
}

// recorder is a TB that records failures (Fatalf stops nothing: Equivalent returns after it).
type recorder struct{ msgs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// seedEnv is the environment variable that pins Property to one seed, to reproduce a failure.
const seedEnv = "BATONTEST_SEED"

// Property checks rounds random pipelines, each in a subtest named after its seed, for
// equivalence (see Equivalent): both strategies must agree on every message.
//
// Each pipeline is made from its seed and cfg, the same for the same pair (math/rand/v2's PCG):
// two to cfg.Stages scripted stages and cfg.Messages inputs with random itineraries. Each call
// of a stage looks up what to do in a hash of (seed, stage, message, visit, attempt): transform
// the message, fail (retryable or permanently), panic, sleep, or revise the slip (insert next,
// with revisits; append; skip; replace; end; name an unknown stage; revise and then fail), so a
// message's journey depends on nothing but itself. Some stages compensate (and some
// compensations fail or panic), retry, are optional or have several workers.
//
// Seeds are random unless the environment variable BATONTEST_SEED pins one (decimal or 0x-hex);
// a failure prints its seed, and BATONTEST_SEED=0x… go test -run 'TestName' reruns it.
//
// When cfg asks for delays or timeouts each round runs in a testing/synctest bubble, on a
// virtual clock, and without a time limit: a round that deadlocks makes synctest.Test panic,
// listing the bubble's goroutines; that ends the test binary, after naming the failed subtest,
// and so the seed. On the real clock a round that takes a minute is reported as a hang, with
// every goroutine's stack.
func Property(t *testing.T, rounds int, cfg GenConfig) {
	seeds := make([]uint64, rounds)
	for i := range seeds {
		seeds[i] = rand.Uint64()
	}
	if v := os.Getenv(seedEnv); v != "" {
		s, err := strconv.ParseUint(v, 0, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, v, err)
		}
		seeds = []uint64{s}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%#x", seed), func(t *testing.T) {
			if cfg.Delays || cfg.Timeouts {
				synctest.Test(t, func(t *testing.T) { checkGenerated(t, seed, cfg, true) })
				return
			}
			checkGenerated(t, seed, cfg, false)
		})
	}
}
