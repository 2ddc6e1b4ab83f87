// Package dashboard is a live web view of Baton pipelines and Conductor workflows: an
// http.Handler a program mounts on its own server, like net/http/pprof or expvar.
//
//	d, _ := dashboard.New()
//	p, _ := baton.New(stages, baton.WithName("orders"), baton.WithObserver(d.Observer()))
//	d.AddPipeline("orders", p)
//	mux.Handle("/debug/baton/", http.StripPrefix("/debug/baton", d))
//
// # What it shows
//
// Per pipeline (either strategy): its strategy, messages in flight and finished per second;
// per stage processed, failed, retried, compensated, running, inbox depth, rate and p50/p90/p99
// latency (from Stats); and the stages as a graph whose edges are the hand-offs messages
// actually took, weighted by count (from events, through Observer). Recent and failed
// messages, each in its own bounded ring (WithRecent, WithFailed), with each message's
// timeline — steps, attempts, retries, errors, slip revisions, compensations — findable by
// the message's ID and by its key (baton.WithKey).
//
// Per Conductor workflow (AddWorkflow): its definition as an SVG diagram drawn on the server
// (tasks, SWITCH and DECISION cases, FORK_JOIN branches, DO_WHILE loops), its per-task Stats,
// the executions running now (seen through the Observer) with the path taken so far, and the
// recorded ones (Run, RecordExecution) with each task's status, input and output; the diagram
// colours the path an execution took.
//
// # Live updates
//
// The page reads State as server-sent events (api/stream) every WithInterval, only while it
// is open; EventSource reconnects by itself. Close ends the streams.
//
// # Safety
//
// Read-only by default: actions need WithActions, a POST, a header only the page's script
// sends, and the page's own origin. Every value from a pipeline — stage names, keys, error
// texts, message values, task names and inputs — is escaped: by html/template on the page
// (in HTML, in attributes and in the JSON-in-HTML block of the first snapshot), as text in the
// SVG, and by the page's script, which writes values with textContent only. A
// Content-Security-Policy forbids any script but the page's own. The page uses no external
// asset and only relative links, so it works under any path prefix.
//
// # Cost
//
// Measured by BenchmarkObserverCost and BenchmarkStreamTick on a shared, noisy 2-core machine
// (go test -run '^$' -bench . -benchtime 20000x ./dashboard; three runs): over a no-op observer,
// which turns on the same step timing, the dashboard's observer adds 0.1 to 0.3 µs per step to
// an orchestrated pipeline of four no-op stages (0.6-1.0 µs against 0.5-0.7 µs per step), and
// 0.4 to 2 µs under choreography, where a message's events come from the goroutines of its
// stages (1.3-2.5 µs against 0.5-0.9 µs). It adds almost no allocation (0.003 per step
// orchestrated, 0.01 choreographed): a finished message's record is recycled from the rings.
// Against stages doing real work (a millisecond) that is well under one percent. A stream's
// tick — a State and its JSON — costs about 90-105 µs for two four-stage
// pipelines and a workflow, once per interval per open page. Memory is bounded: per pipeline
// the rings' messages (up to 256 timeline entries each), per workflow WithExecutions
// executions, and at most 1024 pipeline names.
package dashboard
