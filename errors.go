package baton

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
)

// Sentinel errors. Every error Baton returns can be tested with errors.Is against one of these
// (or against context.Canceled / context.DeadlineExceeded for cancellation and timeouts).
var (
	// ErrClosed is returned by calls made after Close, and by submissions that were waiting for
	// room when Close was called.
	ErrClosed = errors.New("baton: pipeline closed")
	// ErrStreamClosed is returned by Stream.Submit after CloseSend, or after the stream's results
	// were abandoned.
	ErrStreamClosed = errors.New("baton: stream closed")
	// ErrUnknownStage reports a slip (from a Router or a revision) naming a stage the pipeline
	// does not have.
	ErrUnknownStage = errors.New("baton: unknown stage")
	// ErrEmptyItinerary reports a message whose router (WithRouter) returned no stage at all:
	// nil or an empty itinerary. The message fails with it, having taken no step, unless the
	// pipeline was made with AllowEmptyItinerary.
	ErrEmptyItinerary = errors.New("baton: empty itinerary")
	// ErrHopLimit reports a message that ran more steps than the pipeline's hop limit allows,
	// usually a slip that keeps revisiting stages.
	ErrHopLimit = errors.New("baton: hop limit reached")
	// ErrInvalidPipeline reports a pipeline that New refused: a nil stage, an empty or duplicate
	// name, a Name that panics, an adapter given a nil function, stage or option, or an invalid
	// option value. Stream.Submit also returns it for a stream opened with a nil StreamOption.
	ErrInvalidPipeline = errors.New("baton: invalid pipeline")
	// ErrPanic matches a *PanicError: a stage or compensation that panicked.
	ErrPanic = errors.New("baton: stage panicked")
	// ErrTimeout matches a step that ran out of its per-attempt or per-step time, or a message
	// that ran out of its end-to-end time. Such errors also match context.DeadlineExceeded.
	ErrTimeout = errors.New("baton: timeout")
	// ErrCompensationFailed matches the error of a message for which at least one compensation
	// failed after its retries.
	ErrCompensationFailed = errors.New("baton: compensation failed")
	// ErrAborted reports a message cut short by Shutdown when its deadline passed.
	ErrAborted = errors.New("baton: aborted by shutdown")
	// ErrGoexit reports a stage that called runtime.Goexit, as t.FailNow does in a test: the
	// step fails with it, and the message goes on (to compensation and its result) in another
	// goroutine, since the one running the stage ends.
	ErrGoexit = errors.New("baton: stage called runtime.Goexit")
	// ErrReentrant reports a call that would wait for itself: Process, Stream, Submit, Run or
	// Shutdown given the context of one of the pipeline's own messages (a stage calling its own
	// pipeline with its step's context), or Close or Shutdown called from inside a stage while
	// the pipeline has messages in flight. Such a call could wait for a worker, a slot or a
	// drain that its own caller holds, so it is refused at once under both strategies.
	ErrReentrant = errors.New("baton: re-entrant call from inside a stage")
)

// StepError is the error of a message whose step failed after all its attempts. It names the
// stage and the number of attempts made, and wraps the last attempt's error.
type StepError struct {
	Stage    string // the stage that failed
	Attempts int    // attempts made, including the last, failing one
	Err      error  // the last attempt's error
}

func (e *StepError) Error() string {
	if _, ok := e.Err.(*stoppedError); ok {
		return fmt.Sprintf("baton: stage %q stopped after %d attempt(s): %s", e.Stage, e.Attempts, bare(e.Err))
	}
	return fmt.Sprintf("baton: stage %q failed after %d attempt(s): %s", e.Stage, e.Attempts, bare(e.Err))
}

// Unwrap returns the cause, so errors.Is and errors.As see through a StepError.
func (e *StepError) Unwrap() error { return e.Err }

