package baton

import (
	"fmt"
	"slices"
	"time"
)

// Slip is a message's routing slip: the itinerary of stages it still has to visit, the cursor,
// and the log of the steps it took. Baton creates one per accepted message (from the Router
// option, or every stage in declaration order) and hands it to each stage with the message.
//
// The stage holding the message may revise the rest of the itinerary while its Process runs:
// InsertNext, Append, Replace, Skip and End. Revisions take effect when the step succeeds; a
// failed attempt's revisions are undone. Revisiting a stage is legal; the pipeline's hop limit
// stops a message that never ends.
//
// A Slip belongs to one message and is only touched by the goroutine running that message's
// current step: it needs no locking, and must not be kept or used after Process returns.
type Slip struct {
	// Touched by every step, and kept within one cache line: under choreography the message
	// moves between cores at every step, and each line it touches moves with it.
	route []hop // planned steps; route[pos] is the step running now
	// log is the compact log; StepRecords are made from it on demand. Before compensation
	// begins, the entries of steps that succeeded at their first attempt since the last
	// entry written are implied, not written (the step path's commonest write): route[k] is
	// the k-th step taken, so they are route[len(log):pos]. Read it after flush.
	log       []entry
	pos       int
	hops      int
	attempt   int // the current step's attempt number
	revised   bool
	shared    bool // route is the pipeline's default itinerary, read-only until own copies it
	untouched bool // no revision, no retry and no tolerated failure so far: see Pipeline.countSteps
	errs      bool // some log entry holds an error (to be cleared before reuse)

	reg      *registry
	buf      []hop        // the slip's own itinerary buffer, kept while route is shared
	times    []span       // log[i]'s timing, when the pipeline times steps
	saved    []hop        // route[pos+1:] before the current attempt's first revision
	policies []StepPolicy // the steps' own policies (see InsertNextWith); hop.policy-1 indexes it
	nsaved   int          // len(policies) before the current attempt's first revision

	tolerating bool  // the stage's Tolerate is running (see Pipeline.tolerateExited)
	tolErr     error // the error of the step whose Tolerate called runtime.Goexit
}

// hop is one planned step: the stage it runs at, and how. Eight bytes, so that itineraries copy
// cheaply.
type hop struct {
	stage    int32
	policy   uint16 // 0: the stage's; else the step's own, policies[policy-1]
	optional bool   // tolerated when it fails, with the stage's policy otherwise (InsertNextOptional)
}

// entry is a log record as the step path writes it: small, so that writing it costs little.
type entry struct {
	err      error
	stage    int32
	attempts int32
	outcome  Outcome
}

// span is when a logged step or compensation started and how long it took.
type span struct {
	start time.Time
	dur   time.Duration
}

// flush writes the log's implied entries (see log): before the log is read, and before an
// entry is written after them.
func (s *Slip) flush() {
	for k := len(s.log); k < s.pos; k++ {
		s.log = append(s.log, entry{stage: s.route[k].stage, attempts: 1, outcome: Succeeded})
	}
}

// records returns the log from index from on as StepRecords.
func (s *Slip) records(from int) []StepRecord {
	s.flush()
	if from >= len(s.log) {
		return nil
	}
	out := make([]StepRecord, len(s.log)-from)
	timed := len(s.times) == len(s.log)
	for i := range out {
		e := &s.log[from+i]
		out[i] = StepRecord{Stage: s.reg.names[e.stage], Attempts: int(e.attempts), Outcome: e.outcome, Err: e.err}
		if timed {
			out[i].Start, out[i].Duration = s.times[from+i].start, s.times[from+i].dur
		}
	}
	return out
}

// StepRecord is one entry of a slip's log: a step the message took, or a compensation.
type StepRecord struct {
	Stage    string  // stage name
	Attempts int     // attempts made
	Outcome  Outcome // how it ended
	Err      error   // the last attempt's error; nil when Outcome is Succeeded or Compensated
	// Start and Duration time the step (all its attempts and waits) or compensation; they are
	// zero unless the pipeline times steps (WithTiming, WithObserver).
	Start    time.Time
	Duration time.Duration
}

// Outcome is how a step or compensation ended.
type Outcome uint8

const (
	Succeeded          Outcome = iota + 1 // the step succeeded
	Failed                                // the step failed after its attempts; the message failed
	Tolerated                             // an optional step failed; the message went on
	Compensated                           // the step's compensation succeeded
	CompensationFailed                    // the step's compensation failed after its attempts
)

