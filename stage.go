package baton

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Stage is one transformation of a pipeline: a name, unique within the pipeline, and a method
// that processes one message.
//
// Process receives the message and its slip. It returns the transformed message, or an error to
// fail this attempt; the value returned with an error is ignored. The slip may be revised (see
// Slip) while Process runs; revisions made by an attempt that fails are undone before the next
// attempt. Process must not keep the slip after it returns.
//
// Process may be called concurrently for different messages, as many at once as the stage's
// Workers option allows; ctx is cancelled when the message is cancelled or a timeout set by the
// stage's options or the pipeline's runs out.
//
// New calls Name once per stage; a Name that panics makes New refuse the pipeline with an error
// matching ErrInvalidPipeline (and ErrPanic) that names the stage by its index.
type Stage[T any] interface {
	Name() string
	Process(ctx context.Context, msg T, slip *Slip) (T, error)
}

// Compensator is implemented by stages that can undo their work. When a message fails, each
// step it completed, whose stage is a Compensator, is compensated in the reverse order of
// completion. msg is the message as it was when the failure happened (it carries what every
// completed step produced). ctx is not cancelled with the message: compensation runs even for a
// cancelled message, bounded by the stage's compensation timeout when set.
type Compensator[T any] interface {
	Compensate(ctx context.Context, msg T) error
}

// Func adapts a plain function to a Stage named name. opts set the stage's policies. A nil fn
// or a nil option does not fail here: New refuses the stage, with an error matching
// ErrInvalidPipeline that names it.
func Func[T any](name string, fn func(context.Context, T) (T, error), opts ...StageOption) Stage[T] {
	return &funcStage[T]{name: name, fn: fn, cfg: applyStageOptions(opts)}
}

// SlipFunc adapts a function that also reads or revises the message's slip to a Stage. As with
// Func, New refuses the stage when fn or an option is nil.
func SlipFunc[T any](name string, fn func(context.Context, T, *Slip) (T, error), opts ...StageOption) Stage[T] {
	return &slipFuncStage[T]{name: name, fn: fn, cfg: applyStageOptions(opts)}
}

// Compensable returns a stage that behaves as s and compensates with undo: the quickest way to
// give a Func stage a Compensator. It keeps s's policies. New refuses the stage when s or undo is
// nil (with an error matching ErrInvalidPipeline that names the stage: by its name, or by its
// index when s is nil).
func Compensable[T any](s Stage[T], undo func(ctx context.Context, msg T) error) Stage[T] {
	return &compStage[T]{Stage: s, undo: undo}
}

// WithCompensation is Compensable.
//
// Deprecated: use Compensable; the With prefix belongs to pipeline options.
func WithCompensation[T any](s Stage[T], undo func(ctx context.Context, msg T) error) Stage[T] {
	return Compensable(s, undo)
}

// Wrapper is implemented by a stage that wraps another — middleware that adds logging,
// metrics or fault injection around a stage. Baton follows Unwrap, as errors.Unwrap does, to
// find the wrapped stage's policies (Workers, Retry, timeouts, Optional, compensation policy)
// and its Compensator, unless the wrapper has its own: a wrapper that embeds Stage[T] and
// implements Unwrap keeps everything the wrapped stage had. A wrapper that implements
// Compensate itself is the Compensator (and may call the wrapped one).
type Wrapper[T any] interface {
	Stage[T]
	Unwrap() Stage[T]
}

// maxUnwrap bounds how deep Baton follows Unwrap: a chain longer than that (a cycle, most
// likely) is refused at New.
const maxUnwrap = 64

// unwrapped returns what s wraps, or nil.
func unwrapped[T any](s Stage[T]) Stage[T] {
	if w, ok := s.(interface{ Unwrap() Stage[T] }); ok {
		return w.Unwrap()
	}
	return nil
}

// Configure returns a stage that behaves as s with opts applied over any options s already
// carries. It keeps s's Compensator. New refuses the stage when s or an option is nil.
func Configure[T any](s Stage[T], opts ...StageOption) Stage[T] {
	cfg := stageConfigOf(s)
	cfg.apply(opts)
	return &configured[T]{Stage: s, cfg: cfg}
}

