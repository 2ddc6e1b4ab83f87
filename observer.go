package baton

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Observer is told what happens to each message, by the shared step code, so both strategies
// report the same events per message in the same order. Observe is called from the goroutine
// running the message — concurrently for different messages — and should be quick: it runs on
// the message's path. A panic in Observe is contained: the message goes on, the first panic is
// reported once through slog.Default, and Stats counts them. Observe must not call
// runtime.Goexit (t.FailNow, require.* in a test): report with t.Error instead.
//
// With no observer (the default) the step path pays one predictable branch per event site and
// allocates nothing.
type Observer interface {
	Observe(Event)
}

// ContextObserver is an Observer that also chooses the context each step runs with: StepContext
// is called as each attempt of a step starts, just after its StepStarted event, and as each
// compensation starts, just after CompensationStarted, with the context the stage would get and
// that event; the context it returns is the one the stage's Process (or Compensate) receives.
// It must derive from ctx — add values (a span, a logger), never drop ctx's cancellation or
// deadline. The otel module uses it so that a span a stage starts is a child of its step's span.
//
// StepContext is called from the goroutine running the message, like Observe, and should be as
// quick. A panic in it is contained: the stage gets ctx unchanged, and Stats counts the panic.
// Cost: one call per attempt and compensation, only when the observer implements it.
type ContextObserver interface {
	Observer
	StepContext(ctx context.Context, e Event) context.Context
}