var outcomeNames = [...]string{"", "succeeded", "failed", "tolerated", "compensated", "compensation failed"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && o != 0 {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// registry maps stage names to indexes for slips. It is built at New and read-only after.
type registry struct {
	names []string
	index map[string]int32
}

// resolve appends to dst a hop like proto for each of names, at that name's stage.
func (r *registry) resolve(dst []hop, names []string, proto hop) ([]hop, error) {
	for _, n := range names {
		i, ok := r.index[n]
		if !ok {
			return dst, fmt.Errorf("%w %q", ErrUnknownStage, n)
		}
		proto.stage = i
		dst = append(dst, proto)
	}
	return dst, nil
}

// Stage returns the name of the stage running now ("" before the first step).
func (s *Slip) Stage() string {
	if s.pos >= 0 && s.pos < len(s.route) {
		return s.reg.names[s.route[s.pos].stage]
	}
	return ""
}

// Remaining returns the names of the stages still to run after the current one. It allocates.
func (s *Slip) Remaining() []string {
	var out []string
	for _, h := range s.route[min(s.pos+1, len(s.route)):] {
		out = append(out, s.reg.names[h.stage])
	}
	return out
}

// Hops returns the number of steps the message has started, the current one included.
func (s *Slip) Hops() int { return s.hops }

// Log returns the steps taken so far, in order, as a new slice (it allocates).
func (s *Slip) Log() []StepRecord { return s.records(0) }

// Attempt returns the number of the attempt running now, from 1.
func (s *Slip) Attempt() int { return s.attempt }

// InsertNext makes names the next stages to run, before the rest of the itinerary. An unknown
// name is an error matching ErrUnknownStage and revises nothing.
func (s *Slip) InsertNext(names ...string) error { return s.insert(names, hop{}) }

// InsertNextOptional is InsertNext for optional steps: their failure is tolerated (see Optional).
func (s *Slip) InsertNextOptional(names ...string) error {
	return s.insert(names, hop{optional: true})
}

// Append adds names at the end of the itinerary.
func (s *Slip) Append(names ...string) error { return s.append(names, hop{}) }

// AppendOptional is Append for optional steps: their failure is tolerated (see Optional).
func (s *Slip) AppendOptional(names ...string) error { return s.append(names, hop{optional: true}) }

// Replace replaces everything after the current step with names.
func (s *Slip) Replace(names ...string) error {
	if err := s.check(names); err != nil {
		return err
	}
	s.snapshot()
	s.route = s.route[:s.pos+1]
	s.route, _ = s.reg.resolve(s.route, names, hop{})
	return nil
}

// Skip removes the next n steps (fewer if fewer remain) and returns how many it removed.
func (s *Slip) Skip(n int) int {
	rest := len(s.route) - s.pos - 1
	n = max(0, min(n, rest))
	if n > 0 {
		s.snapshot()
		s.route = slices.Delete(s.route, s.pos+1, s.pos+1+n)
	}
	return n
}

// End ends the itinerary after the current step: the message completes when it succeeds.
func (s *Slip) End() { s.Skip(len(s.route)) }

func (s *Slip) check(names []string) error {
	for _, n := range names {
		if _, ok := s.reg.index[n]; !ok {
			return fmt.Errorf("%w %q", ErrUnknownStage, n)
		}
	}
	return nil
}

func (s *Slip) insert(names []string, proto hop) error {
	if err := s.check(names); err != nil {
		return err
	}
	return s.insertAt(names, proto)
}

// insertAt is insert of checked names.
func (s *Slip) insertAt(names []string, proto hop) error {
	s.snapshot()
	tail := len(s.route)
	s.route, _ = s.reg.resolve(s.route, names, proto)
	// rotate the new hops from the end to just after the current step
	slices.Reverse(s.route[s.pos+1 : tail])
	slices.Reverse(s.route[tail:])
	slices.Reverse(s.route[s.pos+1:])
	return nil
}

func (s *Slip) append(names []string, proto hop) error {
	if err := s.check(names); err != nil {
		return err
	}
	return s.appendAt(names, proto)
}

// appendAt is append of checked names.
func (s *Slip) appendAt(names []string, proto hop) error {
	s.snapshot()
	s.route, _ = s.reg.resolve(s.route, names, proto)
	return nil
}

// share makes the slip's itinerary the pipeline's default one, def, without copying it: a
// message on the default itinerary that no stage revises (the common case) never copies it.
// Every change of the itinerary goes through snapshot, which calls own first.
func (s *Slip) share(def []hop) {
	s.buf, s.route, s.shared = s.route[:0], def, true
}

// own gives the slip its own copy of a shared itinerary (see share), before it is changed.
func (s *Slip) own() {
	if s.shared {
		s.route = append(s.buf[:0], s.route...)
		s.buf, s.shared = nil, false
	}
}

// snapshot saves the rest of the itinerary before the current attempt's first revision.
func (s *Slip) snapshot() {
	s.own()
	if !s.revised {
		s.saved = append(s.saved[:0], s.route[s.pos+1:]...)
		s.nsaved = len(s.policies)
		s.revised = true
		s.untouched = false
	}
}

// rollback undoes the current attempt's revisions.
func (s *Slip) rollback() {
	if s.revised {
		s.route = append(s.route[:s.pos+1], s.saved...)
		clear(s.policies[s.nsaved:]) // the policies of undone revisions: no hop refers to them
		s.policies = s.policies[:s.nsaved]
		s.revised = false
	}
}

// reset prepares the slip for a new message.
func (s *Slip) reset(reg *registry) {
	s.reg = reg
	if s.shared {
		s.route, s.buf, s.shared = s.buf[:0], nil, false
	} else {
		s.route = s.route[:0]
	}
	s.pos = 0
	s.hops = 0
	s.log = s.log[:0]
	s.times = s.times[:0]
	s.attempt = 0
	s.revised = false
	s.untouched = true
	s.errs = false
	s.tolerating, s.tolErr = false, nil
	if len(s.policies) > 0 {
		clear(s.policies) // drops their Retryable functions
		s.policies = s.policies[:0]
	}
}
