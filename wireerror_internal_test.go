package baton

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type sliceErr []string

func (e sliceErr) Error() string { return "many" }

type userErr struct{ code int }

func (e *userErr) Error() string { return fmt.Sprintf("user error %d", e.code) }

var errUser = errors.New("user sentinel")

type isUser struct{}

func (isUser) Error() string        { return "matches the user sentinel" }
func (isUser) Is(target error) bool { return target == errUser }

// Errors crossing a process boundary (no table of originals) keep Baton's types, their texts,
// and every registered sentinel.
func TestErrorsCrossAProcessBoundary(t *testing.T) {
	s, err := newSentinels([]error{errUser})
	if err != nil {
		t.Fatal(err)
	}
	cause := fmt.Errorf("disk: %w", errUser)
	cases := []error{
		&StepError{Stage: "a", Attempts: 3, Err: cause},
		&CompensationError{Err: &StepError{Stage: "b", Attempts: 1, Err: newPanicError("boom")}, Steps: []StepRecord{{Stage: "a", Attempts: 2, Outcome: CompensationFailed, Err: cause}}},
		&StepError{Stage: "c", Attempts: 1, Err: &timeoutError{what: "attempt of stage c", cause: context.DeadlineExceeded}},
		&StepError{Stage: "d", Attempts: 1, Err: &stoppedError{err: errors.New("own"), cause: context.Canceled}},
		&StepError{Stage: "e", Attempts: 1, Err: newPanicError(cause)},
		Permanent(cause),
		isUser{},
		errors.Join(errUser, &userErr{7}),
		sliceErr{"x"},
		&whileError{doing: "routing the message", err: fmt.Errorf("%w %q", ErrUnknownStage, "z")},
	}
	targets := []error{errUser, ErrPanic, ErrTimeout, ErrCompensationFailed, ErrUnknownStage, context.DeadlineExceeded, context.Canceled}
	for _, orig := range cases {
		w := s.encodeError(orig, nil, 0)
		got, err := s.decodeError(w, nil)
		if err != nil {
			t.Fatalf("%v: %v", orig, err)
		}
		if got.Error() != orig.Error() {
			t.Errorf("text %q, want %q", got.Error(), orig.Error())
		}
		for _, tg := range targets {
			if errors.Is(got, tg) != errors.Is(orig, tg) {
				t.Errorf("%q: errors.Is(%v) = %v, want %v", orig, tg, errors.Is(got, tg), errors.Is(orig, tg))
			}
		}
		var se1, se2 *StepError
		if errors.As(orig, &se1) != errors.As(got, &se2) || (se1 != nil && (se1.Stage != se2.Stage || se1.Attempts != se2.Attempts)) {
			t.Errorf("%q: *StepError %+v, want %+v", orig, se2, se1)
		}
		var pe1, pe2 *PanicError
		if errors.As(orig, &pe1) != errors.As(got, &pe2) || (pe1 != nil && string(pe1.Stack) != string(pe2.Stack)) {
			t.Errorf("%q: *PanicError not kept", orig)
		}
		var ce1, ce2 *CompensationError
		if errors.As(orig, &ce1) != errors.As(got, &ce2) || (ce1 != nil && len(ce1.Steps) != len(ce2.Steps)) {
			t.Errorf("%q: *CompensationError not kept", orig)
		}
	}
	if _, err := newSentinels([]error{sliceErr{"x"}}); err == nil {
		t.Error("a sentinel that cannot be compared was accepted")
	}
	if _, err := newSentinels([]error{errors.New("same"), errors.New("same")}); err == nil {
		t.Error("two sentinels of the same text were accepted")
	}
	// An unknown sentinel name (a process that did not register it) is an error, not a guess.
	if _, err := (&sentinels{byName: builtinSentinels()}).decodeError(&wireError{Kind: kindSentinel, Name: "user:other"}, nil); err == nil {
		t.Error("an unregistered sentinel was decoded")
	}
}
