// Package batontest is a test kit for Baton, in the spirit of net/http/httptest and
// testing/fstest: it proves that the two strategies agree, for Baton itself and for the users'
// own stages.
//
// # Equivalence
//
// Equivalent runs one set of stages, options and inputs under baton.Orchestrated and under
// baton.Choreographed and fails the test with a readable, per-message diff when the results
// differ: values, errors, slip logs (steps, outcomes, attempts, in order), compensation,
// stage counters, or the count of results. Messages are matched by their Seq, so completion order
// never matters. See Comparison for the rules.
//
// # Conformance
//
// Conformance runs the whole behaviour battery of Baton against one strategy: slips and their
// revisions, revisits and the hop limit, ordering, backpressure, Close in every state, errors and
// sentinels, panics, retries, timeouts, compensation, cancellation, fail-fast, optional steps,
// stats, observer events, slip logs and timing. Baton's own tests run both built-in strategies through it, so it is the one place
// Baton's behaviour is specified.
//
// # Generated pipelines
//
// Generate makes a random pipeline with scripted stages (transforms, failures after N attempts,
// panics, delays, slip revisions with revisits, compensation) and random inputs, reproducible
// from a seed; CheckGenerated runs one under both strategies and prints the seed when they
// disagree; Property runs many.
//
// The package depends on nothing beyond the standard library and Baton, so it can be imported
// by any test.
package batontest
