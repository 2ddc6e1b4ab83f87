package baton

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/baton-go/baton/internal/handoff"
	"github.com/baton-go/baton/internal/hist"
)

// Pipeline runs messages of type T through a set of stages, each message along its own routing
// slip, under the strategy chosen at New. Everything but the strategy's goroutines is shared:
// the step code (step.go) decides results, errors, logs and compensation for both.
//
// A Pipeline is safe for concurrent use. Its goroutines start at the first message and stop in
// Close; a pipeline that is no longer needed must be closed.
type Pipeline[T any] struct {
	// Read by every step, written only at New (or, aborted, once at Shutdown's deadline).
	cfg    config
	stages []stage[T]
	hot    []hotStage[T] // what every step reads of each stage, packed: see hotStage
	reg    registry
	route  []hop // the default itinerary: every stage in declaration order
	router func(T) []string
	plan   func(T, *Slip) error // WithItinerary's, instead of router
	keyFn  func(T) string       // WithKey's
	strat  strategy[T]
	sent   *sentinels // engine.go: errors known across processes; nil without an engine
	obs    *observers // nil without WithObserver
	timing bool
	// defaultLog is the log of a message that completed the default itinerary unrevised, each
	// step at its first attempt: shared by such messages' Results (see log).
	defaultLog []StepRecord
	inflight   *handoff.Gate // one token per message in flight (accepted and not yet finished)
	closing    chan struct{} // closed when Close or Shutdown begins
	drained    chan struct{} // closed when closing and no message is left unfinished
	aborted    atomic.Bool   // set when Shutdown's deadline passed
	// base is the context of messages whose own can never be cancelled: cancelled only by
	// abort, at Shutdown's deadline, and marked with the pipeline (see context.go).
	base     context.Context
	abortCtx context.Context
	abort    context.CancelCauseFunc

	// Written for every message: kept off the cache lines above, which every step reads.
	_     [64]byte      // a cache line between: see TestCacheLinePadding
	state atomic.Int64  // messages accepted and not yet finished, times 2, plus 1 once closing
	ids   atomic.Uint64 // the last message ID given
	// untouchedDone counts messages that completed the default itinerary unrevised: each is one
	// Processed step of every stage (see countSteps).
	untouchedDone atomic.Int64
	_             [40]byte // to the end of the cache line: see TestCacheLinePadding

	begun     atomic.Int64 // UnixNano of the first message, for throughput
	startOnce sync.Once
	closeOnce sync.Once
	stopOnce  sync.Once
	pool      sync.Pool
	live      liveStats // stats.go: the stop time and the rates
}

// stage is a stage as the pipeline runs it: the user's Stage, its policies and its counters.
type stage[T any] struct {
	stage         Stage[T]
	name          string
	comp          Compensator[T]
	tol           Tolerator[T] // nil: a tolerated step leaves the message unchanged
	cfg           stageConfig
	defaultPolicy bool          // one attempt, no timeouts: the short step path
	sem           chan struct{} // orchestration's cap on concurrent steps, when Workers is set
	stats         stageCounters
	latency       hist.Histogram // step durations, when timing
}

// strategy is how messages travel between steps. See orchestrator.go and choreography.go.
type strategy[T any] interface {
	// start starts the strategy's goroutines; called once, before the first message.
	start()
	// dispatch sends an accepted message on its way; its result goes to m.sink. Never blocks.
	dispatch(m *message[T])
	// process runs an accepted message to its end and finishes it before returning.
	process(m *message[T])
	// stop stops the goroutines start started; called once, when no message is in flight.
	stop()
	// inbox reports how many messages wait in stage i's inbox (choreography only).
	inbox(i int) int
}

