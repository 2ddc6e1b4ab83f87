package baton

import (
	"fmt"
	"time"
)

// This file is a message's encodable state: what an engine carries between two steps (see
// engine.go), and its conversion from and to the message the step code runs on.

// StateVersion is the version of the state encoding. A process meeting a state of another
// version refuses it with an error matching ErrEngine, rather than misreading it; it changes
// when the encoding changes. Version 2 is binary (statecodec.go), with only the value
// encoded by the pipeline's Codec; version 1, the whole state as JSON, is still read (a
// durable engine's recorded history may hold it) but no longer written.
const StateVersion = 2

// stateVersionJSON is the version of a state encoded whole as JSON.
const stateVersionJSON = 1

// wireState is a message between two steps. Every field the step code reads between steps is
// here; what only lives within a step (the attempt's revisions, its timers) is not.
type wireState[T any] struct {
	Version   int         `json:"v"`
	ID        uint64      `json:"id"`
	Key       string      `json:"key,omitempty"`
	Value     T           `json:"value"`
	Route     []wireHop   `json:"route"`
	Pos       int         `json:"pos"`
	Hops      int         `json:"hops"`
	Log       []wireEntry `json:"log,omitempty"`
	Timed     bool        `json:"timed,omitempty"`     // the log carries timings
	Touched   bool        `json:"touched,omitempty"`   // revised, retried or tolerated (Slip.untouched false)
	Comp      bool        `json:"comp,omitempty"`      // compensating
	CompAt    int         `json:"compAt,omitempty"`    // the compensation cursor
	CompStart int         `json:"compStart,omitempty"` // the log length when compensation began
	Err       *wireError  `json:"err,omitempty"`
	// Policies are the steps' own policies (Slip.InsertNextWith, AppendWith), which hops name.
	Policies []wirePolicy `json:"policies,omitempty"`
	// Deadline is the message's own deadline (the caller's, or WithMessageTimeout's when
	// MessageTimeout is set); zero without one.
	Deadline       time.Time `json:"deadline,omitzero"`
	MessageTimeout bool      `json:"msgTimeout,omitempty"`
}

// wireHop is a planned step of the itinerary. It is a struct so that a hop's policy can grow
// fields without changing the encoding's version.
type wireHop struct {
	Stage    string `json:"stage"`
	Optional bool   `json:"optional,omitempty"`
	Policy   int    `json:"policy,omitempty"` // 0: the stage's; else Policies[Policy-1]
}

// wirePolicy is a step's own StepPolicy. A Retryable function cannot cross a process
// boundary: a policy with one fails the message's encoding (ErrEngine).
type wirePolicy struct {
	MaxAttempts    int           `json:"maxAttempts,omitempty"`
	InitialBackoff time.Duration `json:"initialBackoff,omitempty"`
	Multiplier     float64       `json:"multiplier,omitempty"`
	MaxBackoff     time.Duration `json:"maxBackoff,omitempty"`
	Jitter         float64       `json:"jitter,omitempty"`
	Linear         bool          `json:"linear,omitempty"`
	AttemptTimeout time.Duration `json:"attemptTimeout,omitempty"`
	StepTimeout    time.Duration `json:"stepTimeout,omitempty"`
	Optional       bool          `json:"optional,omitempty"`
}

// wireEntry is a record of the log.
type wireEntry struct {
	Stage    string        `json:"stage"`
	Attempts int           `json:"attempts"`
	Outcome  Outcome       `json:"outcome"`
	Err      *wireError    `json:"err,omitempty"`
	Start    time.Time     `json:"start,omitzero"`
	Duration time.Duration `json:"dur,omitempty"`
}

func (s *sentinels) encodeRecord(r StepRecord, tab *errTable, depth int) wireEntry {
	return wireEntry{Stage: r.Stage, Attempts: r.Attempts, Outcome: r.Outcome, Err: s.encodeError(r.Err, tab, depth), Start: r.Start, Duration: r.Duration}
}

