package baton

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
	reg    registry
	route  []hop // the default itinerary: every stage in declaration order
	router func(T) []string
	keyFn  func(T) string // WithKey's
	strat  strategy[T]
	obs    *observers // nil without WithObserver
	timing bool
	// defaultLog is the log of a message that completed the default itinerary unrevised, each
	// step at its first attempt: shared by such messages' Results (see log).
	defaultLog []StepRecord
	slots    chan struct{} // one token per message in flight (accepted and not yet finished)
	closing  chan struct{} // closed when Close or Shutdown begins
	drained  chan struct{} // closed when closing and no message is left unfinished
	aborted  atomic.Bool   // set when Shutdown's deadline passed
	// base is the context of messages whose own can never be cancelled: cancelled only by
	// abort, at Shutdown's deadline, and marked with the pipeline (see context.go).
	base     context.Context
	abortCtx context.Context
	abort    context.CancelCauseFunc

	// Written for every message: kept off the cache lines above, which every step reads.
	_     [64]byte
	state atomic.Int64  // messages accepted and not yet finished, times 2, plus 1 once closing
	ids   atomic.Uint64 // the last message ID given
	// untouchedDone counts messages that completed the default itinerary unrevised: each is one
	// Processed step of every stage (see countSteps).
	untouchedDone atomic.Int64
	_         [48]byte

	begun     atomic.Int64 // UnixNano of the first message, for throughput
	startOnce sync.Once
	closeOnce sync.Once
	stopOnce  sync.Once
	pool      sync.Pool
	live      liveStats // stats.go: the stop time and the rates
}

// stage is a stage as the pipeline runs it: the user's Stage, its policies and its counters.
type stage[T any] struct {
	stage   Stage[T]
	name    string
	comp    Compensator[T]
	cfg     stageConfig
	defaultPolicy bool // one attempt, no timeouts: the short step path
	sem     chan struct{} // orchestration's cap on concurrent steps, when Workers is set
	stats   stageCounters
	latency hist.Histogram // step durations, when timing
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
		cfg:     cfg,
		stages:  make([]stage[T], len(stages)),
		reg:     registry{index: make(map[string]int32, len(stages))},
		slots:   make(chan struct{}, max(cfg.maxInFlight, 1)),
		closing: make(chan struct{}),
		drained: make(chan struct{}),
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
		if err := safely(func() { st.comp, st.cfg = compensatorOf(s), stageConfigOf(s) }); err != nil {
			errs = append(errs, fmt.Errorf("stage %q: Unwrap panicked: %w", name, err))
		}
		if err := st.cfg.validate(); err != nil {
			errs = append(errs, fmt.Errorf("stage %q: %w", name, err))
		}
		st.defaultPolicy = st.cfg.retry.MaxAttempts <= 1 && st.cfg.attemptTimeout == 0 && st.cfg.stepTimeout == 0
		if st.cfg.workers > 0 {
			st.sem = make(chan struct{}, st.cfg.workers)
		}
		p.reg.index[name] = int32(i)
		p.reg.names = append(p.reg.names, name)
		p.route = append(p.route, hop{stage: int32(i)})
		p.defaultLog = append(p.defaultLog, StepRecord{Stage: name, Attempts: 1, Outcome: Succeeded})
	}
	p.defaultLog = slices.Clip(p.defaultLog) // shared by results: an append must copy, not overwrite
	if cfg.router != nil {
		r, ok := cfg.router.(func(T) []string)
		if !ok {
			errs = append(errs, fmt.Errorf("WithRouter: got %T, want func(%T) []string", cfg.router, *new(T)))
		}
		p.router = r
	}
	if cfg.key != nil {
		k, ok := cfg.key.(func(T) string)
		if !ok {
			errs = append(errs, fmt.Errorf("WithKey: got %T, want func(%T) string", cfg.key, *new(T)))
		}
		p.keyFn = k
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPipeline, errors.Join(errs...))
	}
	p.timing = cfg.timing
	if cfg.observer != nil {
		p.obs = &observers{o: cfg.observer}
		p.obs.ctx, _ = cfg.observer.(ContextObserver)
	}
	p.baseContext()
	p.pool.New = func() any { return &message[T]{reply: make(chan *message[T], 1), handoff: make(chan struct{}, 1)} }
	switch cfg.strategy {
	case Choreographed:
		p.strat = newChoreography(p)
	default:
		p.strat = newOrchestrator(p)
	}
	return p, nil
}

