package baton

import (
	"errors"
	"fmt"
)

// This file is the value a tolerated step leaves: an optional step that failed lets the message
// go on, unchanged unless its stage is a Tolerator.

// Tolerator is implemented by stages whose tolerated failures leave a value of their own. When a
// step at such a stage fails after its attempts and is tolerated (an optional step: see
// Optional, InsertNextOptional, StepPolicy.Optional), Baton calls Tolerate once, and the message
// goes on with the value it returns instead of msg, the message as it was before the step. err
// is the step's last error, whatever ended it: an error returned, a timeout, a panic (matching
// ErrPanic) or a runtime.Goexit (ErrGoexit). slip is the message's slip, the failed step still
// current (Attempt is the number of attempts made); it may be read, and revisions made there are
// undone. A step that is not tolerated (it succeeds, or fails the message) never calls Tolerate.
//
// Tolerate runs in the goroutine of the step, concurrently for different messages. A panic in it,
// or a runtime.Goexit (unsupported), fails the message instead, its error matching the step's
// and ErrPanic or ErrGoexit. Cost: none on steps that succeed.
type Tolerator[T any] interface {
	Tolerate(msg T, slip *Slip, err error) T
}

// Tolerating returns a stage that behaves as s and whose tolerated failures leave the value
// fn returns (see Tolerator): the quickest way to give a Func stage one. It keeps s's policies
// and Compensator. New refuses the stage when s or fn is nil, with an error matching
// ErrInvalidPipeline that names it.
func Tolerating[T any](s Stage[T], fn func(msg T, slip *Slip, err error) T) Stage[T] {
	return &tolStage[T]{Stage: s, fn: fn}
}

type tolStage[T any] struct {
	Stage[T]
	fn func(T, *Slip, error) T
}

func (s *tolStage[T]) Tolerate(msg T, slip *Slip, err error) T { return s.fn(msg, slip, err) }
func (s *tolStage[T]) Unwrap() Stage[T]                        { return s.Stage }
func (s *tolStage[T]) invalid() error {
	if s.Stage == nil {
		return fmt.Errorf("Tolerating of a %w", errNilStage)
	}
	err := invalidOf(s.Stage)
	if s.fn == nil {
		return errors.Join(err, errors.New("Tolerating with a nil function"))
	}
	return err
}

var _ Tolerator[int] = (*tolStage[int])(nil)

// toleratorOf finds the Tolerator behind s (see behind).
func toleratorOf[T any](s Stage[T]) Tolerator[T] { return behind[Tolerator[T]](s) }

// tolerate gives m the value st's Tolerator leaves for the step that ended with err, and
// returns the step's error and outcome: err and Tolerated, or, when Tolerate panicked, err
// joined with the panic and Failed.
func (p *Pipeline[T]) tolerate(st *stage[T], m *message[T], err error) (error, Outcome) {
	s := &m.slip
	if s.tolErr != nil { // its Tolerate called runtime.Goexit: see tolerateExited
		err, s.tolErr = s.tolErr, nil
		return fmt.Errorf("%w (and its Tolerate called runtime.Goexit: %w)", err, ErrGoexit), Failed
	}
	s.tolerating, s.tolErr = true, err
	m.inStage = true // a Goexit in Tolerate unwinds to the strategy's loop: see tolerateExited
	v, perr := callTolerate(st.tol, m, err)
	m.inStage = false
	s.tolerating, s.tolErr = false, nil
	s.rollback()
	if perr != nil {
		return fmt.Errorf("%w (and its Tolerate panicked: %w)", err, perr), Failed
	}
	m.value = v
	return err, Tolerated
}

// tolerateExited ends the step whose stage's Tolerate called runtime.Goexit, which unwound
// endStep: the step ends again, failed, its error the step's own and ErrGoexit (see tolerate),
// and the caller carries the message on in another goroutine, as after a stage's Goexit.
func (p *Pipeline[T]) tolerateExited(m *message[T]) {
	s := &m.slip
	s.tolerating = false
	s.rollback()
	p.endStep(&p.stages[s.route[s.pos].stage], m, s.tolErr)
}

func callTolerate[T any](t Tolerator[T], m *message[T], err error) (v T, perr error) {
	defer func() {
		if r := recover(); r != nil {
			perr = newPanicError(r)
		}
	}()
	return t.Tolerate(m.value, &m.slip, err), nil
}