// PanicError is a panic inside a stage's Process or a Compensate, recovered and turned into an
// error. It carries the panic value and the goroutine's stack at the panic.
type PanicError struct {
	Value any
	Stack []byte
}

func newPanicError(v any) *PanicError { return &PanicError{Value: v, Stack: debug.Stack()} }

func (e *PanicError) Error() string { return fmt.Sprintf("baton: panic: %v", e.Value) }

// Is reports whether target is ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value when it is an error (panic(err)), else nil.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// CompensationError is the error of a failed message whose completed steps were compensated.
// Err is the original failure; Steps are the compensation records in the order they ran (the
// reverse of the order the steps completed). It matches ErrCompensationFailed when any of them
// failed, and unwraps to Err, so errors.As(err, &stepErr) still finds the original *StepError.
type CompensationError struct {
	Err   error
	Steps []StepRecord
}

func (e *CompensationError) Error() string {
	failed := 0
	for _, r := range e.Steps {
		if r.Outcome == CompensationFailed {
			failed++
		}
	}
	if failed == 0 {
		return fmt.Sprintf("%v (compensated %d step(s))", e.Err, len(e.Steps))
	}
	return fmt.Sprintf("%v (compensated %d step(s), %d compensation(s) failed)", e.Err, len(e.Steps)-failed, failed)
}

// Unwrap returns the original failure.
func (e *CompensationError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCompensationFailed and a compensation failed.
func (e *CompensationError) Is(target error) bool {
	if target != ErrCompensationFailed {
		return false
	}
	for _, r := range e.Steps {
		if r.Outcome == CompensationFailed {
			return true
		}
	}
	return false
}

// timeoutError marks a deadline that Baton set (attempt, step or message timeout). It matches
// both ErrTimeout and, through its cause, context.DeadlineExceeded.
type timeoutError struct {
	what  string
	cause error
}

func (e *timeoutError) Error() string        { return "baton: " + e.what + " timed out: " + bare(e.cause) }
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }
func (e *timeoutError) Unwrap() []error {
	return []error{e.cause, context.DeadlineExceeded}
}

// goexitError is the error of a message whose router, key function or observer called
// runtime.Goexit (unsupported): it matches ErrGoexit, and says who called it.
type goexitError struct{ who, what string }

func (e *goexitError) Error() string        { return "baton: " + e.who + " called runtime.Goexit" + e.what }
func (e *goexitError) Is(target error) bool { return target == ErrGoexit }

// stoppedError is the error of a step cut short because its message's context ended while it
// ran: it matches the context's cause (context.Canceled, a cause given to
// context.WithCancelCause, ErrAborted, ErrTimeout …) and still carries the stage's own error.
type stoppedError struct {
	err   error // the stage's own error
	cause error // why the message's context ended
}

func (e *stoppedError) Error() string {
	return errText(e.err) + " (message stopped: " + bare(e.cause) + ")"
}

// whileError is an error met while Baton was doing something: its text says what, once, without
// repeating the "baton: " prefix of the error it wraps.
type whileError struct {
	doing string
	err   error
}

func (e *whileError) Error() string { return "baton: " + e.doing + ": " + bare(e.err) }
func (e *whileError) Unwrap() error { return e.err }

// bare is err's text without its "baton: " prefix, for errors that wrap it and say so once.
func bare(err error) string             { return strings.TrimPrefix(errText(err), "baton: ") }
func (e *stoppedError) Unwrap() []error { return []error{e.cause, e.err} }

// errText is err.Error(), contained: a user error whose Error method panics gives a
// placeholder instead of a panic in Baton's code.
func errText(err error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("%%!v(PANIC=Error method: %v)", r)
		}
	}()
	return err.Error()
}

// permanentError marks an error that must not be retried.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not retryable: a stage returning Permanent(err) fails its step at once,
// whatever its retry policy. The mark is transparent to errors.Is and errors.As. Permanent(nil)
// is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err (or an error it wraps) was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