// safely calls f, turning a panic (also panic(nil)) into an error.
func safely(f func()) (err error) {
	returned := false
	defer func() {
		if !returned {
			err = newPanicError(recover())
		}
	}()
	f()
	returned = true
	return nil
}

// stageName calls s.Name, turning a panic (also panic(nil)) into an error.
func stageName[T any](s Stage[T]) (name string, err error) {
	returned := false
	defer func() {
		if !returned {
			err = fmt.Errorf("Name panicked: %w", newPanicError(recover()))
		}
	}()
	name = s.Name()
	returned = true
	return name, nil
}

// Strategy returns the pipeline's strategy.
func (p *Pipeline[T]) Strategy() Strategy { return p.cfg.strategy }

// Process runs one message end to end and returns its final value and error. Under
// orchestration it runs in the caller's goroutine; under choreography the message travels the
// stage goroutines and Process waits for it. It blocks, honouring ctx, while the in-flight bound
// is reached. ctx is the message's context: cancelling it stops the message at its next step
// (and cancels the step running, if the stage honours ctx), also while it waits for a stage's
// worker, compensates what was done, and returns the cancellation as the error.
//
// On failure the value is the message as the last successful step left it, and the error is
// one of those described on Result.Err. Called from inside a stage with the step's context (or
// one derived from it), Process returns ErrReentrant at once. Process does not allocate in
// steady state when ctx is context.Background; a cancellable ctx costs a child context (see
// the package doc, "Cost").
func (p *Pipeline[T]) Process(ctx context.Context, msg T) (T, error) {
	if err := p.admit(ctx); err != nil {
		return msg, err
	}
	if err := p.acquire(ctx, nil); err != nil {
		return msg, err
	}
	m := p.newMessage(ctx, msg, false)
	p.strat.process(m)
	out, err := m.value, m.err
	p.release(m)
	return out, err
}

// ProcessResult is Process returning the message's whole Result: its value, its error, its
// slip's log, its ID and its key. It runs the message exactly as Process does, and allocates
// nothing more for a message that completed the default itinerary unrevised (its log is the
// shared read-only one: see Result.Log); any other message's log costs one allocation. Seq is
// 0. A message refused before it was accepted (see Process's errors) has ID 0 and no log.
func (p *Pipeline[T]) ProcessResult(ctx context.Context, msg T) Result[T] {
	if err := p.admit(ctx); err != nil {
		return Result[T]{Value: msg, Err: err, Key: p.keyOf(msg)}
	}
	if err := p.acquire(ctx, nil); err != nil {
		return Result[T]{Value: msg, Err: err, Key: p.keyOf(msg)}
	}
	m := p.newMessage(ctx, msg, false)
	p.strat.process(m)
	r := p.result(m)
	p.release(m)
	return r
}

// result is the Result of a finished message.
func (p *Pipeline[T]) result(m *message[T]) Result[T] {
	return Result[T]{Value: m.value, Err: m.err, Log: p.log(m), Seq: m.seq, ID: m.id, Key: m.key}
}

// admit refuses a new message before it waits for anything: ErrClosed once the pipeline is
// closing (whatever ctx says), ErrReentrant for a context of one of p's own messages.
func (p *Pipeline[T]) admit(ctx context.Context) error {
	select {
	case <-p.closing:
		return ErrClosed
	default:
	}
	if p.reentrant(ctx) {
		return fmt.Errorf("%w: the context is one of this pipeline's own messages' (a stage calling its own pipeline would wait for the worker it holds)", ErrReentrant)
	}
	return nil
}

