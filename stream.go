package baton

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/baton-go/baton/internal/handoff"
	"github.com/baton-go/baton/internal/reorder"
)

// batchMax is the most results a stream's consumer takes from its sink in one pass (see
// internal/handoff's Single).
const batchMax = 16

// Stream is a flow of many messages through a pipeline: Submit them, CloseSend when done, and
// range over Results for exactly one Result per accepted message. Results come in completion
// order, or in submission order with WithSubmissionOrder.
//
// Submit may be called from many goroutines and concurrently with Results; Results may be
// ranged over once, and must be: it is what releases the stream. A message holds one of the
// pipeline's in-flight slots until it finishes, and one of its stream's own until Results yields
// it: a stream has room for as many unread results as the pipeline's in-flight bound, so a
// stream whose results are not read stops accepting messages, and never holds up other streams
// or Process calls.
//
// Run is the simpler form for a sequence of messages known up front.
type Stream[T any] struct {
	p      *Pipeline[T]
	ctx    context.Context
	cancel context.CancelCauseFunc
	// detach and unlink release what deriving ctx from the caller's registered (see derive).
	detach  func() bool
	unlink  context.CancelCauseFunc
	sink    *handoff.Single[*message[T]] // finished messages, for Results: lock-free, taken in batches
	tokens  *handoff.Gate                // one per message accepted and not yet yielded by Results
	refusal error                        // why every Submit fails: a nil option, or opened from inside a stage

	// state is the number of messages accepted (and rejected ones reported) — the next Seq —
	// times 2, plus 1 once closed; after closing, the number is final.
	state   atomic.Uint64
	eof     chan struct{} // closed by CloseSend
	eofOnce sync.Once

	// Messages Run could not submit are reported through rejects, not the pipeline: once one
	// is refused, all later ones are, so they are numbered after every accepted one, and the
	// consumer takes them only when it has every accepted result — they wait on this stream's
	// consumer alone, never on the pipeline's in-flight slots.
	rejects     chan *message[T]
	refused     chan struct{} // closed at the first refusal
	refusedOnce sync.Once
	firstReject atomic.Int64 // the first refused message's Seq, or -1

	ranging     atomic.Bool
	failFast    bool
	msgContexts bool
}

// StreamOption configures one stream (of Pipeline.Stream or Pipeline.Run). A nil StreamOption
// refuses the stream: every Submit fails with an error matching ErrInvalidPipeline that says
// "nil StreamOption", and Run gives each message of its input a Result carrying that error.
type StreamOption func(*streamConfig)

type streamConfig struct {
	failFast    bool
	msgContexts bool
	err         error // a nil StreamOption
}

// MessageContexts makes each message of the stream run under the context given to its Submit,
// instead of the stream's: the message's stages see that context's values (a parent span, a
// request ID) and the message stops when it is cancelled, as a Process message does — and also
// when the stream's context ends, or at Shutdown's deadline. Without it (the default), Submit's
// context bounds only Submit's wait. Run has no per-message context: the option changes
// nothing there. Cost: a child context per message (a few allocations, and a lock of the
// stream's context when the message starts and ends).
func MessageContexts() StreamOption { return func(c *streamConfig) { c.msgContexts = true } }

// FailFast makes the stream's first failed message cancel the stream: the messages still in
// flight stop at their next step and each still gets a result, with an error matching
// context.Canceled that names the failure; later submissions fail. Without it (the default),
// each message fails alone and the rest go on.
func FailFast() StreamOption { return func(c *streamConfig) { c.failFast = true } }

// Stream opens a stream whose messages run under ctx: cancelling it stops them at their next
// step (each still gets a result, saying so). Stream starts no goroutine. Opened with the
// context of one of the pipeline's own messages (from inside a stage), the stream is refused:
// every Submit returns ErrReentrant.
func (p *Pipeline[T]) Stream(ctx context.Context, opts ...StreamOption) *Stream[T] {
	var c streamConfig
	for _, o := range opts {
		if o == nil {
			c.err = errNilStreamOption
			continue
		}
		o(&c)
	}
	n := p.inflight.Cap()
	s := &Stream[T]{
		p:           p,
		sink:        handoff.NewSingle[*message[T]](n),
		tokens:      handoff.NewGate(n),
		eof:         make(chan struct{}),
		failFast:    c.failFast,
		msgContexts: c.msgContexts,
		rejects:     make(chan *message[T]),
		refused:     make(chan struct{}),
	}
	s.firstReject.Store(-1)
	s.refusal = c.err // a stream with a nil option accepts nothing (see Submit)
	if p.reentrant(ctx) {
		s.refusal = fmt.Errorf("%w: the stream was opened with a context of this pipeline's own message", ErrReentrant)
	}
	base, detach, unlink := p.derive(ctx)
	s.detach, s.unlink = detach, unlink
	s.ctx, s.cancel = context.WithCancelCause(base)
	return s
}

var errNilStreamOption = fmt.Errorf("%w: nil StreamOption: the stream accepts no message", ErrInvalidPipeline)

