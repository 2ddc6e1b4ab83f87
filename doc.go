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
// Process runs one message synchronously; ProcessResult is Process returning the whole Result.
// Run streams a sequence (iter.Seq) and yields one Result per message; Stream is the same with
// explicit Submit and CloseSend. Close drains and stops everything; Shutdown does so with a
// deadline, at which it aborts what is left and returns.
//
// With the same stage options both strategies run as many steps at once: Workers(n) lets a
// stage run n steps at once under either, and a message never waits behind messages queued for
// a stage it does not need.
//
// A stage must not wait for its own pipeline: Process, Stream, Submit, Run and Shutdown given
// the context of one of the pipeline's messages, and Close or Shutdown called from inside a
// stage while messages are in flight, return ErrReentrant at once.
//
// # Results
//
// Every accepted message gets exactly one result, through failures, panics, timeouts,
// cancellation, Close and Shutdown. A Result carries the message's value (as its last successful
// step left it), its error (nil on success: a *StepError, a *CompensationError wrapping the
// original failure when completed steps were compensated, or an error matching one of the
// sentinels), its slip's log, its ID and its key. Run also reports each message it pulled but
// could not submit, with the reason.
//
// # Ordering and backpressure
//
// Streams deliver results in completion order, or in submission order with
// WithSubmissionOrder. WithMaxInFlight bounds the messages in flight (accepted, not finished):
// Process and Submit wait for room, honouring their context. Each stream also has room for as
// many unread results as that bound: a message holds one until Results yields it, so a stream
// whose results are not read stops accepting messages and holds up nothing else.
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
// Stats returns counters per stage, rates over the last second and minute, and, with timing,
// latency quantiles; WithObserver installs an Observer told of every event; SlogObserver logs
// them; a ContextObserver also chooses each step's context.
//
// # Cost
//
// This section is the one place Baton's measured costs are stated; other doc comments point
// here. Per step of a stage with the default policy, beyond the stage's own work
// (BenchmarkOverhead; README, "Performance", has the tables, the commands and the machine):
//
//   - orchestrated Process: 1.7–1.9× a direct call through the Stage interface at 100
//     stages (3.7–5.2 against 2.2–2.7 CPU ns/step on the shared 2-core machine of the last
//     run), and about 140 ns per message; no allocation. A message on the default itinerary
//     (which it shares with the pipeline until a stage revises it) runs its plain steps
//     (default policy, no Workers cap, untimed) in one loop that knows from one packed count
//     how many plain stages follow, applies the hop limit once per run and passes the value
//     from call to call in a register; a step that succeeds at its first attempt writes no
//     log entry (the log is completed from the itinerary when it is read).
//   - orchestrated Run: the in-flight slots and stream tokens are atomic counters, and a
//     submitter parks only at the bound, served in arrival order; every driver takes from
//     one lock-free ring, one message at a time (a compare-and-swap and a store), so no
//     message waits in another's batch, and a stream's results go through a lock-free queue
//     of one consumer: about 3.5–4× the hand-written pool per step at 10 stages in CPU time,
//     level with conc's pool or ahead of it (0.42–1.15× its time in four loaded runs);
//   - choreographed Run: a stage's inbox is a lock-free ring; passing a message on is one
//     compare-and-swap and one store, taking it a load and a store for a lone worker, and a
//     wake-up is paid only when a worker is parked: about 1.6× the goroutine-per-stage
//     channel floor at 10 stages, at or below it at 100.
//
// A lone message is never held back for a batch: its latency through 10 stages at light load
// is that of one hand-off per step (BenchmarkLatency). Under load a result waits for at most
// the messages its stream's consumer already took.
//
// None allocates per step; a message on the default itinerary allocates nothing. A Process
// context that can be cancelled costs a child context linked to Shutdown's abort signal (7
// allocations, about 0.6 µs, BenchmarkProcessContext); context.Background costs nothing, a
// context with values but no cancellation one allocation. Counting a finished message for the
// rates costs a few nanoseconds. With timing (WithTiming, WithObserver) a step pays two clock
// reads and about six atomic operations, some 20 ns; an Observer, an event per step boundary.
// Stats costs about 50 ns per stage untimed and 0.6 µs per stage timed (BenchmarkStats).
package baton
