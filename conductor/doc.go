// Package conductor loads Conductor-style JSON workflow definitions and runs them in-process
// with Baton, under either strategy.
//
// # Loading
//
// A Runtime holds the workers (Go functions registered by task name), the definitions that
// SUB_WORKFLOW tasks may run, task definitions (retry and timeout policies), and the optional
// JavaScript and jq engines. Runtime.Load (or Compile) checks a definition — unknown task
// types, duplicate reference names, expressions naming tasks that do not exist or run later,
// SIMPLE tasks without a worker, malformed expressions, scripts and jq programs, missing engines
// — and reports every problem as a *DefinitionError naming the task and field. A definition
// that loads does not fail later for a reason that was knowable at load.
//
// # Expressions
//
// Values of inputParameters and outputParameters may use ${workflow.input.…},
// ${workflow.variables.…}, ${workflow.workflowId} (and correlationId, workflowType, version …),
// ${ref.output.…}, ${ref.input.…}, a task's status, taskId, iteration, startTime, endTime and
// scheduledTime (epoch milliseconds), and ${CPEWF_TASK_ID}, with nested keys, array indexes
// ([0], [-1]) and quoted keys (['a.b']), and a trailing jayway function (.length(), .size(),
// .sum() …). Expressions nest, as in Conductor: in ${workflow.input.${workflow.input.key}} the
// inner one is resolved first, as text, to make the path. Other JSONPath — wildcards, filters,
// deep scan, slices, unions — needs a JSONPath engine (WithJSONPath; the engines module has one,
// on RFC 9535). ${workflow.env.NAME} and ${workflow.secrets.NAME} come from WithEnv and
// WithSecrets; a secret stays as written in the run's log and in what later tasks read, and
// only the task it is given to sees it. A string that is exactly one expression keeps the JSON
// type of its value; expressions inside a longer string are rendered as Conductor's Java does
// (null as "null", {a=1, b=2}, [1, 2]). "$${" is a literal "${". A path that leads nowhere is
// null, as in Conductor, or an error with WithStrictExpressions; so is a reference to a task
// the definition does not have, which also loads with a warning (Workflow.Warnings).
//
// Under schemaVersion 1, Conductor's old form, parameters are "workflow.input.name" or
// "ref.output.name" (no ${}).
//
// # Outputs and statuses
//
// As in Conductor: a run's output is its outputParameters evaluated — also when it fails or
// times out — or, without any, the output of the last task scheduled; a TERMINATE's
// workflowOutput replaces it. A definition's inputTemplate gives the run's input the keys it
// lacks; a task definition's inputTemplate does the same for the task's input, and gives the
// inputs that resolve to null its value. A permissive task that fails lets the run go on and
// fails it at its end (or fails the JOIN waiting for it), keeping its status FAILED. A task
// whose last attempt timed out times the run out (TIMED_OUT), under timeoutPolicy RETRY after
// its retries and under TIME_OUT_WF at the first timeout; ALERT_ONLY sets no deadline.