func (s *sentinels) decodeRecord(w wireEntry, tab *errTable) (StepRecord, error) {
	err, derr := s.decodeError(w.Err, tab)
	return StepRecord{Stage: w.Stage, Attempts: w.Attempts, Outcome: w.Outcome, Err: err, Start: w.Start, Duration: w.Duration}, derr
}

// encode returns m's state, encoded by the pipeline's codec.
func (p *Pipeline[T]) encode(m *message[T], tab *errTable) ([]byte, error) {
	s := &m.slip
	s.flush() // the log's implied entries are written: the state carries them
	w := wireState[T]{
		Version: StateVersion, ID: m.id, Key: m.key, Value: m.value,
		Route: make([]wireHop, len(s.route)), Pos: s.pos, Hops: s.hops,
		Timed: len(s.times) == len(s.log) && len(s.log) > 0, Touched: !s.untouched,
		Comp: m.compensating, CompAt: m.comp, CompStart: m.compStart,
		Err: p.sent.encodeError(m.err, tab, 0),
	}
	for i, h := range s.route {
		w.Route[i] = wireHop{Stage: p.reg.names[h.stage], Optional: h.optional, Policy: int(h.policy)}
	}
	for _, sp := range s.policies {
		if sp.Retry.Retryable != nil {
			return nil, fmt.Errorf("%w: encoding message %d: a step policy's Retryable function cannot cross a process boundary", ErrEngine, m.id)
		}
		r := sp.Retry
		w.Policies = append(w.Policies, wirePolicy{MaxAttempts: r.MaxAttempts, InitialBackoff: r.InitialBackoff, Multiplier: r.Multiplier,
			MaxBackoff: r.MaxBackoff, Jitter: r.Jitter, Linear: r.Linear, AttemptTimeout: sp.AttemptTimeout, StepTimeout: sp.StepTimeout, Optional: sp.Optional})
	}
	if len(s.log) > 0 {
		w.Log = make([]wireEntry, len(s.log))
		for i := range s.log {
			e := &s.log[i]
			w.Log[i] = wireEntry{Stage: p.reg.names[e.stage], Attempts: int(e.attempts), Outcome: e.outcome, Err: p.sent.encodeError(e.err, tab, 0)}
			if w.Timed {
				w.Log[i].Start, w.Log[i].Duration = s.times[i].start, s.times[i].dur
			}
		}
	}
	if m.ctx != nil {
		if d, ok := m.ctx.Deadline(); ok {
			w.Deadline = d
			w.MessageTimeout = m.cancel != nil // the deadline is WithMessageTimeout's
		}
	}
	value, err := p.codec().Marshal(&w.Value)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding message %d: %w", ErrEngine, m.id, err)
	}
	return marshalState(&w, value), nil
}

// decoded is what a state says besides what decode writes into the message.
type decoded struct {
	deadline       time.Time
	messageTimeout bool
}