// acquire takes an in-flight slot and enters the pipeline. While no slot is free it waits, until
// ctx is done (its cause), the stream's context is done (its cause) or its sending side closed
// (ErrStreamClosed) — s may be nil — or the pipeline closes (ErrClosed).
func (p *Pipeline[T]) acquire(ctx context.Context, s *Stream[T]) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	select {
	case p.slots <- struct{}{}:
	default:
		var streamDone, eof <-chan struct{}
		if s != nil {
			streamDone, eof = s.ctx.Done(), s.eof
		}
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-streamDone:
			return context.Cause(s.ctx)
		case <-eof:
			return ErrStreamClosed
		case <-p.closing:
			return ErrClosed
		}
	}
	if !p.enter() {
		<-p.slots
		return ErrClosed
	}
	p.startOnce.Do(p.start)
	return nil
}

func (p *Pipeline[T]) start() {
	p.begun.Store(time.Now().UnixNano())
	p.strat.start()
}

// newMessage makes an accepted message ready for its first step. parent is the caller's
// context (Process), or the stream's, which is derived from the pipeline's already (derived).
func (p *Pipeline[T]) newMessage(parent context.Context, v T, derived bool) *message[T] {
	return p.newMessageOf(arrival[T]{ctx: parent, derived: derived}, v)
}

// arrival is what a new message comes with besides its value: its context — the caller's, or one
// derived from the pipeline's already, with what releases it — and the stream it comes by.
type arrival[T any] struct {
	ctx     context.Context
	derived bool
	detach  func() bool
	cancel  context.CancelCauseFunc
	stream  *Stream[T]
	seq     uint64
}

// newMessageOf is newMessage for a message that arrives as a says.
func (p *Pipeline[T]) newMessageOf(a arrival[T], v T) *message[T] {
	m := p.pool.Get().(*message[T]) // reset by release
	m.value = v
	if a.derived {
		m.ctx, m.detach, m.cancelCause = a.ctx, a.detach, a.cancel
	} else {
		m.ctx, m.detach, m.cancelCause = p.derive(a.ctx)
	}
	if s := a.stream; s != nil {
		m.sink, m.seq = s.sink, a.seq
		if s.failFast {
			m.failFast = s.cancel
		}
	}
	if p.cfg.msgTimeout > 0 {
		m.ctx, m.cancel = context.WithTimeoutCause(m.ctx, p.cfg.msgTimeout, errMessageTimeout)
	}
	// The pipeline's own context ends only at Shutdown's deadline, which p.aborted tells more
	// cheaply: a message under it has no done channel to watch between steps.
	if m.ctx != p.base {
		m.done = m.ctx.Done()
		_, m.deadline = m.ctx.Deadline()
	}
	m.id = p.ids.Add(1)
	returned := false
	defer func() {
		if !returned {
			p.exitedAtBegin(m)
		}
	}()
	p.begin(m)
	if p.obs != nil {
		m.accepted = time.Now()
		p.emit(m, Event{Kind: MessageAccepted, Time: m.accepted})
	}
	returned = true
	return m
}

// exitedAtBegin ends a message whose router, key function or observer called runtime.Goexit as
// it was accepted: the goroutine that brought it ends, so the message gets its result here —
// delivered to its stream, or, for a Process caller that will never return, released.
func (p *Pipeline[T]) exitedAtBegin(m *message[T]) {
	m.inObserver = false
	m.slip.route = m.slip.route[:0]
	m.err = fmt.Errorf("%w: called by the router, the key function or an observer as the message was accepted", ErrGoexit)
	sink := m.sink
	p.finish(m)
	if sink == nil {
		p.release(m)
	}
}

// release recycles a delivered message. A message its waiter claimed from an inbox (see
// choreography.claim) is released twice, by its waiter and when its stale copy is dropped: the
// second release ends its time in flight, then recycles it.
func (p *Pipeline[T]) release(m *message[T]) {
	if m.stale.Load() != 0 {
		if m.stale.Add(-1) != 0 {
			return
		}
		p.leave()
		<-p.slots
	}
	if m.slip.errs {
		clear(m.slip.log) // drop references to errors
	}
	m.reset()
	p.pool.Put(m)
}

