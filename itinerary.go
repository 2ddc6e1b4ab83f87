package baton

import "fmt"

// This file is the itinerary: the slip a message is given when it is accepted (from the router or
// the planner, or every stage in order), its key, and the decision of what it does next.

// begin gives an accepted message its itinerary.
func (p *Pipeline[T]) begin(m *message[T]) {
	m.slip.reset(&p.reg)
	if p.keyFn != nil {
		var err error
		if m.key, err = p.key(m.value); err != nil {
			m.err = err
			return
		}
	}
	var err error
	switch {
	case p.plan != nil:
		err = p.callPlan(m)
		if err == nil && len(m.slip.route) == 0 && !p.cfg.allowEmpty {
			err = fmt.Errorf("%w: the planner planned no step", ErrEmptyItinerary)
		}
	case p.router == nil:
		m.slip.share(p.route) // read-only until a revision: see Slip.own
		return
	default:
		var names []string
		names, err = p.callRouter(m.value)
		if err == nil && len(names) == 0 && !p.cfg.allowEmpty {
			err = fmt.Errorf("%w: the router returned no stage", ErrEmptyItinerary)
		}
		if err == nil {
			m.slip.route, err = p.reg.resolve(m.slip.route, names, hop{})
		}
	}
	if err != nil {
		m.slip.route = m.slip.route[:0]
		m.err = &whileError{doing: "routing the message", err: err}
	}
}

// key is the message's key from WithKey, "" without it; a panic in the key function is the
// message's error.
func (p *Pipeline[T]) key(v T) (k string, err error) {
	if p.keyFn == nil {
		return "", nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = &whileError{doing: "computing the message's key", err: newPanicError(r)}
		}
	}()
	return p.keyFn(v), nil
}

// keyOf is key, ignoring a panic: for messages refused before they were accepted.
func (p *Pipeline[T]) keyOf(v T) string {
	k, _ := p.key(v)
	return k
}

func (p *Pipeline[T]) callRouter(v T) (names []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	return p.router(v), nil
}

// next returns the index of the stage that performs the message's next action, or -1 when the
// message is finished. It is also where the forward path ends and compensation begins: a
// message whose itinerary is done succeeds; one that failed (a step, a stop, the router) or
// reaches the hop limit — which fails it here — turns to compensating its completed steps,
// latest first, at the stages that can compensate.
func (p *Pipeline[T]) next(m *message[T]) int {
	if !m.compensating {
		s := &m.slip
		if m.err == nil {
			if s.pos >= len(s.route) {
				return -1 // its itinerary is done: it succeeds
			}
			if s.hops < p.cfg.hopLimit {
				return int(s.route[s.pos].stage) // its next step
			}
			p.failHopLimit(m)
		}
		p.startCompensation(m)
	}
	return p.nextCompensation(m)
}

// failHopLimit fails m, which has taken as many steps as the hop limit allows.
func (p *Pipeline[T]) failHopLimit(m *message[T]) {
	m.err = fmt.Errorf("%w: %d steps taken, next was %q", ErrHopLimit, m.slip.hops, m.slip.Stage())
}

// startCompensation turns failed m to compensating its completed steps, latest first.
func (p *Pipeline[T]) startCompensation(m *message[T]) {
	m.compensating = true
	m.slip.flush()
	m.comp = len(m.slip.log)
	m.compStart = m.comp
}

// nextCompensation moves m's compensation cursor to the latest completed step before it whose
// stage can compensate, and returns that stage, or -1 when none is left.
func (p *Pipeline[T]) nextCompensation(m *message[T]) int {
	for m.comp > 0 {
		m.comp--
		r := &m.slip.log[m.comp]
		if r.outcome == Succeeded && p.stages[r.stage].comp != nil {
			return int(r.stage)
		}
	}
	return -1
}
