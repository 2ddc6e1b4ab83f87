// Package jetstream is a Baton engine that runs the choreographed strategy across processes
// and machines on NATS JetStream: the routing slip travels in the message, as MassTransit
// Courier's slips travel over RabbitMQ.
//
// A process builds its pipeline as in process, with the same stages, and gives it an Engine:
//
//	eng, _ := jetstream.New(nc, jetstream.Config{Name: "orders", Hosts: []string{"reserve"}})
//	p, _ := baton.New(stages, baton.WithEngine(eng))
//
// It then hosts the stages it names (a worker), submits messages with Process, Run and Stream
// and reads their Results (a client), or both. Every rule of a step — retries, backoff,
// timeouts, optional steps, slip revisions, compensation, errors, logs — is decided by
// Baton's own step code, run by the Host the pipeline gives the engine; the engine carries
// the message's encoded state (see baton.WithEngine).
//
// # How it travels
//
// One stream per pipeline, BATON_<Name>, with work-queue retention, holds every hand-off. Each
// stage has a durable pull consumer shared by all the processes hosting it, with
// max(1, Workers) workers in each. A worker runs the step, reads the slip, publishes the
// message to the next stage's subject — or, when it is finished, to its submitter's results
// subject — and acknowledges its own hand-off only once that publish is stored. Every
// publish carries a JetStream message ID made of the submitter's name, the message's ID and
// the hand-off's number, so a step that runs again (its worker crashed after publishing but
// before acknowledging) hands its message on once: the duplicate is dropped by the server,
// and the submitter receives exactly one result per message.
//
// # What is guaranteed, and what is not
//
//   - Each message gets exactly one result, also when workers are killed at any point: a
//     hand-off not acknowledged is delivered again after AckWait; its last allowed delivery
//     (MaxDeliver) fails the step rather than running it, so the message is compensated and
//     gets its result.
//   - A step may run more than once after a crash. Stages whose side effects must happen once
//     key them by baton.StepKey(ctx), the same each time the same step runs.
//   - A step run by another process sees its message's deadline (WithMessageTimeout, or the
//     caller's), but not its cancellation; steps run by the submitting process see both.
//   - Errors keep their types (*baton.StepError, *baton.PanicError, *baton.CompensationError)
//     and texts; errors.Is matches Baton's sentinels, the context package's and those every
//     process registers with baton.WithSentinels.
//   - A message whose state cannot be read where it arrives (undecodable, another version of
//     the encoding, a stage that process's pipeline does not have) ends at once with an error
//     matching baton.ErrEngine: it is never redelivered in a loop.
//
// # What it costs
//
// A hop is a publish, a delivery, the step and an acknowledgement; the message's state is
// written in Baton's compact binary form (baton.StateVersion 2: only the value goes through
// the pipeline's Codec), so its size grows with the log by a few bytes per step. A hand-off
// is published as a plain NATS message whose reply subject is the engine's own: the stream's
// acknowledgement is read there, on one goroutine, without a future, a timer or a JSON
// decoding per publish (only an answer that carries an error is decoded); one ticker per
// engine fails the publishes left unanswered for 10s. Each worker has one heartbeat timer. A
// stage's workers fetch up to eight hand-offs each ahead (at most MaxPending); pull requests expire after 2s with a heartbeat every 500ms, so a stage whose pull request
// the server no longer holds (seen under load; with the client library's defaults the stage
// stood still for 30s) pulls anew within a second. Measured figures, with their command, are
// in the README's "Across processes" section; the embedded server's work (storing, delivering
// and removing each hand-off) is about 45% of a hop's CPU time, the NATS client's about 25%.
//
// Differences from the in-process strategies, declared to the conformance suite
// (batontest.Features): a message queued for a busy stage cannot be taken back by its caller
// (QueuedUntilStarted); Stats' Inbox counts the hand-offs a process's workers of a stage have
// been handed and not started (see Engine.Inbox: not those the client fetched ahead); stage
// counters count the steps each process ran.
//
// # Servers
//
// StartServer embeds a NATS server with JetStream (on a directory, or a temporary one), so a
// program runs with nothing installed; to use an existing server or cluster, connect with
// nats.Connect(url, options...) and give New the connection.
package jetstream