// OptionsOf returns a StageOption that gives a stage the options s carries (Workers, Retry,
// timeouts, Optional, compensation policy). OptionsOf(s) for a stage without options is a no-op.
//
// Deprecated: give the wrapper an Unwrap method instead (see Wrapper): Baton then keeps the
// wrapped stage's policies and its Compensator too.
func OptionsOf[T any](s Stage[T]) StageOption {
	cfg := stageConfigOf(s)
	return func(c *stageConfig) {
		err := c.err // a nil option given before this one still counts
		*c = cfg
		if c.err == nil {
			c.err = err
		}
	}
}

type funcStage[T any] struct {
	name string
	fn   func(context.Context, T) (T, error)
	cfg  stageConfig
}

func (s *funcStage[T]) Name() string { return s.name }
func (s *funcStage[T]) Process(ctx context.Context, msg T, _ *Slip) (T, error) {
	return s.fn(ctx, msg)
}
func (s *funcStage[T]) stageConfig() stageConfig { return s.cfg }
func (s *funcStage[T]) invalid() error {
	if s.fn == nil {
		return errors.New("Func with a nil function")
	}
	return nil
}

type slipFuncStage[T any] struct {
	name string
	fn   func(context.Context, T, *Slip) (T, error)
	cfg  stageConfig
}

func (s *slipFuncStage[T]) Name() string { return s.name }
func (s *slipFuncStage[T]) Process(ctx context.Context, msg T, slip *Slip) (T, error) {
	return s.fn(ctx, msg, slip)
}
func (s *slipFuncStage[T]) stageConfig() stageConfig { return s.cfg }
func (s *slipFuncStage[T]) invalid() error {
	if s.fn == nil {
		return errors.New("SlipFunc with a nil function")
	}
	return nil
}

type compStage[T any] struct {
	Stage[T]
	undo func(context.Context, T) error
}

func (s *compStage[T]) Compensate(ctx context.Context, msg T) error { return s.undo(ctx, msg) }
func (s *compStage[T]) stageConfig() stageConfig                    { return stageConfigOf(s.Stage) }
func (s *compStage[T]) invalid() error {
	if s.Stage == nil {
		return fmt.Errorf("Compensable of a %w", errNilStage)
	}
	err := invalidOf(s.Stage)
	if s.undo == nil {
		const undo = "Compensable with a nil undo function"
		if err != nil {
			return fmt.Errorf("%w; %s", err, undo)
		}
		return errors.New(undo)
	}
	return err
}

type configured[T any] struct {
	Stage[T]
	cfg stageConfig
}

func (s *configured[T]) stageConfig() stageConfig { return s.cfg }
func (s *configured[T]) invalid() error {
	if s.Stage == nil {
		return fmt.Errorf("Configure of a %w", errNilStage)
	}
	return invalidOf(s.Stage)
}
func (s *configured[T]) compensator() Compensator[T] {
	return compensatorOf(s.Stage)
}

// compensatorOf finds the Compensator behind s (see behind).
func compensatorOf[T any](s Stage[T]) Compensator[T] { return behind[Compensator[T]](s) }

// behind finds the first stage of s's chain of wrappers that is an I (a Compensator, a
// Tolerator), looking through Configure's and Compensable's wrappers and any Wrapper's Unwrap;
// the zero I when none is.
func behind[I any, T any](s Stage[T]) (none I) {
	for range maxUnwrap {
		if s == nil {
			return none
		}
		if c, ok := any(s).(I); ok {
			return c
		}
		switch c := s.(type) {
		case *configured[T]:
			s = c.Stage
		case *compStage[T]:
			s = c.Stage
		default:
			s = unwrapped(s)
		}
	}
	return none
}

// errNilStage marks a misuse of an adapter given a nil stage: the stage has no name, so New
// names it by its index.
var errNilStage = errors.New("nil stage")

// invalidOf returns the misuse an adapter recorded in s (a nil function, undo or wrapped stage),
// or nil. New asks for it before calling Name, which such a stage may not survive. Nil
// StageOptions are recorded in the stage's stageConfig instead (see stageConfig.validate).
func invalidOf[T any](s Stage[T]) error {
	for range maxUnwrap {
		if v, ok := s.(interface{ invalid() error }); ok {
			return v.invalid()
		}
		if s = unwrapped(s); s == nil {
			return nil
		}
	}
	return fmt.Errorf("Unwrap chain longer than %d stages (a cycle?)", maxUnwrap)
}

var (
	_ Stage[int]       = (*funcStage[int])(nil)
	_ Stage[int]       = (*slipFuncStage[int])(nil)
	_ Compensator[int] = (*compStage[int])(nil)
)

