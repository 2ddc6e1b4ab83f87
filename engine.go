package baton

import (
	"context"
	"errors"
	"fmt"
)

// This file is the engine seam: how a pipeline's messages travel between its steps through
// something other than this process's goroutines — a message system (the jetstream module), a
// durable-execution server (the temporal module) — while every rule stays Baton's own.
//
// The pipeline stays the pipeline. Process, Run, Stream, Close, Shutdown, Stats and Results are
// its code under every engine; so are the step (step.go, attempt.go), the itinerary
// (itinerary.go), compensation (compensate.go) and a message's end (message.go). An engine only
// carries a message's encoded state from one step to the next:
//
//	submitter                  engine                        worker (any process)
//	accept, begin, next ──── Send(env) ─────────────▶ Host.Step(env): decode, act, next, encode
//	                                ◀────────────────  returns env for the next stage (or "" = done)
//	                         carries it to that stage's worker, again and again, then back:
//	Host.Deliver(env): decode, finish ◀──── env with Stage "" ───────────────
//
// A process that submits and one that hosts stages are both a Pipeline built with the same
// stages and WithEngine; a process may be both. The state carries the value, the slip
// (itinerary, cursor, hops, log with its timings, the compensation cursor), the error, the
// key, the ID and the message's deadline: the value is encoded by the pipeline's Codec
// (WithCodec, JSON by default), the rest by Baton in a compact binary form (StateVersion); errors keep their types and sentinels across the boundary (see WithSentinels).

// Engine carries a pipeline's messages between its steps. It is given to one pipeline by
// WithEngine; New calls Attach once, the pipeline calls Send for each message it accepts
// (concurrently), and Close once, when the pipeline stops. The engine calls the Host it was
// attached to: Step and Fail in the processes hosting a message's next stage, Deliver and Lost
// in the process that submitted it. An Engine must be safe for concurrent use.
type Engine interface {
	// Strategy is the strategy the engine runs: what the pipeline reports as its own. New
	// refuses a pipeline given a different one by WithStrategy.
	Strategy() Strategy
	// Attach binds the engine to the pipeline New is building, before New returns. An error
	// makes New fail with it (wrapped, matching ErrInvalidPipeline). An engine may start its
	// goroutines here (consumers of the stages its process hosts), or lazily.
	Attach(h Host) error
	// Send carries a newly accepted message, whose encoded state env holds, to env.Stage. It
	// returns once the engine holds it (a persisted publish, say). Its error fails the message
	// before its first step, wrapped with ErrEngine. ctx carries the message's context values
	// (a trace to propagate), never its cancellation.
	Send(ctx context.Context, env Envelope) error
	// Close stops the engine once the pipeline has no message in flight: it stops taking work,
	// lets the steps running finish and hand their messages on, and releases what it holds.
	// Work it had not started stays with the message system, for another process.
	Close() error
}

// InboxCounter is implemented by an engine that can tell how many messages wait for a stage
// (queued, not yet started): Stats reports it as the stage's Inbox, which is 0 otherwise.
// Stats calls it once per stage; it should answer from what the engine knows already.
type InboxCounter interface {
	Inbox(stage string) int
}

// Envelope is one hand-off of a message between two steps, as an engine carries it: the
// encoded state, and the few fields an engine needs without decoding it.
type Envelope struct {
	// ID is the message's ID in the pipeline that submitted it (Result.ID).
	ID uint64
	// Key is the message's own key (WithKey), "" without one.
	Key string
	// Origin names the submitting pipeline within the engine; it is the engine's to set (the
	// Host leaves it as it was given), and with ID and Step it makes StepKey.
	Origin string
	// Local is set by the engine when the message was submitted through this very pipeline: its
	// step then runs under its submitter's context (its values and its cancellation), as it
	// would in process. A step arriving from another process runs under a context with the
	// message's deadline, and the values of the ctx given to Step (a trace context the engine
	// carried in its message's headers, say), but not its cancellation unless the engine
	// marked that ctx WithStepCancellation.
	Local bool
	// Stage is the stage that acts on the message next; "" when the message is finished and
	// goes back to its submitter (Host.Deliver).
	Stage string
	// Step numbers the hand-offs of one message from 1 (the one Send carries). Origin, ID and
	// Step identify a hand-off: an engine deduplicates on them, so that a step run twice (a
	// redelivery after a crash) hands its message on once.
	Step int
	// State is the message's encoded state. Only the Host reads it.
	State []byte
}

