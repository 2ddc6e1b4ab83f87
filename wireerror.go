package baton

import (
	"fmt"
	"sync"
)

// This file is how an error crosses a process boundary in a message's state: Baton's own error
// types come back as themselves (*StepError, *PanicError, *CompensationError, timeouts,
// stops), with their texts; sentinels — Baton's, the context package's, and the user's own
// registered with WithSentinels — come back as the very sentinel values, so errors.Is still
// matches; any other error comes back as its text, matching every registered sentinel it
// matched, and wrapping what it wrapped.

// wireError is an error as a message's state carries it.
type wireError struct {
	Kind     string       `json:"kind,omitempty"` // see the kinds below; "" for any other error
	Name     string       `json:"name,omitempty"` // a sentinel's name
	Text     string       `json:"text,omitempty"`
	Is       []string     `json:"is,omitempty"` // sentinels the error itself matches (its Is method)
	Stage    string       `json:"stage,omitempty"`
	Attempts int          `json:"attempts,omitempty"`
	What     string       `json:"what,omitempty"`
	Who      string       `json:"who,omitempty"`
	Stack    []byte       `json:"stack,omitempty"`
	Steps    []wireEntry  `json:"steps,omitempty"`
	Wrapped  []*wireError `json:"wrapped,omitempty"`
	// Local is the error's index, from 1, in its message's table of original errors, kept while
	// the message travels within the process that made the error (see errTable).
	Local int `json:"local,omitempty"`
}

// errTable keeps the original error values of one message while it travels within one process
// (Envelope.Local): decoded there, an error of a type Baton does not know is the very value
// the stage returned, so errors.Is and errors.As see everything they would in process, not
// only the registered sentinels. nil outside that case.
// Its lock orders the steps that touch it, which run in turn but in goroutines that a message
// system, not Go, connects.
type errTable struct {
	mu   sync.Mutex
	errs []error
}

func (t *errTable) add(err error) int {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errs = append(t.errs, err)
	return len(t.errs)
}

func (t *errTable) get(i int) error {
	if t == nil || i < 1 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if i > len(t.errs) {
		return nil
	}
	return t.errs[i-1]
}

// The kinds of wireError: Baton's own error types, and sentinels.
const (
	kindSentinel     = "sentinel"
	kindStep         = "step"
	kindPanic        = "panic"
	kindPanicValue   = "panic-value" // a panic whose value was not an error: Text is its %v
	kindCompensation = "compensation"
	kindTimeout      = "timeout"
	kindStopped      = "stopped"
	kindWhile        = "while"
	kindGoexit       = "goexit"
	kindPermanent    = "permanent"
)

// maxErrorDepth bounds how deep an error chain is encoded; deeper errors are kept as text.
const maxErrorDepth = 32

// encodeError turns err into its wire form. It never panics: user errors' methods are
// contained.
func (s *sentinels) encodeError(err error, tab *errTable, depth int) *wireError {
	if err == nil {
		return nil
	}
	if name, ok := s.nameOf(err); ok {
		return &wireError{Kind: kindSentinel, Name: name}
	}
	if depth >= maxErrorDepth {
		return &wireError{Text: errText(err)}
	}
	enc := func(e error) *wireError { return s.encodeError(e, tab, depth+1) }
	switch e := err.(type) {
	case *StepError:
		return &wireError{Kind: kindStep, Stage: e.Stage, Attempts: e.Attempts, Wrapped: []*wireError{enc(e.Err)}}
	case *PanicError:
		w := &wireError{Kind: kindPanic, Stack: e.Stack, Local: tab.add(err)}
		if v, ok := e.Value.(error); ok {
			w.Wrapped = []*wireError{enc(v)}
		} else {
			w.Wrapped = []*wireError{{Kind: kindPanicValue, Text: panicText(e.Value)}}
		}
		return w
	case *CompensationError:
		w := &wireError{Kind: kindCompensation, Wrapped: []*wireError{enc(e.Err)}}
		for _, r := range e.Steps {
			w.Steps = append(w.Steps, s.encodeRecord(r, tab, depth+1))
		}
		return w
	case *timeoutError:
		return &wireError{Kind: kindTimeout, What: e.what, Wrapped: []*wireError{enc(e.cause)}}
	case *stoppedError:
		return &wireError{Kind: kindStopped, Wrapped: []*wireError{enc(e.err), enc(e.cause)}}
	case *whileError:
		return &wireError{Kind: kindWhile, What: e.doing, Wrapped: []*wireError{enc(e.err)}}
	case *goexitError:
		return &wireError{Kind: kindGoexit, Who: e.who, What: e.what}
	case permanentError:
		return &wireError{Kind: kindPermanent, Wrapped: []*wireError{enc(e.err)}}
	}
	w := &wireError{Text: errText(err), Local: tab.add(err)}
	if x, ok := err.(interface{ Is(error) bool }); ok {
		for _, t := range s.list {
			if isSelf(x, t) {
				w.Is = append(w.Is, s.names[t])
			}
		}
	}
	for _, u := range unwrapAll(err) {
		if u != nil {
			w.Wrapped = append(w.Wrapped, enc(u))
		}
	}
	return w
}

