package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
)

// The equivalence property: generated pipelines give, through the engine and across a process
// boundary (a client pipeline and a worker pipeline, each with its own engine, so that no
// state is shared but the encoded one), results identical to the in-process choreographed
// strategy: values, errors (sentinels, *StepError's stage and attempts, texts), logs
// (stages, outcomes, attempts, error texts) and compensation.

// Job is the generated pipelines' message.
type Job struct {
	ID    int      `json:"id"`
	Trace []string `json:"trace"`
}

var (
	errDisk    = errors.New("disk full")
	errRefused = errors.New("refused")
)

// stageSpec is one generated stage.
type stageSpec struct {
	name       string
	failEvery  int // a message whose ID % failEvery == 0 fails here (0: never)
	failFirst  int // ... its first failFirst attempts only (0: every attempt)
	attempts   int // Retry's MaxAttempts
	permanent  bool
	panics     bool // fails by panicking (not retried)
	optional   bool
	compensate bool
	compFails  bool // its compensation fails for odd IDs
	revise     int  // 0 none, 1 InsertNext a stage, 2 Skip(1), 3 Append a stage, 4 End
	reviseTo   string
	timeout    time.Duration // AttemptTimeout; the failing attempts then wait until it ends them
}

func genSpecs(r *rand.Rand) []stageSpec {
	n := 2 + r.IntN(5)
	specs := make([]stageSpec, n)
	for i := range specs {
		s := stageSpec{name: fmt.Sprintf("s%d", i)}
		if r.IntN(2) == 0 {
			s.failEvery = 2 + r.IntN(4)
			s.failFirst = r.IntN(3)
			s.attempts = 1 + r.IntN(3)
			s.permanent = r.IntN(5) == 0
			s.panics = r.IntN(6) == 0
			s.optional = r.IntN(4) == 0
			if r.IntN(20) == 0 && !s.panics {
				s.timeout = 80 * time.Millisecond
			}
		}
		s.compensate = r.IntN(2) == 0
		s.compFails = s.compensate && r.IntN(4) == 0
		if r.IntN(3) == 0 {
			s.revise = 1 + r.IntN(4)
			s.reviseTo = fmt.Sprintf("s%d", r.IntN(n))
		}
		specs[i] = s
	}
	return specs
}

// build returns the stages of specs; attempts counts attempts per message and stage, so that
// "fails its first k attempts" is deterministic wherever the attempts run.
func build(specs []stageSpec) []baton.Stage[Job] {
	var stages []baton.Stage[Job]
	for _, sp := range specs {
		fn := func(ctx context.Context, j Job, slip *baton.Slip) (Job, error) {
			fails := sp.failEvery > 0 && j.ID%sp.failEvery == 0 && (sp.failFirst == 0 || slip.Attempt() <= sp.failFirst)
			if fails {
				switch {
				case sp.panics:
					panic(fmt.Sprintf("%s gave up on job %d", sp.name, j.ID))
				case sp.timeout > 0:
					// Until the attempt's timeout ends ctx. The bound only keeps a missing timeout
					// from hanging the test (it then succeeds, and differs): it is far past the
					// timeout, because a process starved of CPU for longer than the bound wakes
					// with both timers expired, and the one that cancels ctx may run second.
					select {
					case <-time.After(100 * sp.timeout):
					case <-ctx.Done():
					}
					return j, ctx.Err()
				case sp.permanent:
					return j, baton.Permanent(fmt.Errorf("%s: job %d: %w", sp.name, j.ID, errRefused))
				}
				return j, fmt.Errorf("%s: job %d, attempt %d: %w", sp.name, j.ID, slip.Attempt(), errDisk)
			}
			switch sp.revise {
			case 1:
				if j.ID%3 == 0 {
					if err := slip.InsertNext(sp.reviseTo); err != nil {
						return j, err
					}
				}
			case 2:
				if j.ID%4 == 1 {
					slip.Skip(1)
				}
			case 3:
				if j.ID%5 == 2 && slip.Hops() < 12 {
					if err := slip.Append(sp.reviseTo); err != nil {
						return j, err
					}
				}
			case 4:
				if j.ID%7 == 3 {
					slip.End()
				}
			}
			j.Trace = append(slices.Clone(j.Trace), sp.name)
			return j, nil
		}
		var opts []baton.StageOption
		if sp.attempts > 1 {
			opts = append(opts, baton.Retry(baton.RetryPolicy{MaxAttempts: sp.attempts}))
		}
		if sp.optional {
			opts = append(opts, baton.Optional())
		}
		if sp.timeout > 0 {
			opts = append(opts, baton.AttemptTimeout(sp.timeout), baton.Workers(8)) // its timeouts overlap
		}
		st := baton.SlipFunc(sp.name, fn, opts...)
		if sp.compensate {
			st = baton.Compensable(st, func(_ context.Context, j Job) error {
				if sp.compFails && j.ID%2 == 1 {
					return fmt.Errorf("undo %s of job %d: %w", sp.name, j.ID, errDisk)
				}
				return nil
			})
		}
		stages = append(stages, st)
	}
	return stages
}