// New returns a pipeline of stages configured by opts. It fails, with an error matching
// ErrInvalidPipeline, when a stage is nil, a name is empty or used twice, or an option is
// invalid. That includes the misuses of the adapters, which New reports rather than letting a
// message meet them: a nil function given to Func or SlipFunc, a nil stage or undo function
// given to Compensable, a nil stage given to Configure, and a nil StageOption. The error
// names each stage at fault by its name, or by its index when it has none (a nil stage) or its
// Name method panics; New never panics on such input. New starts no goroutine.
func New[T any](stages []Stage[T], opts ...Option) (*Pipeline[T], error) {
	cfg := newConfig(len(stages), opts)
	var errs []error
	errs = append(errs, cfg.errs...)
	if len(stages) == 0 {
		errs = append(errs, errors.New("no stages"))
	}
	p := &Pipeline[T]{
		cfg:      cfg,
		stages:   make([]stage[T], len(stages)),
		reg:      registry{index: make(map[string]int32, len(stages))},
		inflight: handoff.NewGate(max(cfg.maxInFlight, 1)),
		closing:  make(chan struct{}),
		drained:  make(chan struct{}),
	}
	for i, s := range stages {
		if s == nil {
			errs = append(errs, fmt.Errorf("stage %d is nil", i))
			continue
		}
		var bad error
		if err := safely(func() { bad = invalidOf(s) }); err != nil { // a Wrapper's Unwrap is the user's code
			errs = append(errs, fmt.Errorf("stage %d: Unwrap panicked: %w", i, err))
			continue
		}
		// bad is asked first: a stage wrapping a nil stage cannot tell its Name.
		if errors.Is(bad, errNilStage) {
			errs = append(errs, fmt.Errorf("stage %d: %w", i, bad))
			continue
		}
		name, err := stageName(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("stage %d: %w", i, err))
			continue
		}
		if bad != nil {
			errs = append(errs, fmt.Errorf("stage %q: %w", name, bad))
		}
		switch _, dup := p.reg.index[name]; {
		case name == "":
			errs = append(errs, fmt.Errorf("stage %d has an empty name", i))
		case dup:
			errs = append(errs, fmt.Errorf("stage name %q used twice", name))
		}
		st := &p.stages[i]
		st.stage, st.name = s, name
		if err := safely(func() { st.comp, st.tol, st.cfg = compensatorOf(s), toleratorOf(s), stageConfigOf(s) }); err != nil {
			errs = append(errs, fmt.Errorf("stage %q: Unwrap panicked: %w", name, err))
		}
		if err := st.cfg.validate(); err != nil {
			errs = append(errs, fmt.Errorf("stage %q: %w", name, err))
		}
		st.defaultPolicy = st.cfg.step.isDefault()
		if st.cfg.workers > 0 {
			st.sem = make(chan struct{}, st.cfg.workers)
		}
		p.reg.index[name] = int32(i)
		p.reg.names = append(p.reg.names, name)
		p.route = append(p.route, hop{stage: int32(i)})
		p.defaultLog = append(p.defaultLog, StepRecord{Stage: name, Attempts: 1, Outcome: Succeeded})
	}
	p.defaultLog = slices.Clip(p.defaultLog) // shared by results: an append must copy, not overwrite
	p.route = slices.Clip(p.route)           // shared by slips (Slip.share): likewise
	switch r := cfg.router.(type) {
	case nil:
	case func(T) []string:
		p.router = r
	case func(T, *Slip) error:
		p.plan = r
	default:
		errs = append(errs, fmt.Errorf("WithRouter or WithItinerary: got %T, want func(%T) []string or func(%T, *Slip) error", cfg.router, *new(T), *new(T)))
	}
	if cfg.key != nil {
		k, ok := cfg.key.(func(T) string)
		if !ok {
			errs = append(errs, fmt.Errorf("WithKey: got %T, want func(%T) string", cfg.key, *new(T)))
		}
		p.keyFn = k
	}
	if e := cfg.engine; e != nil {
		errs = append(errs, p.useEngine(e)...)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPipeline, errors.Join(errs...))
	}
	p.timing = cfg.timing
	if cfg.observer != nil {
		p.obs = &observers{o: cfg.observer}
		p.obs.ctx, _ = cfg.observer.(ContextObserver)
		p.obs.send, _ = cfg.observer.(SendObserver)
	}
	p.baseContext()
	p.hot = hotStages(p)
	p.pool.New = func() any { return &message[T]{reply: make(chan *message[T], 1), handoff: make(chan struct{}, 1)} }
	switch {
	case cfg.engine != nil:
		if err := p.attach(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidPipeline, err)
		}
	case cfg.strategy == Choreographed:
		p.strat = newChoreography(p)
	default:
		p.strat = newOrchestrator(p)
	}
	return p, nil
}

// safely calls f, turning a panic (also panic(nil)) into an error.
func safely(f func()) (err error) {
	contain(f, func(pe *PanicError) { err = pe }, func() {})
	return err
}

// stageName calls s.Name, turning a panic (also panic(nil)) into an error.
func stageName[T any](s Stage[T]) (name string, err error) {
	if err := safely(func() { name = s.Name() }); err != nil {
		return "", fmt.Errorf("Name panicked: %w", err)
	}
	return name, nil
}

// Strategy returns the pipeline's strategy.
func (p *Pipeline[T]) Strategy() Strategy { return p.cfg.strategy }