// enter counts an accepted message, unless the pipeline is closing.
func (p *Pipeline[T]) enter() bool {
	for {
		s := p.state.Load()
		if s&1 != 0 {
			return false
		}
		if p.state.CompareAndSwap(s, s+2) {
			return true
		}
	}
}

// leave counts a finished message and wakes Close when it was the last.
func (p *Pipeline[T]) leave() {
	if p.state.Add(-2) == 1 {
		close(p.drained)
	}
}

// Close stops intake, waits for every message in flight to finish, and stops the pipeline's
// goroutines. Calls made after Close begins fail with ErrClosed; submissions waiting for room
// return ErrClosed. Results already finished stay readable from their streams. Close is safe
// to call before any use, twice, and concurrently; every call returns after the pipeline has
// stopped, and returns nil.
//
// Called from inside a stage while the pipeline has messages in flight, Close cannot wait (it
// would wait for its own caller's message): it stops intake, returns an error matching
// ErrReentrant at once, and the pipeline stops by itself once its messages have finished.
func (p *Pipeline[T]) Close() error {
	p.closeOnce.Do(p.beginClose)
	if err := p.notFromStage("Close"); err != nil {
		return err
	}
	<-p.drained
	p.stop()
	return nil
}

// notFromStage is Close's and Shutdown's check that they are not waiting for their caller: when
// called from inside a stage while messages are in flight, it arranges for the pipeline to stop
// once they finish and returns ErrReentrant.
func (p *Pipeline[T]) notFromStage(call string) error {
	if p.state.Load()>>1 == 0 || !insideStage() {
		return nil
	}
	go p.stopWhenDrained()
	return fmt.Errorf("%w: %s called inside a stage while messages are in flight; the pipeline stops once they finish", ErrReentrant, call)
}

func (p *Pipeline[T]) stopWhenDrained() {
	<-p.drained
	p.stop()
}

// Shutdown is Close with a deadline: it returns nil once every message in flight has finished,
// or, when ctx is done first, aborts the rest at once and returns an error matching ErrAborted
// that says how many there were. Aborting cancels the context of every message still in flight
// with a cause matching ErrAborted: the steps running see it (if they honour their context),
// no further step starts, completed steps are compensated, and each message still gets exactly
// one result, with an error matching ErrAborted. Shutdown does not wait for that: like
// http.Server.Shutdown it returns at its deadline, even when a stage ignores its context. The
// pipeline's goroutines (and those of stages still running) then outlive Shutdown until the
// last of those messages finishes; a later Close waits for them. Called from inside a stage
// (with its step's context, or while messages are in flight), Shutdown returns ErrReentrant.
func (p *Pipeline[T]) Shutdown(ctx context.Context) error {
	if p.reentrant(ctx) {
		p.closeOnce.Do(p.beginClose)
		go p.stopWhenDrained()
		return fmt.Errorf("%w: Shutdown given a context of this pipeline's own message; the pipeline stops once its messages finish", ErrReentrant)
	}
	p.closeOnce.Do(p.beginClose)
	if err := p.notFromStage("Shutdown"); err != nil {
		return err
	}
	select {
	case <-p.drained:
		p.stop()
		return nil
	case <-ctx.Done():
	}
	n := p.state.Load() >> 1
	if n == 0 {
		<-p.drained
		p.stop()
		return nil
	}
	p.aborted.Store(true)
	p.abort(errShutdownDeadline)
	go p.stopWhenDrained()
	return fmt.Errorf("%w: %d message(s) still in flight at the deadline (%w)", ErrAborted, n, ctx.Err())
}

func (p *Pipeline[T]) beginClose() {
	close(p.closing)
	if p.state.Or(1) == 0 {
		close(p.drained)
	}
}

func (p *Pipeline[T]) stop() {
	p.stopOnce.Do(func() {
		p.live.freeze() // stats.go: Elapsed, Throughput and the rates stop here
		// Every start happened before its message was accepted, so before drained closed;
		// claiming startOnce here tells whether there was one and forbids any later.
		started := true
		p.startOnce.Do(func() { started = false })
		if started {
			p.strat.stop()
		}
	})
}
