package baton

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sync"
)

// This file is Run: a stream fed from an iter.Seq.

// Run streams the messages of in through the pipeline under ctx and yields one Result per
// message: completion order by default, submission order with WithSubmissionOrder. It pulls
// from in on one goroutine of its own, which it waits for before returning.
//
// Every message pulled from in gets exactly one result. Run stops pulling at the first message
// it cannot submit — ctx cancelled, a FailFast stream's first failure, the pipeline closed —
// and that message's result carries the reason, without running; so an endless input stops
// once ctx is cancelled. Breaking out of the loop stops Run cleanly (and stops pulling), as
// for Stream.Results.
//
// Run cannot interrupt in itself: an input that blocks (waiting for its next item) holds Run
// until it yields or returns, also after ctx is cancelled, so an input that may block should
// select on the same ctx. An input that panics, or calls runtime.Goexit, stops being pulled; once
// the results of the messages it produced are delivered, Run re-raises the panic — as a
// *PanicError with the input's stack, matching ErrPanic — or the Goexit in the goroutine that
// ranges over Run, as a range loop over the input itself would. (A router, key function or
// observer that calls Goexit while Run submits — unsupported — is taken for the input's.) A nil
// in panics at once.
func (p *Pipeline[T]) Run(ctx context.Context, in iter.Seq[T], opts ...StreamOption) iter.Seq[Result[T]] {
	return func(yield func(Result[T]) bool) {
		if in == nil {
			panic(errors.New("baton: Run: nil input sequence"))
		}
		s := p.Stream(ctx, opts...)
		var (
			wg     sync.WaitGroup
			failed *PanicError // the input's panic
			exited bool        // the input called runtime.Goexit
		)
		wg.Go(func() {
			defer s.CloseSend()
			contain(func() {
				for v := range in {
					if err := s.Submit(ctx, v); err != nil {
						s.reject(v, err)
						break
					}
				}
			}, func(pe *PanicError) { failed = pe }, func() { exited = true })
		})
		consumed := false
		defer func() {
			wg.Wait()
			if !consumed {
				return // the loop body is panicking or exiting: let it
			}
			if failed != nil {
				panic(failed)
			}
			if exited {
				runtime.Goexit()
			}
		}()
		for r := range s.Results() {
			if !yield(r) {
				break
			}
		}
		consumed = true
	}
}