// # Compilation
//
// Each task becomes a Baton stage named by its taskReferenceName; a run is a message (a
// copy-on-write workflow state) travelling a routing slip that starts as the definition's task
// list. SWITCH and DECISION revise the slip to insert their case; DO_WHILE inserts its body and
// a hidden stage that re-inserts it while the loopCondition holds; FORK_JOIN and
// FORK_JOIN_DYNAMIC run each branch as a message of its own along its own slip, in a pipeline
// one level down, and merge the results; TERMINATE ends the slip. So every definition runs
// under either strategy (WithStrategy) with the same results.
//
// # Forks and joins
//
// As in Conductor, a JOIN after a FORK_JOIN waits only for the tasks of its joinOn, and
// outputs {ref: output} for those alone (leaving out empty outputs, as Conductor does); an
// empty joinOn waits for nothing and outputs {}. After optional tasks that failed, the JOIN is
// COMPLETED_WITH_ERRORS; after a permissive one, FAILED. A fork whose branch fails is
// COMPLETED (it completed when it forked) and its JOIN CANCELED, as in Conductor.
// The branches it does not wait for go on while the run does: their tasks, variables and log
// entries reach the run's state when they end, before the run ends (its outputParameters see
// them; the tasks after the JOIN cannot, and a reference to them there is refused at load).
// Their failure fails the run, and their TERMINATE ends it, cancelling what still runs
// (CANCELED in the log). A JOIN after a FORK_JOIN_DYNAMIC waits for every forked task,
// whatever its joinOn says, as in Conductor, which replaces it.
//
// A dynamic fork runs tasks of the types that are one step: SIMPLE, DYNAMIC, SUB_WORKFLOW
// (registered by name), SET_VARIABLE, TERMINATE, NOOP, WAIT, HUMAN, HTTP, EVENT,
// START_WORKFLOW, the types given a handler (WithTaskHandler), and, with an engine, INLINE,
// LAMBDA, JSON_JQ_TRANSFORM and HTTP_POLL. Each task's input is its own inputParameters, resolved, overlaid with its
// entry of the fork's input map, and each has its task definition's retry, timeout and
// optional policies. Other types fail the fork, before any task starts, with
// ErrUnknownTaskType.
//
// An optional task that fails after its retries is recorded as COMPLETED_WITH_ERRORS: later
// expressions see its status, its input, its output (empty unless it failed with one, as a
// SUB_WORKFLOW does with its sub-workflow's) and its reasonForIncompletion.
//
// Task types: SIMPLE, SWITCH (value-param, javascript), DECISION, FORK_JOIN, JOIN, DO_WHILE,
// SET_VARIABLE, TERMINATE, SUB_WORKFLOW, DYNAMIC, FORK_JOIN_DYNAMIC, the system tasks NOOP,
// WAIT, HUMAN, HTTP (net/http), EVENT (WithEventSink), START_WORKFLOW and EXCLUSIVE_JOIN, and,
// with an engine, JSON_JQ_TRANSFORM, INLINE, LAMBDA and HTTP_POLL. The engines live in the
// nested module github.com/baton-go/baton/conductor/engines (goja and gojq), so that this
// package needs nothing beyond Baton. Any other type runs with the handler WithTaskHandler
// registers for it (Orkes' AI and integration types among them); without one, loading fails
// with an error naming the type (ErrNoHandler).
//
// # Waiting tasks and execution handles
//
// WAIT, HUMAN, the HTTP and EVENT tasks with asyncComplete, and an EXCLUSIVE_JOIN with nothing
// to join wait for an update from outside the run, as Conductor's task update API gives one:
// Workflow.Start returns the run's Handle, Runtime.Lookup finds any running execution by its
// workflow id, and Handle.CompleteTask, FailTask and UpdateTask update a waiting task
// (Handle.Pending and AwaitTask say which wait); Handle.Terminate terminates a running
// execution, as Conductor's terminate API does. A waiting task holds its stage's goroutine
// (WithMaxWaiting bounds them); Workflow.Close stops the waits. See wait.go and handle.go.
//
// # Policies and safety
//
// A task definition's retryCount, retryLogic, retryDelaySeconds, backoffScaleFactor,
// timeoutSeconds and a task's optional flag become Baton's stage options (see Policy). A loop
// stops at WithMaxIterations, a script or jq program at WithScriptTimeout (and at its engine's
// memory limit), an output at WithMaxOutputSize, a dynamic fork at WithMaxForkWidth,
// sub-workflow nesting at WithMaxDepth, each with an error matching ErrLimit.
//
// # Observing
//
// WithPipelineOptions passes Baton pipeline options to every pipeline of the Runtime's workflows:
// baton.WithObserver with baton.SlogObserver or the otel module's Observer, and baton.WithTiming.
// Each task is a stage named by its taskReferenceName, so its steps are events whose Stage is that
// name; the hidden stages appear too: "~ref.next" ends each iteration of DO_WHILE ref, and
// "~dynamic", one fork level below dynamic forks, runs their tasks (all of them, whatever their
// reference names). Each pipeline is named for its workflow (baton.Event.Pipeline): "name/vN"
// carries the runs, "name/vN/forkK" the branches of forks K deep; while another workflow of the
// same name and version is open in the process (loaded twice, or a sub-workflow that two tasks
// run), the later one's are "name/vN#2", "name/vN#2/fork1", and so on, so that one Observer can
// tell all the pipelines apart, as the otel Observer must. Close frees the names. Each message is
// keyed (baton.Event.Key) by its run's workflowId: the run and its fork branches by the run's, a
// sub-workflow's by its own. Fork branches run under their run's context (the one given to Run),
// not their fork step's, which they may outlive: the otel Observer makes their message spans
// children of the span that context carries, beside the run's own. A sub-workflow runs under its
// SUB_WORKFLOW step's context.
//
// Workflow.Stats reads the counters of every pipeline: per task (steps processed, failed and
// retried, with timing the latency), per fork level (baton.Stats), and per sub-workflow.
//
// # Differences from Conductor
//
//   - A JOIN waits for the whole branch holding each task of its joinOn, not just for that
//     task: the same when joinOn names the last task of each branch, as it should. A joinOn
//     task that never runs (in a SWITCH case not taken) does not hang the run; it is missing
//     from the JOIN's output.
//   - Branches a JOIN does not wait for are invisible to the tasks after it (in Conductor,
//     depending on timing); their log entries come after the rest of the run's.
//   - A dynamic fork cannot run SWITCH, DECISION, DO_WHILE, FORK_JOIN or FORK_JOIN_DYNAMIC tasks
//     (wrap them in a SUB_WORKFLOW), nor a SUB_WORKFLOW given only an inline definition; its
//     scripts are compiled at each run. Its tasks' retries are made inside one hidden stage, so
//     Baton's events and stats count them under that stage. The legacy
//     dynamicForkJoinTasksParam is refused (ErrUnsupported).
//   - The log (Execution.Tasks) is in the order tasks ended, not scheduled, but for a DO_WHILE,
//     listed before its body, a FORK_JOIN's JOIN, listed after its branches' first tasks, as
//     Conductor lists them (order.go), and a retried task, whose earlier attempts come before
//     it (retries.go); the "last task" whose output a run without
//     outputParameters takes is worked out as Conductor schedules (a DO_WHILE before its body,
//     a JOIN with its branches' first tasks).
//   - Objects have no key order (Go maps): inside a string they render with sorted keys,
//     scripts see their keys sorted; Conductor keeps the document's order. Numbers are float64:
//     an integral value renders without a fraction ("1", where Conductor writes "1.0" for a
//     JSON 1.0).
//   - JSONPath follows RFC 9535, which jayway (Conductor's) mostly agrees with; jayway's filter
//     operators =~, in, nin, subsetof, size and empty are refused at load. A literal script or
//     jq program that does not compile fails the load (Conductor fails the task when it runs).
//   - Scripts run on goja, not GraalJS: $ and what it holds are JavaScript values, given the
//     Java List and Map methods scripts call (engines module), not Java objects.
//   - schemaVersion 1 parameters resolve as Conductor's; a task that did not run gives null
//     rather than leaving the key out.
//   - responseTimeoutSeconds, startDelay, rate limits and keepLastN are
//     ignored.
//   - The system tasks' differences (WAIT's zone, HTTP's timeouts, HTTP_POLL's interval, what
//     START_WORKFLOW and EVENT ignore) are listed in the README.