// Host is a pipeline as its engine sees it: the operations an engine calls to run a step of
// a message it carries, and to give a finished message back to its submitter. Its methods
// are safe for concurrent use. Their errors match ErrEngine when the envelope could not be
// read (an undecodable state, a stage this pipeline does not have, another version of the
// state's encoding): the engine then reports the message to its submitter with Lost, rather
// than retrying what cannot succeed.
type Host interface {
	// Stages returns the pipeline's stage names, in declaration order.
	Stages() []string
	// Workers returns the Workers option of the named stage (0 when it has none): the
	// concurrency an engine gives the stage.
	Workers(stage string) int
	// Step runs the pending action of the message in env at env.Stage — its step, with every
	// policy of the stage (retries, backoff, timeouts, optional), or a compensation — and
	// returns the envelope of the next hand-off: Step is env.Step+1, Stage the stage that acts
	// next, or "" when the message is finished. It decides nothing the in-process strategies
	// would not: it runs their functions. A stage's panic or runtime.Goexit is the step's
	// failure, as in process; Step runs the stage in a goroutine of its own, so the engine's
	// goroutine never sees either. The step's context has ctx's values (a Local message's,
	// while its submitter waits, has its submitter's instead: see Envelope.Local); ctx's
	// cancellation reaches it, either way, only when ctx is marked WithStepCancellation.
	Step(ctx context.Context, env Envelope) (Envelope, error)
	// Fail ends the pending action of the message in env at env.Stage without running it:
	// the step fails with reason (tolerated when optional), or the compensation fails with it.
	// An engine calls it when it gives up on a step (its deliveries ran out: a worker kept
	// crashing), so that the message is compensated and gets its result instead of being
	// stranded. reason should match ErrEngine.
	Fail(ctx context.Context, env Envelope, reason error) (Envelope, error)
	// Deliver gives a finished message (Stage "") back to the pipeline that submitted it,
	// which finishes it: its result goes to its caller. It returns an error matching
	// ErrUnknownMessage when the pipeline has no such message in flight (a duplicate, or a
	// message of an earlier run of the process): the engine drops it.
	Deliver(env Envelope) error
	// Lost ends the message id, whose state could not be carried on, with reason (which should
	// match ErrEngine): its result carries reason, and the value and log it had when it was
	// submitted. It returns an error matching ErrUnknownMessage as Deliver does.
	Lost(id uint64, reason error) error
}

var (
	// ErrEngine matches the error of a message that its engine could not carry: a failed
	// Send, a state that could not be decoded, a stage unknown to the process it reached,
	// another version of the state's encoding, a step whose deliveries ran out.
	ErrEngine = errors.New("baton: engine")
	// ErrUnknownMessage is returned by Host.Deliver and Host.Lost for a message the pipeline
	// does not have in flight.
	ErrUnknownMessage = errors.New("baton: no such message in flight")
)

// WithEngine makes the pipeline carry its messages between steps through e, possibly between
// processes (see Engine). The pipeline reports e's strategy. Everything observable stays
// decided by the pipeline's own step code, so results, errors, logs and compensation are
// those of the in-process strategies; what differs is declared by the engine (see its
// documentation): a remote step sees its message's deadline but not its cancellation, and
// Stats' stage counters count the steps each process ran. An engine belongs to one pipeline:
// New fails if e is nil or refuses to attach.
func WithEngine(e Engine) Option {
	return func(c *config) {
		if e == nil {
			c.errs = append(c.errs, errors.New("WithEngine(nil)"))
			return
		}
		c.engine = e
	}
}

type stepKeyKey struct{}

// StepKey returns the idempotency key of the step running under ctx, when an engine carries
// the message: "origin/id/step", the same each time the same step of the same message runs —
// after a crash an engine may run a step more than once, so a stage whose side effect must
// happen once records it under this key. It returns "", false for in-process steps.
func StepKey(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(stepKeyKey{}).(string)
	return k, ok
}

// useEngine checks the engine options at New and builds the sentinels' registry.
func (p *Pipeline[T]) useEngine(e Engine) []error {
	var errs []error
	s := safeStrategy(e)
	if p.cfg.strategySet && p.cfg.strategy != s {
		errs = append(errs, fmt.Errorf("WithEngine: the engine runs the %v strategy, WithStrategy asks for %v", s, p.cfg.strategy))
	}
	p.cfg.strategy = s
	sent, err := newSentinels(p.cfg.sentinels)
	if err != nil {
		errs = append(errs, err)
	}
	p.sent = sent
	return errs
}

// safeStrategy is e.Strategy(), contained.
func safeStrategy(e Engine) (s Strategy) {
	if err := safely(func() { s = e.Strategy() }); err != nil {
		return Choreographed
	}
	return s
}

// attach makes the remote strategy and attaches the engine to it: the last step of New.
func (p *Pipeline[T]) attach() error {
	r := newRemote(p, p.cfg.engine)
	p.strat = r
	var err error
	if perr := safely(func() { err = p.cfg.engine.Attach(r) }); perr != nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("WithEngine: attaching the engine: %w", err)
	}
	return nil
}