// StageOption sets a policy of one stage; pass them to Func, SlipFunc or Configure. A nil
// StageOption makes the stage invalid: New refuses it, with an error matching
// ErrInvalidPipeline that names the stage and says "nil StageOption".
type StageOption func(*stageConfig)

type stageConfig struct {
	workers     int        // 0: the default (see Workers)
	workersSet  bool       // Workers was given: its n must be at least 1
	step        StepPolicy // every step's at the stage, unless a revision gave it its own
	compRetry   RetryPolicy
	compTimeout time.Duration
	err         error // the first misuse met applying options (a nil StageOption), reported at New
}

func applyStageOptions(opts []StageOption) stageConfig {
	var c stageConfig
	c.apply(opts)
	return c
}

// apply applies opts in order; a nil one is recorded in c.err, for New to report.
func (c *stageConfig) apply(opts []StageOption) {
	for _, o := range opts {
		if o == nil {
			if c.err == nil {
				c.err = errors.New("nil StageOption")
			}
			continue
		}
		o(c)
	}
}

// stageConfigOf returns the policies s carries, looking through any Wrapper's Unwrap.
func stageConfigOf[T any](s Stage[T]) stageConfig {
	for range maxUnwrap {
		if s == nil {
			break
		}
		if c, ok := s.(interface{ stageConfig() stageConfig }); ok {
			return c.stageConfig()
		}
		s = unwrapped(s)
	}
	return stageConfig{}
}

func (c stageConfig) validate() error {
	switch {
	case c.err != nil:
		return c.err
	case c.workersSet && c.workers < 1:
		return fmt.Errorf("Workers(%d): must be at least 1 (leave Workers out for the default)", c.workers)
	case c.compTimeout < 0:
		return errors.New("negative timeout")
	}
	if err := c.step.validate(); err != nil {
		return err
	}
	return c.compRetry.validate()
}

// Workers caps the stage at n steps at once, and lets it have n, under both strategies: under
// choreography n goroutines read the stage's inbox; under orchestration a semaphore of n is taken
// around its steps, and the pipeline has drivers enough to fill it (see orchestrator.go). So the
// same pipeline gets the same concurrency under either strategy. n must be at least 1; New
// refuses Workers(0).
//
// Without the option a stage has one goroutine under choreography, and no cap of its own under
// orchestration: its steps run on the pipeline's drivers (as many as the stages' workers
// together, at least GOMAXPROCS) and in Process callers' goroutines. Set Workers on every stage
// whose concurrency matters.
func Workers(n int) StageOption {
	return func(c *stageConfig) { c.workers, c.workersSet = n, true }
}

// Retry sets the stage's retry policy (default: one attempt).
func Retry(p RetryPolicy) StageOption { return func(c *stageConfig) { c.step.Retry = p } }

// AttemptTimeout gives each attempt of the stage its own deadline d. An attempt that runs out is
// a failure matching ErrTimeout and context.DeadlineExceeded, and is retried as the policy says;
// so is an attempt that ignores its context and returns success after its deadline. Cost: one
// context per attempt; without it no context is made.
func AttemptTimeout(d time.Duration) StageOption {
	return func(c *stageConfig) { c.step.AttemptTimeout = d }
}

// StepTimeout bounds the whole step, all attempts and backoff waits included: when d passes,
// the attempt running sees its context cancelled, no further wait or attempt starts, and the
// step fails with an error matching ErrTimeout and context.DeadlineExceeded. An attempt that
// ignores its context and still succeeds counts as a success (unlike AttemptTimeout's), unless
// the message's own deadline has passed too.
func StepTimeout(d time.Duration) StageOption { return func(c *stageConfig) { c.step.StepTimeout = d } }

// Optional makes the stage's failures non-fatal: a step that fails after its retries is recorded
// in the slip's log with outcome Tolerated and the message goes on to its next step, unchanged
// unless the stage is a Tolerator.
func Optional() StageOption { return func(c *stageConfig) { c.step.Optional = true } }

// CompensationRetry sets the retry policy of the stage's Compensate (default: one attempt).
func CompensationRetry(p RetryPolicy) StageOption { return func(c *stageConfig) { c.compRetry = p } }

// CompensationTimeout bounds each attempt of the stage's Compensate.
func CompensationTimeout(d time.Duration) StageOption {
	return func(c *stageConfig) { c.compTimeout = d }
}