// # Cost and concurrency
//
// A Runtime and a Workflow are safe for concurrent use. A Workflow owns one Baton pipeline per fork
// level (plus its sub-workflows'), which holds only the stages of that level (its tasks' and their
// hidden ones), and whose goroutines start at the first run and stop at Close: per stage,
// WithConcurrency's workers (under orchestration, at fork levels; the top level has a driver per
// stage, at least GOMAXPROCS, idle while runs go on in their callers). Observing a run costs what
// the options given to WithPipelineOptions cost (an observer's work per event, timing's clock reads
// per step); Workflow.Stats costs a baton Stats per pipeline. Per task, a run spends the resolution
// of its input (a copy of the values it names), a copy-on-write state (a map of task references, so
// O(tasks in the definition)), and a Baton step. BenchmarkRun, on a 2-core machine, both strategies
// alike: about 10–14µs and 74 allocations for a run of one SIMPLE task, plus about 2.5µs, 3.5KB and
// 25 allocations per further task (echo workers, so no work of their own).
package conductor

// Layout, for maintainers. types.go names the task types and makes their kinds. A kind is what
// a task of one type is and does — its checks and compilation at load, the stages it adds and
// what they do, what it does in a dynamic fork: a struct embedding ctask, behind the interface
// kind (both in task.go), in its own file task_<type>.go. Adding a type is adding its file, its
// constant and its line in kinds. What kinds share is beside them: compile.go walks a
// definition and checks its expressions, fork.go runs and merges the branches of both forks,
// dynamic.go is the hidden stage that runs a dynamic fork's tasks, script.go compiles and runs
// JavaScript and jq, workflow.go builds the stages and pipelines, run.go runs them, tasklog.go
// and observe.go report.