// Submit sends msg into the stream. It blocks while the stream has no room for another unread
// result or the pipeline's in-flight bound is reached, until ctx (which bounds only this wait;
// the message runs under the stream's context) or the stream's context is done, or CloseSend
// is called. It fails with ErrStreamClosed after CloseSend or once the results were abandoned,
// ErrClosed once the pipeline is closing, or ctx's cause; and always, at once, with an error
// matching ErrInvalidPipeline when the stream was opened with a nil StreamOption, or
// ErrReentrant when it was opened (or Submit is called) with a context of one of the
// pipeline's own messages.
func (s *Stream[T]) Submit(ctx context.Context, msg T) error {
	if s.refusal != nil {
		return s.refusal
	}
	if s.state.Load()&1 != 0 {
		return ErrStreamClosed
	}
	if err := s.p.admit(ctx); err != nil {
		return err
	}
	if s.ctx.Err() != nil { // cancelled, or a FailFast stream's first failure: later submissions fail
		return context.Cause(s.ctx)
	}
	if err := s.take(ctx); err != nil {
		return err
	}
	if err := s.p.acquire(ctx, s); err != nil {
		s.tokens.Release()
		return err
	}
	seq, ok := s.number()
	if !ok {
		s.p.leave()
		s.p.inflight.Release()
		s.tokens.Release()
		return ErrStreamClosed
	}

	a := arrival[T]{ctx: s.ctx, derived: true, stream: s, seq: seq}
	if s.msgContexts {
		a.ctx, a.detach, a.cancel = s.p.deriveWithin(ctx, s.ctx)
	}
	s.p.strat.dispatch(s.p.newMessageOf(a, msg))
	return nil
}

// take takes one of the stream's tokens, waiting as Submit says.
func (s *Stream[T]) take(ctx context.Context) error { return s.p.room(s.tokens, ctx, s) }

// CloseSend ends submission: Results ends once every accepted message has its result. It is safe
// to call more than once.
func (s *Stream[T]) CloseSend() {
	s.state.Or(1)
	s.eofOnce.Do(func() { close(s.eof) })
}

// Results yields one Result per accepted message, and ends after CloseSend once all are
// delivered. Breaking out of the loop abandons the stream: its context is cancelled, later
// Submits fail with ErrStreamClosed, and the remaining results are waited for and discarded
// before the loop returns, so nothing stays in flight — also when the loop's body panics or
// calls runtime.Goexit. It may be ranged over once; a second range yields nothing.
func (s *Stream[T]) Results() iter.Seq[Result[T]] {
	return func(yield func(Result[T]) bool) {
		if !s.ranging.CompareAndSwap(false, true) {
			return
		}
		var ord *reorder.Buffer[*message[T]]
		if s.p.cfg.ordered {
			ord = reorder.New[*message[T]](s.tokens.Cap())
		}
		var got uint64
		// Results are taken from the sink in batches: whatever waits, up to batchMax, in one
		// pass over the sink's ring, with no lock (see internal/handoff's NewSingle);
		// batch[next:] are taken and not yet counted in got.
		batch := make([]*message[T], 0, batchMax)
		next := 0
		// Unless the loop ends normally, the stream is abandoned: also when the loop's body
		// panics or calls runtime.Goexit (t.FailNow), so that nothing stays in flight.
		finished := false
		defer func() {
			if !finished {
				for _, m := range batch[next:] {
					s.discard(m)
					got++
				}
				if ord != nil {
					ord.Drain(s.discard)
				}
				s.abandon(got)
			}
		}()
		eof, refused := s.eof, s.refused
		var rejects chan *message[T]
		for {
			if eof == nil && got == s.total() {
				finished = true
				s.release()
				return
			}
			if refused == nil && rejects == nil && got == uint64(s.firstReject.Load()) {
				rejects = s.rejects // every accepted result is in: the refused ones follow
			}
			var m *message[T]
			if next == len(batch) {
				var ready <-chan struct{}
				clear(batch)
				batch, next = batch[:0], 0
				if batch, ready = s.sink.Watch(batch, batchMax); len(batch) == 0 {
					select {
					case <-ready:
						continue
					case m = <-rejects:
					case <-refused:
						refused = nil
						continue
					case <-eof:
						eof = nil
						continue
					}
				}
			}
			if m == nil {
				m = batch[next]
				next++
			}
			got++
			if ord == nil {
				if !yield(s.result(m)) {
					return
				}
				continue
			}
			ord.Put(m.seq, m)
			for m, ok := ord.Pop(); ok; m, ok = ord.Pop() {
				if !yield(s.result(m)) {
					return
				}
			}
		}
	}
}

// number gives the next message its Seq, unless the stream is closed.
func (s *Stream[T]) number() (uint64, bool) {
	for {
		st := s.state.Load()
		if st&1 != 0 {
			return 0, false
		}
		if s.state.CompareAndSwap(st, st+2) {
			return st >> 1, true
		}
	}
}

// total is the number of messages accepted or reported; final once the stream is closed.
func (s *Stream[T]) total() uint64 { return s.state.Load() >> 1 }

// result turns a finished message into its Result and recycles the message.
func (s *Stream[T]) result(m *message[T]) Result[T] {
	r := s.p.result(m)
	s.discard(m)
	return r
}

// discard returns m's token to the stream and recycles m.
func (s *Stream[T]) discard(m *message[T]) {
	if !m.noToken {
		s.tokens.Release()
	}
	s.p.release(m)
}

// release releases the stream's context once no message uses it.
func (s *Stream[T]) release() {
	s.cancel(ErrStreamClosed)
	if s.detach != nil {
		s.detach()
		s.unlink(ErrStreamClosed)
	}
}

// abandon cancels the stream, closes it and discards the results still to come.
func (s *Stream[T]) abandon(got uint64) {
	s.cancel(ErrStreamClosed)
	s.CloseSend()
	var batch []*message[T]
	for total := s.total(); got < total; {
		var ready <-chan struct{}
		if batch, ready = s.sink.Watch(batch[:0], batchMax); len(batch) == 0 {
			select {
			case <-ready:
			case m := <-s.rejects:
				s.discard(m)
				got++
			}
			continue
		}
		for _, m := range batch {
			s.discard(m)
			got++
		}
	}
	s.release()
}
