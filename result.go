package baton

// This file is a message's Result: what a caller gets back.

// Result is the outcome of one message of a stream: its final value, its error (nil on success),
// and its slip's log: every step it took and every compensation, in order.
type Result[T any] struct {
	// Value is the message as the last successful step left it (the input if no step ran).
	Value T
	// Err is nil on success; otherwise a *StepError, an error matching ErrUnknownStage,
	// ErrHopLimit, ErrTimeout, ErrAborted, context.Canceled …, wrapped in a *CompensationError
	// when completed steps were compensated.
	Err error
	// Log is the slip's log: every step and compensation, in order. Treat it as read-only:
	// results of messages that completed the default itinerary unrevised, each step at its
	// first attempt, share one slice, so that they cost no allocation (its capacity is its
	// length, so an append copies; a write into an element would change every such result).
	// Any other result has its own. WithPrivateLogs gives every result its own log, at one
	// allocation per message, for code that changes logs in place.
	Log []StepRecord
	// Seq is the message's submission number within its stream, from 0 (0 for ProcessResult).
	Seq uint64
	// ID identifies the message within its pipeline: the pipeline numbers the messages it
	// accepts from 1, in the order it accepts them. Its events carry it (Event.Message), and so
	// do the slog observer's records and the otel module's spans. A message refused before it
	// was accepted (Run's refused ones) has ID 0.
	ID uint64
	// Key is the message's own key, from WithKey: an order or document ID the events, log
	// records and spans of the message carry too. "" without WithKey.
	Key string
}

// Compensation returns the compensation records of the log, in the order they ran.
func (r Result[T]) Compensation() []StepRecord {
	var out []StepRecord
	for _, s := range r.Log {
		if s.Outcome == Compensated || s.Outcome == CompensationFailed {
			out = append(out, s)
		}
	}
	return out
}

// log returns m's log as StepRecords for its Result. A message that completed the default
// itinerary unrevised, each step at its first attempt, untimed, shares one read-only log made
// at New: the common case costs no allocation. Any other gets its own copy (one allocation).
func (p *Pipeline[T]) log(m *message[T]) []StepRecord {
	if m.err == nil && m.slip.untouched && p.router == nil && !p.timing && !p.cfg.privateLogs {
		return p.defaultLog
	}
	return m.slip.records(0)
}

// result is the Result of a finished message.
func (p *Pipeline[T]) result(m *message[T]) Result[T] {
	return Result[T]{Value: m.value, Err: m.err, Log: p.log(m), Seq: m.seq, ID: m.id, Key: m.key}
}
