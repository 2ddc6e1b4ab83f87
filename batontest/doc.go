// Package batontest is a test kit for Baton, in the spirit of net/http/httptest and
// testing/fstest: it proves that the two strategies agree, for Baton itself and for the users'
// own stages, and it specifies what any way of running a pipeline must do.
//
// # Equivalence
//
// Equivalent runs one set of stages, options and inputs under baton.Orchestrated and under
// baton.Choreographed and fails the test with a readable, per-message diff when the results
// differ: values, errors, slip logs (steps, outcomes, attempts, in order), compensation,
// stage counters, or the count of results. Messages are matched by their Seq, so completion order
// never matters. See Comparison for the rules.
//
// # Generated pipelines
//
// Property checks random pipelines for equivalence: scripted stages (transforms, failures after
// N attempts, panics, delays, slip revisions with revisits, compensation) and random inputs,
// reproducible from a seed, which a failure prints. GenConfig shapes them.
//
// # Conformance
//
// Conformance runs the whole behaviour battery of Baton against a Subject: slips and their
// revisions, revisits and the hop limit, ordering, backpressure, Close in every state, errors and
// sentinels, panics, retries, timeouts, compensation, cancellation, fail-fast, optional steps,
// stats, observer events, slip logs and timing, one rule per test. A Subject says how to build
// its pipelines and declares, in Features, where they differ while keeping the contract (as
// watermill's tests.TestPubSub takes a pub/sub's features and constructor). Strategy(s) is the
// subject of a built-in strategy; Baton's own tests run both through the suite, so it is the one
// place Baton's behaviour is specified, and another engine runs the same suite with its own New.
//
// The package depends on nothing beyond the standard library and Baton, so it can be imported
// by any test.
package batontest