// isSelf is x.Is(t), contained.
func isSelf(x interface{ Is(error) bool }, t error) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return x.Is(t)
}

// unwrapAll is what err wraps, contained.
func unwrapAll(err error) (out []error) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	}
	return nil
}

// panicText is fmt's %v of a panic value, contained.
func panicText(v any) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("%%!v(PANIC=String method: %v)", r)
		}
	}()
	return fmt.Sprint(v)
}

// decodeError turns a wire error back into an error.
func (s *sentinels) decodeError(w *wireError, tab *errTable) (error, error) {
	if w == nil {
		return nil, nil
	}
	if e := tab.get(w.Local); e != nil {
		return e, nil
	}
	var wrapped []error
	for _, c := range w.Wrapped {
		e, err := s.decodeError(c, tab)
		if err != nil {
			return nil, err
		}
		wrapped = append(wrapped, e)
	}
	one := func() (error, error) {
		if len(wrapped) != 1 || wrapped[0] == nil {
			return nil, fmt.Errorf("an error of kind %q wraps %d errors, want 1", w.Kind, len(wrapped))
		}
		return wrapped[0], nil
	}
	switch w.Kind {
	case kindSentinel:
		e, ok := s.byName[w.Name]
		if !ok {
			return nil, fmt.Errorf("unknown sentinel %q (register it with WithSentinels in every process)", w.Name)
		}
		return e, nil
	case kindStep:
		e, err := one()
		return &StepError{Stage: w.Stage, Attempts: w.Attempts, Err: e}, err
	case kindPanic:
		e, err := one()
		if err != nil {
			return nil, err
		}
		if v, ok := e.(panicValue); ok {
			return &PanicError{Value: string(v), Stack: w.Stack}, nil
		}
		return &PanicError{Value: e, Stack: w.Stack}, nil
	case kindPanicValue:
		return panicValue(w.Text), nil
	case kindCompensation:
		e, err := one()
		if err != nil {
			return nil, err
		}
		ce := &CompensationError{Err: e}
		for _, r := range w.Steps {
			rec, err := s.decodeRecord(r, tab)
			if err != nil {
				return nil, err
			}
			ce.Steps = append(ce.Steps, rec)
		}
		return ce, nil
	case kindTimeout:
		e, err := one()
		return &timeoutError{what: w.What, cause: e}, err
	case kindStopped:
		if len(wrapped) != 2 {
			return nil, fmt.Errorf("a stopped error wraps %d errors, want 2", len(wrapped))
		}
		return &stoppedError{err: wrapped[0], cause: wrapped[1]}, nil
	case kindWhile:
		e, err := one()
		return &whileError{doing: w.What, err: e}, err
	case kindGoexit:
		return &goexitError{who: w.Who, what: w.What}, nil
	case kindPermanent:
		e, err := one()
		return permanentError{e}, err
	case "":
		r := &remoteError{text: w.Text, wrapped: wrapped}
		for _, n := range w.Is {
			e, ok := s.byName[n]
			if !ok {
				return nil, fmt.Errorf("unknown sentinel %q (register it with WithSentinels in every process)", n)
			}
			r.is = append(r.is, e)
		}
		return r, nil
	}
	return nil, fmt.Errorf("unknown error kind %q", w.Kind)
}

// panicValue is a decoded panic value that was not an error: its text.
type panicValue string

func (v panicValue) Error() string { return string(v) }

// remoteError is an error of a type Baton does not know, as it came back from another
// process: its text, the sentinels it matched itself, and what it wrapped.
type remoteError struct {
	text    string
	is      []error
	wrapped []error
}

func (e *remoteError) Error() string { return e.text }
func (e *remoteError) Is(target error) bool {
	for _, s := range e.is {
		if s == target {
			return true
		}
	}
	return false
}
func (e *remoteError) Unwrap() []error { return e.wrapped }