// decode reads data into m: its value, slip, error, compensation cursor, ID and key. On error
// m is left as it was, and the error matches ErrEngine.
func (p *Pipeline[T]) decode(data []byte, m *message[T], tab *errTable) (decoded, error) {
	var w wireState[T]
	if err := p.unmarshal(data, &w); err != nil {
		return decoded{}, err
	}
	bad := func(format string, args ...any) (decoded, error) {
		return decoded{}, fmt.Errorf("%w: message %d: %s", ErrEngine, w.ID, fmt.Sprintf(format, args...))
	}
	if len(w.Policies) > maxStepPolicies {
		return bad("%d step policies, at most %d", len(w.Policies), maxStepPolicies)
	}
	route := make([]hop, len(w.Route))
	for i, h := range w.Route {
		idx, ok := p.reg.index[h.Stage]
		if !ok {
			return decoded{}, fmt.Errorf("%w: message %d: its itinerary names %w %q (the processes of this pipeline have different stages)", ErrEngine, w.ID, ErrUnknownStage, h.Stage)
		}
		if h.Policy < 0 || h.Policy > len(w.Policies) {
			return bad("hop %d names policy %d of %d", i, h.Policy, len(w.Policies))
		}
		route[i] = hop{stage: idx, optional: h.Optional, policy: uint16(h.Policy)}
	}
	policies := make([]StepPolicy, len(w.Policies))
	for i, wp := range w.Policies {
		policies[i] = StepPolicy{Retry: RetryPolicy{MaxAttempts: wp.MaxAttempts, InitialBackoff: wp.InitialBackoff, Multiplier: wp.Multiplier,
			MaxBackoff: wp.MaxBackoff, Jitter: wp.Jitter, Linear: wp.Linear}, AttemptTimeout: wp.AttemptTimeout, StepTimeout: wp.StepTimeout, Optional: wp.Optional}
		if err := policies[i].validate(); err != nil {
			return bad("policy %d: %v", i+1, err)
		}
	}
	log := make([]entry, len(w.Log))
	var times []span
	for i, e := range w.Log {
		idx, ok := p.reg.index[e.Stage]
		if !ok {
			return decoded{}, fmt.Errorf("%w: message %d: its log names %w %q (the processes of this pipeline have different stages)", ErrEngine, w.ID, ErrUnknownStage, e.Stage)
		}
		if e.Outcome < Succeeded || e.Outcome > CompensationFailed {
			return bad("log record %d has outcome %d", i, e.Outcome)
		}
		err, derr := p.sent.decodeError(e.Err, tab)
		if derr != nil {
			return bad("log record %d: %v", i, derr)
		}
		log[i] = entry{stage: idx, attempts: int32(e.Attempts), outcome: e.Outcome, err: err}
		if w.Timed {
			times = append(times, span{e.Start, e.Duration})
		}
	}
	merr, derr := p.sent.decodeError(w.Err, tab)
	if derr != nil {
		return bad("its error: %v", derr)
	}
	switch {
	case w.Pos < 0 || w.Pos > len(route) || w.Hops < 0:
		return bad("cursor %d, hops %d, in an itinerary of %d", w.Pos, w.Hops, len(route))
	case w.Comp && (w.CompAt < 0 || w.CompAt > len(log) || w.CompStart < 0 || w.CompStart > len(log)):
		return bad("compensation cursor %d from %d, in a log of %d", w.CompAt, w.CompStart, len(log))
	}
	s := &m.slip
	s.reset(&p.reg)
	s.route = append(s.route, route...)
	s.log = append(s.log, log...)
	s.times = append(s.times, times...)
	s.policies = append(s.policies, policies...)
	s.pos, s.hops, s.untouched = w.Pos, w.Hops, !w.Touched
	for i := range log {
		s.errs = s.errs || log[i].err != nil
	}
	m.value, m.err, m.id, m.key = w.Value, merr, w.ID, w.Key
	m.compensating, m.comp, m.compStart = w.Comp, w.CompAt, w.CompStart
	return decoded{deadline: w.Deadline, messageTimeout: w.MessageTimeout}, nil
}

// unmarshal reads a state into w, binary or (version 1) the pipeline's codec's encoding of
// the whole state; its error matches ErrEngine.
func (p *Pipeline[T]) unmarshal(data []byte, w *wireState[T]) error {
	var err error
	want := StateVersion
	if len(data) > 0 && data[0] == stateMagic {
		var value []byte
		if value, err = unmarshalState(data, w); err == nil && w.Version == StateVersion {
			err = p.codec().Unmarshal(value, &w.Value)
		}
	} else {
		want = stateVersionJSON
		err = p.codec().Unmarshal(data, w)
	}
	switch {
	case err != nil:
		return fmt.Errorf("%w: decoding a message's state: %w", ErrEngine, err)
	case w.Version != want:
		return fmt.Errorf("%w: the message's state is of version %d, this process reads version %d (and %d)", ErrEngine, w.Version, StateVersion, stateVersionJSON)
	}
	return nil
}

// codec is the pipeline's Codec.
func (p *Pipeline[T]) codec() Codec {
	if p.cfg.codec != nil {
		return p.cfg.codec
	}
	return JSON
}