// SendObserver is an Observer that also chooses the context an engine carries with a message
// (WithEngine): SendContext is called as each message is sent to its first step, just before
// the engine's Send, with the context Send would get — the message's values, without its
// cancellation — and the message's MessageAccepted event (Stage: the first step's stage); Send
// gets the context it returns. It must derive from ctx. The otel module puts the message's
// span there, so that the trace context the engine propagates in the message's headers makes
// the steps other processes run children of that span.
//
// SendContext is called from the goroutine submitting the message, once per message, only
// under an engine; a panic in it is contained (Send gets ctx unchanged, and Stats counts the
// panic). It must not call runtime.Goexit: if it does, the message ends with ErrGoexit.
type SendObserver interface {
	Observer
	SendContext(ctx context.Context, e Event) context.Context
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// EventKind says what an Event reports.
type EventKind uint8

const (
	MessageAccepted EventKind = iota + 1 // a message was accepted and given its slip
	StepStarted                          // an attempt of a step starts (Stage, Attempt)
	// StepEnded: an attempt ended (Duration, Err; Outcome on the step's last attempt). Exactly
	// one is sent per attempt. An attempt that will be retried has its StepEnded, without
	// Outcome, before RetryScheduled. If the wait for the retry is then cut short (a
	// cancellation, a timeout), the step ends there and no further StepEnded is sent: its
	// outcome shows in the message's next events.
	StepEnded
	RetryScheduled      // a failed attempt will be retried after Backoff
	SlipRevised         // the step that ended revised the slip (Remaining)
	CompensationStarted // compensation of a completed step starts
	CompensationEnded   // it ended (Outcome, Err, Duration)
	MessageFinished     // the message finished (Err; Duration since accepted)
)

var eventNames = [...]string{"", "message accepted", "step started", "step ended", "retry scheduled",
	"slip revised", "compensation started", "compensation ended", "message finished"}

func (k EventKind) String() string {
	if k != 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one thing that happened to a message. Fields that do not apply to its Kind are zero.
type Event struct {
	Kind     EventKind
	Strategy Strategy
	// Pipeline is the pipeline's name (WithName), "" by default.
	Pipeline string
	// Context is the message's context: the one given to Process or Stream (with the message
	// timeout, when set). Observers may read its values (a parent span, a request ID).
	Context context.Context
	// Message is the message's ID (Result.ID): the pipeline numbers its messages from 1 in the
	// order it accepts them.
	Message uint64
	// Key is the message's own key, from WithKey ("" without it).
	Key      string
	Stage    string
	Attempt  int           // attempt number, from 1 (StepStarted, StepEnded, RetryScheduled, Compensation*)
	Outcome  Outcome       // the step's outcome, on a step's last StepEnded and on CompensationEnded
	Err      error         // the attempt's, compensation's or message's error
	Time     time.Time     // when it happened
	Duration time.Duration // of the attempt (StepEnded), compensation, or whole message (MessageFinished)
	Backoff  time.Duration // the wait before the retry (RetryScheduled)
	// Compensation marks a RetryScheduled of a compensation rather than of a step.
	Compensation bool
	// Remaining is the itinerary after the step, for SlipRevised.
	Remaining []string
}

// observers delivers events, containing observer panics.
type observers struct {
	o        Observer
	ctx      ContextObserver // o, when it is one
	send     SendObserver    // o, when it is one
	panics   atomic.Int64
	reported sync.Once
}

// panicked counts a panic of the observer, and reports the first through slog.Default.
func (obs *observers) panicked(r any, e Event) {
	obs.panics.Add(1)
	obs.reported.Do(func() {
		slog.Error("baton: observer panicked; further panics are counted in Stats.ObserverPanics",
			"panic", fmt.Sprint(r), "event", e.Kind.String(), "stack", string(debug.Stack()))
	})
}

// stepContext calls the ContextObserver, containing its panics.
func (obs *observers) stepContext(ctx context.Context, e Event) (out context.Context) {
	defer func() {
		if r := recover(); r != nil {
			obs.panicked(r, e)
			out = ctx
		}
	}()
	if out = obs.ctx.StepContext(ctx, e); out == nil {
		out = ctx
	}
	return out
}

// sendContext calls the SendObserver, containing its panics.
func (obs *observers) sendContext(ctx context.Context, e Event) (out context.Context) {
	defer func() {
		if r := recover(); r != nil {
			obs.panicked(r, e)
			out = ctx
		}
	}()
	if out = obs.send.SendContext(ctx, e); out == nil {
		out = ctx
	}
	return out
}

func (obs *observers) emit(e Event) {
	defer func() {
		if r := recover(); r != nil {
			obs.panicked(r, e)
		}
	}()
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	obs.o.Observe(e)
}

// WithObserver installs o to be told of every message's events (see Observer). It also turns on
// step timing (WithTiming).
func WithObserver(o Observer) Option {
	return func(c *config) {
		if o == nil {
			c.errs = append(c.errs, fmt.Errorf("WithObserver(nil)"))
		}
		c.observer = o
		c.timing = true
	}
}

// WithTiming makes the pipeline time every step: each StepRecord gets its Start and Duration,
// and Stats its per-stage latency quantiles, steps running, and Processed counted as each step
// succeeds. It is off by default, so that a step costs only the work itself; its cost is in the
// package doc, "Cost".
func WithTiming() Option { return func(c *config) { c.timing = true } }

// stepContext asks the ContextObserver for the context of the attempt or compensation e starts.
func (p *Pipeline[T]) stepContext(ctx context.Context, m *message[T], e Event) context.Context {
	e.Message, e.Key, e.Strategy, e.Pipeline, e.Context = m.id, m.key, p.cfg.strategy, p.cfg.name, ctx
	m.inObserver = true
	ctx = p.obs.stepContext(ctx, e)
	m.inObserver = false
	return ctx
}

// emit tells the observer of e, an event of message m. While it runs, m.inObserver tells a
// Goexit of the observer's from a stage's (see stagePanicked).
func (p *Pipeline[T]) emit(m *message[T], e Event) {
	e.Message, e.Key, e.Strategy, e.Pipeline, e.Context = m.id, m.key, p.cfg.strategy, p.cfg.name, m.ctx
	m.inObserver = true
	p.obs.emit(e)
	m.inObserver = false
}

// observerExited ends m, whose observer called runtime.Goexit during one of its steps or
// compensations: it is unsupported (see Observer), and the message's state may be half-way
// through a step, so the message ends at once with ErrGoexit, its remaining steps and
// compensations skipped, and the strategy carries it to its result in another goroutine.
func (p *Pipeline[T]) observerExited(m *message[T]) {
	m.inObserver, m.inStage = false, false
	if m.stepCancel != nil {
		m.stepCancel()
		m.stepCancel = nil
	}
	if m.running {
		p.stages[m.slip.route[m.slip.pos].stage].stats.running.Add(-1)
		m.running = false
	}
	m.err = &goexitError{who: "an observer", what: "; the message's remaining steps and compensations were skipped"}
	m.slip.flush()
	m.compensating, m.comp, m.compStart = true, 0, len(m.slip.log)
}
