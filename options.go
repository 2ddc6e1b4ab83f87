package baton

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Strategy is how a pipeline coordinates its stages. It is the only thing that differs between
// the two: stages, slips, options, results, errors and events are the same under both.
type Strategy uint8

const (
	// Orchestrated runs each message's steps from a central executor: Process runs them in the
	// caller's goroutine, streams on a bounded set of driver goroutines. See orchestrator.go.
	Orchestrated Strategy = iota
	// Choreographed gives each stage its own goroutines and inbox; after a step the stage reads
	// the slip and hands the message to the next stage itself. See choreography.go.
	Choreographed
)

// String returns "orchestrated" or "choreographed", or "Strategy(n)" for an unknown value.
func (s Strategy) String() string {
	switch s {
	case Orchestrated:
		return "orchestrated"
	case Choreographed:
		return "choreographed"
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// ParseStrategy returns the Strategy named name: "orchestrated" or "choreographed", in any
// case. Any other name is an error that names it.
func ParseStrategy(name string) (Strategy, error) {
	for _, s := range []Strategy{Orchestrated, Choreographed} {
		if strings.EqualFold(name, s.String()) {
			return s, nil
		}
	}
	return 0, fmt.Errorf("baton: unknown strategy %q: want \"orchestrated\" or \"choreographed\"", name)
}

// MarshalText implements encoding.TextMarshaler: the strategy's name, as String gives it. An
// unknown value is an error.
func (s Strategy) MarshalText() ([]byte, error) {
	if s != Orchestrated && s != Choreographed {
		return nil, fmt.Errorf("baton: cannot marshal unknown strategy %v", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler, as ParseStrategy does: "orchestrated" or
// "choreographed", in any case. On error s is unchanged. With it a Strategy can be a
// command-line flag (flag.TextVar) or a field of a JSON, YAML or TOML configuration.
func (s *Strategy) UnmarshalText(text []byte) error {
	v, err := ParseStrategy(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Option configures a Pipeline at New. Options are read once; a pipeline's configuration never
// changes after New. Options are values: applying one never changes it, so the same Option may
// be given to any number of News and means the same to each (an invalid one is refused by each).
// The same holds for StageOption and StreamOption.
type Option func(*config)

// DefaultMaxInFlight is the default bound on messages in flight in one pipeline.
const DefaultMaxInFlight = 256

// MaxInFlightLimit is the largest bound WithMaxInFlight accepts. Under choreography every stage's
// inbox has room for that many messages (8 bytes each).
const MaxInFlightLimit = 1 << 16

// DefaultHopLimit is the least hop limit a pipeline gets by default; pipelines with many stages
// get ten hops per stage.
const DefaultHopLimit = 1000

type config struct {
	strategy    Strategy
	maxInFlight int
	ordered     bool
	router      any // func(T) []string, checked at New
	key         any // func(T) string, checked at New
	allowEmpty  bool
	privateLogs bool
	hopLimit    int
	minDrivers  int // WithDrivers'
	msgTimeout  time.Duration
	observer    Observer
	timing      bool
	name        string
	errs        []error

	// engine.go: an engine carrying the messages, how their state is encoded, and the user's
	// sentinels known across processes.
	engine      Engine
	codec       Codec
	sentinels   []error
	strategySet bool
}

func newConfig(nstages int, opts []Option) config {
	c := config{
		maxInFlight: DefaultMaxInFlight,
		hopLimit:    max(DefaultHopLimit, 10*nstages),
	}
	for _, o := range opts {
		if o == nil {
			c.errs = append(c.errs, errors.New("nil Option"))
			continue
		}
		o(&c)
	}
	return c
}

// WithStrategy chooses how the pipeline coordinates its stages (default Orchestrated).
func WithStrategy(s Strategy) Option {
	return func(c *config) {
		if s != Orchestrated && s != Choreographed {
			c.errs = append(c.errs, fmt.Errorf("unknown strategy %v", s))
		}
		c.strategy, c.strategySet = s, true
	}
}

// WithMaxInFlight bounds the messages in flight: accepted and not yet delivered to the caller.
// Process and Submit block, honouring their context, while the bound is reached. Default
// DefaultMaxInFlight. Under choreography it is also each inbox's capacity, which is what makes
// the stage graph deadlock-free: no send can find an inbox full.
func WithMaxInFlight(n int) Option {
	return func(c *config) {
		if n < 1 || n > MaxInFlightLimit {
			c.errs = append(c.errs, fmt.Errorf("WithMaxInFlight(%d): must be in [1, %d]", n, MaxInFlightLimit))
			c.maxInFlight = 1 // never n itself: the option must stay as it was given
			return
		}
		c.maxInFlight = n
	}
}

// WithSubmissionOrder makes streams deliver results in the order the messages were submitted,
// instead of the default completion order. A slow message then holds back the results behind it
// (they still count against the in-flight bound until delivered).
func WithSubmissionOrder() Option { return func(c *config) { c.ordered = true } }

// WithRouter computes each message's itinerary from the message itself when it is accepted,
// instead of every stage in declaration order. A name the pipeline does not know fails that
// message with ErrUnknownStage, and a panic in it fails the message with ErrPanic. An empty
// itinerary (nil or no names) fails the message with ErrEmptyItinerary, having taken no step;
// with AllowEmptyItinerary it means instead that the message completes unchanged, with no step.
// route is called concurrently and must be safe for that; it must not call runtime.Goexit.
func WithRouter[T any](route func(msg T) []string) Option {
	return func(c *config) {
		if route == nil {
			c.errs = append(c.errs, errors.New("WithRouter(nil)"))
			return
		}
		c.router = route
	}
}

// AllowEmptyItinerary makes an empty itinerary from WithRouter's router (nil or no names) mean
// "nothing to do": the message completes unchanged, with no step, a nil error and an empty log.
// Without it such a message fails with ErrEmptyItinerary, so that a router that forgot a case
// does not let messages through untouched. It changes nothing without WithRouter.
func AllowEmptyItinerary() Option { return func(c *config) { c.allowEmpty = true } }

// WithKey gives each message a key of the user's own — an order ID, a document ID — computed
// from the message when it is accepted. The key is in the message's Result (Result.Key), its
// events (Event.Key), the slog observer's records and the otel module's spans, beside the ID
// Baton gives every message (Result.ID). key is called once per message, concurrently, and must
// be safe for that; a panic in it fails the message with an error matching ErrPanic. Cost: one
// call per message.
func WithKey[T any](key func(msg T) string) Option {
	return func(c *config) {
		if key == nil {
			c.errs = append(c.errs, errors.New("WithKey(nil)"))
			return
		}
		c.key = key
	}
}

// WithPrivateLogs gives every Result its own Log, so that changing one result's log in place
// can never change another's. By default the results of messages that completed the default
// itinerary unrevised share one read-only log (see Result.Log), which costs nothing; with this
// option each costs one allocation per message.
func WithPrivateLogs() Option { return func(c *config) { c.privateLogs = true } }

// WithHopLimit caps the steps one message may take (default the larger of DefaultHopLimit and
// ten per stage). A message reaching it fails with ErrHopLimit.
func WithHopLimit(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithHopLimit(%d): must be at least 1", n))
		}
		c.hopLimit = n
	}
}

// WithDrivers makes orchestration run at least n driver goroutines for streamed messages. By
// default it runs as many as choreography has stage goroutines (the stages' Workers together,
// at least GOMAXPROCS), which gives both strategies the same concurrency; raising it lets
// orchestrated streams run more steps of stages without Workers at once than choreography's
// single goroutine per such stage would. It changes nothing under choreography, nor for Process.
//
// Deprecated: set Workers on the stages whose concurrency matters: both strategies then follow
// it. WithDrivers remains for programs written before drivers followed Workers.
func WithDrivers(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithDrivers(%d): must be at least 1", n))
			return
		}
		c.minDrivers = n
	}
}

// WithMessageTimeout bounds each message end to end, from its acceptance: when d passes, the
// step running sees its context cancelled, no further step starts (also for a message waiting
// in an inbox or for a worker), and the message fails with an error matching ErrTimeout and
// context.DeadlineExceeded, its completed steps compensated. A step that ignores its context
// and returns success after the deadline fails all the same: its value is dropped (see the
// package doc, "Stopping a message"). Cost: one context per message.
func WithMessageTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("WithMessageTimeout(%v): must be positive", d))
		}
		c.msgTimeout = d
	}
}

// WithName names the pipeline; events carry the name (Event.Pipeline), so one Observer can tell
// pipelines apart.
func WithName(name string) Option { return func(c *config) { c.name = name } }
