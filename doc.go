// Package baton runs a pipeline of stages — transformations of one message type — under either
// of the two ways services in a pipeline are coordinated, switched by one option:
//
//   - Orchestrated: a central executor drives each message step by step (Process runs it in the
//     caller's goroutine; streams run it on driver goroutines, as many as choreography would
//     have stage goroutines).
//   - Choreographed: each stage has its own goroutines and inbox, and after each step the stage
//     itself reads the message's routing slip and hands the message to the next stage.
//
// # Stages and slips
//
// A Stage has a name and a Process method. Func, SlipFunc, Compensable and Configure adapt
// functions and add per-stage policies: Workers, Retry, AttemptTimeout, StepTimeout, Optional,
// CompensationRetry. Each accepted message carries a Slip: its itinerary (every stage in order,
// or what WithRouter computes from the message), a cursor and a log. The stage holding the
// message can revise the rest of the slip — InsertNext, Append, Replace, Skip, End — so each
// message takes its own stages in its own order, adjusted on the fly.
//
// # One contract, two strategies
//
// The step code is shared (step.go): attempts, backoff, timeouts, panics, optional steps,
// compensation of completed steps in reverse order, the slip's log, stats and events are decided
// there, so results, errors and logs are the same under both strategies. Every accepted message
// gets exactly one result; bad input (an unknown stage in a slip, an empty itinerary from the
// router, a hop limit, a panicking stage, a cancelled context) is that message's error, testable
// with errors.Is and errors.As. What can be known at New (nil stages, functions and options,
// duplicate names, invalid option values) is New's error, matching ErrInvalidPipeline.
//
// # Running messages
//
// Process runs one message synchronously. Run streams a sequence (iter.Seq) and yields one
// Result per message, with its value, error and slip log; Stream is the same with explicit
// Submit and CloseSend. WithMaxInFlight bounds the messages in flight; submitting blocks,
// honouring its context, at the bound. A stream also has room for as many unread results as the
// bound, so a stream whose results are not read holds up only itself. Close drains and stops
// everything; Shutdown does so with a deadline, at which it aborts what is left and returns.
//
// With the same stage options both strategies run as many steps at once: Workers(n) lets a
// stage run n steps at once under either, and a message never waits behind messages queued for
// a stage it does not need.
//
// A stage must not wait for its own pipeline: Process, Stream, Submit, Run and Shutdown given
// the context of one of the pipeline's messages, and Close or Shutdown called from inside a
// stage while messages are in flight, return ErrReentrant at once.
//
// # Stopping a message
//
// A message stops when its context ends — the caller's, the stream's, WithMessageTimeout's — or
// at Shutdown's deadline: the step running sees its context cancelled, no further step starts
// (also for a message waiting in an inbox or for a worker), and its completed steps are
// compensated. Its error matches the context's cause (context.Canceled, the cause given to
// context.WithCancelCause, ErrTimeout, ErrAborted; context.DeadlineExceeded for any deadline),
// and a step cut short this way is not retried and keeps its stage's own error too. A deadline
// is a promise of bounded time: a step that ignores its context and returns success after its
// attempt's or its message's deadline fails with that timeout, its value dropped. A step that
// succeeds after a cancellation counts, and the message stops before its next step.
//
// # Watching
//
// Stats returns counters per stage (and, WithTiming, latency quantiles); WithObserver installs
// an Observer told of every event; SlogObserver logs them.
//
// # Cost
//
// Measured on a 2-core machine by BenchmarkOverhead (README, "Performance"), per step of a stage
// with the default policy, beyond the stage's own work: orchestrated Process about 10 ns (a
// direct call through the Stage interface: about 2 ns) and about 80 ns per message; orchestrated
// Run about 300 ns per message plus nothing per step (46 ns/step at 10 stages, 11 at 100);
// choreographed Run one buffered channel hand-off per step (55 ns/step at 10 stages, 35 at 100).
// None allocates per step; a message on the default itinerary allocates nothing. A Process
// context that can be cancelled costs a child context linked to Shutdown's abort signal (7
// allocations, about 0.6 µs, BenchmarkProcessContext); context.Background costs nothing, a
// context with values but no cancellation one allocation. WithTiming adds two clock reads and a
// few atomic adds per step; an Observer, an event per step boundary.
package baton