// outcome is a result reduced to what must be identical.
type outcome struct {
	Value Job
	Err   string
	Is    []bool
	Step  string // *StepError's stage and attempts
	Comp  string // *CompensationError's steps
	Log   []string
}

var sentinelsChecked = []error{baton.ErrPanic, baton.ErrTimeout, baton.ErrCompensationFailed, baton.ErrHopLimit,
	baton.ErrUnknownStage, context.DeadlineExceeded, context.Canceled, errDisk, errRefused}

func reduce(r baton.Result[Job]) outcome {
	o := outcome{Value: r.Value}
	if r.Err != nil {
		o.Err = r.Err.Error()
		for _, s := range sentinelsChecked {
			o.Is = append(o.Is, errors.Is(r.Err, s))
		}
		var se *baton.StepError
		if errors.As(r.Err, &se) {
			o.Step = fmt.Sprintf("%s/%d", se.Stage, se.Attempts)
		}
		var ce *baton.CompensationError
		if errors.As(r.Err, &ce) {
			o.Comp = fmt.Sprint(len(ce.Steps), ce.Steps != nil)
			for _, s := range ce.Steps {
				o.Comp += " " + s.Stage + ":" + s.Outcome.String()
			}
		}
		var pe *baton.PanicError
		if errors.As(r.Err, &pe) {
			o.Step += fmt.Sprintf(" panic %v", pe.Value)
		}
	}
	for _, s := range r.Log {
		line := fmt.Sprintf("%s:%v:%d", s.Stage, s.Outcome, s.Attempts)
		if s.Err != nil {
			line += ":" + s.Err.Error()
		}
		o.Log = append(o.Log, line)
	}
	return o
}

func runAll(t *testing.T, p *baton.Pipeline[Job], in []Job) []outcome {
	t.Helper()
	out := make([]outcome, len(in))
	seen := make([]bool, len(in))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for r := range p.Run(ctx, slices.Values(in)) {
		if seen[r.Seq] {
			t.Fatalf("two results for message %d", r.Seq)
		}
		seen[r.Seq] = true
		out[r.Seq] = reduce(r)
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("no result for message %d", i)
		}
	}
	return out
}

func TestEquivalentToInProcess(t *testing.T) {
	pipelines, perPipeline := 300, 50
	if testing.Short() {
		pipelines = 30
	}
	total := 0
	kinds := map[string]int{}
	var mu sync.Mutex
	t.Run("group", func(t *testing.T) {
		for seed := range uint64(pipelines) {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				t.Parallel()
				r := rand.New(rand.NewPCG(seed, 13))
				specs := genSpecs(r)
				in := make([]Job, perPipeline)
				for i := range in {
					in[i] = Job{ID: r.IntN(1000)}
				}
				opts := []baton.Option{baton.WithHopLimit(8 + r.IntN(8)), baton.WithSentinels(errDisk, errRefused)}

				local, err := baton.New(build(specs), append([]baton.Option{baton.WithStrategy(baton.Choreographed)}, opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				want := runAll(t, local, in)
				_ = local.Close()

				name := uniqueName(t)
				worker, err := baton.New(build(specs), append([]baton.Option{baton.WithEngine(newEngine(t, jetstream.Config{Name: name, HostAll: true, Memory: true}))}, opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				client, err := baton.New(build(specs), append([]baton.Option{baton.WithEngine(newEngine(t, jetstream.Config{Name: name, Memory: true}))}, opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				got := runAll(t, client, in)
				_ = client.Close()
				_ = worker.Close()
				deleteStream(name)
				for i := range want {
					if !reflect.DeepEqual(want[i], got[i]) {
						t.Fatalf("seed %d, message %d (job %d), stages %+v:\nin process: %+v\nengine:     %+v", seed, i, in[i].ID, specs, want[i], got[i])
					}
				}
				mu.Lock()
				defer mu.Unlock()
				total += len(in)
				for _, o := range want {
					kinds["failed"] += b2i(o.Err != "")
					kinds["compensated"] += b2i(o.Comp != "")
					kinds["step error"] += b2i(o.Step != "")
					kinds["panic"] += b2i(strings.Contains(o.Step, "panic"))
					kinds["timeout"] += b2i(len(o.Is) > 1 && o.Is[1])
					kinds["hop limit"] += b2i(len(o.Is) > 3 && o.Is[3])
					kinds["tolerated or retried"] += b2i(slices.ContainsFunc(o.Log, func(l string) bool {
						return strings.Contains(l, "tolerated") || !strings.Contains(l, ":1")
					}))
				}
			})
		}
	})
	t.Logf("%d pipelines, %d messages: identical; among them %v", pipelines, total, kinds)
	for k, n := range kinds {
		if n == 0 {
			t.Errorf("no message of kind %q: the generator does not cover it", k)
		}
	}
	if !testing.Short() && total < 15000 {
		t.Fatalf("only %d messages", total)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
