package baton

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// This file is the policy of one step: what a stage's options set for all its steps, and what a
// slip revision may set for one step alone (InsertNextWith, AppendWith). The step code
// (attempt.go, step.go) reads a step's policy in one place, policyOf, whichever set it.

// ErrInvalidPolicy is matched by the error of a Slip revision given a StepPolicy that cannot be
// carried out (negative timeouts, an invalid RetryPolicy); the revision revises nothing.
var ErrInvalidPolicy = errors.New("baton: invalid step policy")

// StepPolicy is the policy of one step: how often and how patiently it is attempted, and whether
// its failure is tolerated. The zero value is one attempt, no timeout, not optional.
//
// Each stage has one, set by its options (Retry, AttemptTimeout, StepTimeout, Optional) and used
// for every step at that stage. A slip revision may give the steps it inserts a policy of their
// own instead (InsertNextWith, AppendWith, and WithItinerary's planner through them): the step
// still runs at its stage — its events, stats and log entries name the stage — but with this
// policy in place of the stage's, as a whole (fields left zero mean zero, not the stage's).
//
// A StepPolicy is a value: the slip keeps a copy. Its Retryable, when set, is called from the
// goroutine running the step, as a stage's is.
type StepPolicy struct {
	// Retry is the step's retry policy (see Retry).
	Retry RetryPolicy
	// AttemptTimeout is each attempt's own deadline when > 0 (see AttemptTimeout).
	AttemptTimeout time.Duration
	// StepTimeout bounds the step, all attempts and waits included, when > 0 (see StepTimeout).
	StepTimeout time.Duration
	// Optional tolerates the step's failure: the message goes on (see Optional, Tolerator).
	Optional bool
}

// isDefault reports whether p is one attempt with no timeout: the short step path (see act).
func (p *StepPolicy) isDefault() bool {
	return p.Retry.MaxAttempts <= 1 && p.AttemptTimeout == 0 && p.StepTimeout == 0
}

func (p *StepPolicy) validate() error {
	if p.AttemptTimeout < 0 || p.StepTimeout < 0 {
		return errors.New("negative timeout")
	}
	return p.Retry.validate()
}

// maxStepPolicies bounds the policies one slip carries at once: a hop refers to its policy by a
// 16-bit index, so that a hop stays eight bytes.
const maxStepPolicies = math.MaxUint16

// policyOf returns the policy of the slip's current step at st: its own, when the revision that
// planned it gave one, else the stage's. The pointer is valid until the slip is reset.
func (p *Pipeline[T]) policyOf(st *stage[T], s *Slip) *StepPolicy {
	if h := s.route[s.pos]; h.policy != 0 {
		return &s.policies[h.policy-1]
	}
	return &st.cfg.step
}

// InsertNextWith is InsertNext for steps with policy p instead of their stages' own (see
// StepPolicy). An unknown name is an error matching ErrUnknownStage, an invalid policy one
// matching ErrInvalidPolicy; either revises nothing. The slip keeps one copy of p for all of
// names. Cost: beside InsertNext's, a copy of p; a step with a policy of its own takes the
// policed step path (a context per attempt when timed out), even if p is the zero value.
func (s *Slip) InsertNextWith(p StepPolicy, names ...string) error {
	i, err := s.addPolicy(p, names)
	if err != nil {
		return err
	}
	return s.insertAt(names, hop{policy: i})
}

// AppendWith is Append for steps with policy p instead of their stages' own; it fails as
// InsertNextWith does.
func (s *Slip) AppendWith(p StepPolicy, names ...string) error {
	i, err := s.addPolicy(p, names)
	if err != nil {
		return err
	}
	return s.appendAt(names, hop{policy: i})
}

// addPolicy checks names and p and keeps a copy of p for the current revision, returning its
// index in hop.policy.
func (s *Slip) addPolicy(p StepPolicy, names []string) (uint16, error) {
	if err := s.check(names); err != nil {
		return 0, err
	}
	if err := p.validate(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	if len(s.policies) >= maxStepPolicies {
		s.compactPolicies()
	}
	if len(s.policies) >= maxStepPolicies {
		return 0, fmt.Errorf("%w: more than %d step policies on one slip", ErrInvalidPolicy, maxStepPolicies)
	}
	s.snapshot()
	s.policies = append(s.policies, p)
	return uint16(len(s.policies)), nil
}

// WithItinerary plans each message's itinerary when it is accepted, as WithRouter does, by
// revising its empty slip: plan calls Append, AppendOptional or AppendWith (or InsertNext and
// its variants, which do the same on an empty slip), so that the first steps too may have
// policies of their own (see StepPolicy). It replaces WithRouter, and WithRouter replaces it:
// the last given wins.
//
// An error from plan, or a panic in it, fails the message as the router's would (ErrPanic for a
// panic; an unknown stage matches ErrUnknownStage), having taken no step; so does an empty
// itinerary, unless AllowEmptyItinerary. During plan the slip has no current step: Stage is
// "", Hops and Attempt are 0. plan is called concurrently and must be safe for that; it must not
// keep the slip, nor call runtime.Goexit. Cost: beside a router's, the call's revisions; a
// message planned so never uses the shared log of an unrevised message (see WithPrivateLogs).
func WithItinerary[T any](plan func(msg T, slip *Slip) error) Option {
	return func(c *config) {
		if plan == nil {
			c.errs = append(c.errs, errors.New("WithItinerary(nil)"))
			return
		}
		c.router = plan
	}
}

// callPlan runs the planner on m's empty slip. The slip's cursor is before its first step while
// plan runs, so that the revisions add steps from the start.
func (p *Pipeline[T]) callPlan(m *message[T]) (err error) {
	s := &m.slip
	s.untouched = false // its log is its own: see result.go
	s.pos, s.revised = -1, true
	defer func() {
		s.pos, s.revised = 0, false
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	return p.plan(m.value, s)
}

// compactPolicies drops the policies no step still to run refers to — those of the steps
// taken — so that a slip's bound on policies is on those it carries at once, not on every one
// it was ever given (a loop re-inserting its body with a policy at each pass). The policies
// kept keep their order, so that those of the current revision stay last (see rollback); the
// current step's policy moves too, and policyOf finds it by its new index (a pointer taken
// before stays valid: the old array is not reused). It revises nothing: the hops still to run,
// and those a rollback would restore, name the same policies after it as before.
func (s *Slip) compactPolicies() {
	live := make([]bool, len(s.policies))
	mark := func(hs []hop) {
		for _, h := range hs {
			if h.policy != 0 {
				live[h.policy-1] = true
			}
		}
	}
	from := max(s.pos, 0) // while planning (pos -1) every hop is still to run
	mark(s.route[from:])
	keepSaved := s.pos >= 0 && s.revised // saved is this attempt's snapshot (while planning, no one's)
	if keepSaved {
		mark(s.saved)
	}
	index := make([]uint16, len(s.policies)) // old index → new hop.policy
	kept := make([]StepPolicy, 0, len(s.policies))
	nsaved := 0
	for i, ok := range live {
		if !ok {
			continue
		}
		kept = append(kept, s.policies[i])
		index[i] = uint16(len(kept))
		if i < s.nsaved {
			nsaved++
		}
	}
	renumber := func(hs []hop) {
		for k := range hs {
			if hs[k].policy != 0 {
				hs[k].policy = index[hs[k].policy-1]
			}
		}
	}
	for k := range s.route[:from] {
		s.route[k].policy = 0 // taken: never read again
	}
	renumber(s.route[from:])
	if keepSaved {
		renumber(s.saved)
	}
	s.policies, s.nsaved = kept, nsaved
}
