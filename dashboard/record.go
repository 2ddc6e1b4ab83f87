package dashboard

import (
	"fmt"
	"time"

	"github.com/baton-go/baton"
)

// This file is what the dashboard keeps of one message: its timeline, built from its events.

// maxTimeline bounds the entries kept per message, so that a message looping through its
// stages cannot grow without end; the entries past it are counted in record.dropped.
const maxTimeline = 256

// entry is one event of a message's timeline, as the observer saw it. err is kept as the
// error value and formatted only when a page or the JSON asks for it.
type entry struct {
	kind      baton.EventKind
	stage     string
	attempt   int
	outcome   baton.Outcome
	err       error
	at        time.Time
	duration  time.Duration
	backoff   time.Duration
	comp      bool
	remaining []string
}

// record is one message: in flight (in a shard) or finished (in a ring). It is guarded by the
// lock of its shard while in flight, and by its ring's once finished.
type record struct {
	id       uint64
	key      string
	accepted time.Time
	finished time.Time
	err      error
	done     bool
	last     string // the stage of the last step begun, for hand-off edges
	steps    int    // steps begun (first attempts), for the path
	value    string // from RecordResult, "" without it
	dropped  int    // timeline entries not kept (past maxTimeline)
	timeline []entry
}

func (r *record) add(e baton.Event) {
	if len(r.timeline) >= maxTimeline {
		r.dropped++
		return
	}
	r.timeline = append(r.timeline, entry{
		kind: e.Kind, stage: e.Stage, attempt: e.Attempt, outcome: e.Outcome, err: e.Err,
		at: e.Time, duration: e.Duration, backoff: e.Backoff, comp: e.Compensation, remaining: e.Remaining,
	})
}

// reset empties r for reuse, keeping its timeline's storage.
func (r *record) reset() {
	tl := r.timeline[:0]
	clear(r.timeline)
	*r = record{timeline: tl}
}

// Message is one message as the dashboard shows it: in flight or finished.
type Message struct {
	ID       uint64    `json:"id"`
	Key      string    `json:"key"`
	Accepted time.Time `json:"accepted"`
	Finished time.Time `json:"finished,omitzero"`
	// Done is false while the message is in flight.
	Done bool `json:"done"`
	// Error is the message's error text, "" on success or while in flight.
	Error string `json:"error,omitempty"`
	// Value is the message's final value as RecordResult described it ("" without it).
	Value string `json:"value,omitempty"`
	// Path is the stages the message has entered, in order (a stage revisited shows again).
	Path []string `json:"path"`
	// Timeline is every event of the message, in order; Dropped counts those past the bound.
	Timeline []Step `json:"timeline"`
	Dropped  int    `json:"dropped,omitempty"`
}

// Step is one event of a message's timeline.
type Step struct {
	Kind    string    `json:"kind"`
	Stage   string    `json:"stage,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
	// Duration and Backoff are in seconds, as JSON numbers.
	Duration     float64  `json:"duration,omitempty"`
	Backoff      float64  `json:"backoff,omitempty"`
	Compensation bool     `json:"compensation,omitempty"`
	Remaining    []string `json:"remaining,omitempty"`
}

// message copies r into its exported form; called under the lock that guards r.
func (r *record) message() Message {
	m := Message{ID: r.id, Key: r.key, Accepted: r.accepted, Finished: r.finished, Done: r.done,
		Value: r.value, Dropped: r.dropped, Path: []string{}, Timeline: make([]Step, 0, len(r.timeline))}
	if r.err != nil {
		m.Error = errText(r.err)
	}
	for _, e := range r.timeline {
		s := Step{Kind: e.kind.String(), Stage: e.stage, Attempt: e.attempt, At: e.at,
			Duration: e.duration.Seconds(), Backoff: e.backoff.Seconds(), Compensation: e.comp, Remaining: e.remaining}
		if e.outcome != 0 {
			s.Outcome = e.outcome.String()
		}
		if e.err != nil {
			s.Error = errText(e.err)
		}
		if e.kind == baton.StepStarted && e.attempt == 1 {
			m.Path = append(m.Path, e.stage)
		}
		m.Timeline = append(m.Timeline, s)
	}
	return m
}

// errText is err's text. It is formatted under the locks that guard records, which a panic
// must not leave held (the pipeline's observer would then wait for ever): fmt contains a panic
// of an Error method and prints it instead.
func errText(err error) string { return fmt.Sprint(err) }
