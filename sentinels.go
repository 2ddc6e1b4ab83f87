package baton

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// This file is the registry of sentinel errors known by name across processes: Baton's own, the
// context package's, and the user's (WithSentinels). wireerror.go encodes and decodes errors
// with it.

// WithSentinels registers the user's own sentinel errors, so that errors.Is still matches them
// on errors that crossed a process boundary under an engine (see WithEngine). Each is known by
// its text, which must be unique among them; every process of a pipeline must register the
// same ones. Baton's own sentinels and context.Canceled and context.DeadlineExceeded are always
// known. Without WithEngine it changes nothing. Cost: matching each registered sentinel
// against each error of a message's state as it is encoded (only failed messages have errors).
func WithSentinels(errs ...error) Option {
	return func(c *config) {
		for _, e := range errs {
			if e == nil {
				c.errs = append(c.errs, errors.New("WithSentinels: nil error"))
				continue
			}
			c.sentinels = append(c.sentinels, e)
		}
	}
}

// sentinels is the registry of errors known by name across processes.
type sentinels struct {
	byName map[string]error
	names  map[error]string
	list   []error
}

// builtinSentinels are always known: Baton's and the context package's, and the internal
// causes compared by identity.
func builtinSentinels() map[string]error {
	return map[string]error{
		"baton.ErrClosed": ErrClosed, "baton.ErrStreamClosed": ErrStreamClosed,
		"baton.ErrUnknownStage": ErrUnknownStage, "baton.ErrEmptyItinerary": ErrEmptyItinerary,
		"baton.ErrHopLimit": ErrHopLimit, "baton.ErrInvalidPipeline": ErrInvalidPipeline,
		"baton.ErrPanic": ErrPanic, "baton.ErrTimeout": ErrTimeout,
		"baton.ErrCompensationFailed": ErrCompensationFailed, "baton.ErrAborted": ErrAborted,
		"baton.ErrGoexit": ErrGoexit, "baton.ErrReentrant": ErrReentrant,
		"baton.ErrEngine": ErrEngine, "baton.ErrUnknownMessage": ErrUnknownMessage,
		"context.Canceled": context.Canceled, "context.DeadlineExceeded": context.DeadlineExceeded,
		"baton.errLateSuccess": errLateSuccess, "baton.errShutdownDeadline": errShutdownDeadline,
		"baton.errAttemptTimeout": errAttemptTimeout, "baton.errStepTimeout": errStepTimeout,
		"baton.errMessageTimeout": errMessageTimeout, "baton.errCompensationTimeout": errCompensationTimeout,
	}
}

// newSentinels builds the registry from the user's sentinels, refusing duplicate texts.
func newSentinels(user []error) (*sentinels, error) {
	s := &sentinels{byName: builtinSentinels(), names: map[error]string{}}
	for _, e := range user {
		if !reflect.TypeOf(e).Comparable() {
			return nil, fmt.Errorf("WithSentinels: %T is not comparable: a sentinel must be a value errors.Is can compare with ==", e)
		}
		name := "user:" + errText(e)
		if _, dup := s.byName[name]; dup {
			return nil, fmt.Errorf("WithSentinels: two sentinels read %q", errText(e))
		}
		s.byName[name] = e
	}
	for n, e := range s.byName {
		s.names[e] = n
		s.list = append(s.list, e)
	}
	return s, nil
}

// nameOf returns the name of err when it is a registered sentinel itself. Errors that are not
// comparable (a slice-backed error type) are never sentinels.
func (s *sentinels) nameOf(err error) (name string, ok bool) {
	defer func() {
		if recover() != nil {
			name, ok = "", false
		}
	}()
	name, ok = s.names[err]
	return name, ok
}
