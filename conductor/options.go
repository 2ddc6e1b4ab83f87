package conductor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/baton-go/baton"
)

// Worker is the Go function behind SIMPLE tasks of one name. It receives the task's resolved
// input (its own copy, which it may keep or change) and returns the task's output; an error
// fails the attempt, and the task is retried as its task definition says (wrap the error with
// baton.Permanent to fail at once); an output returned with the error is the failed task's
// output (its log entry's, and what the run's outputParameters see), as a Conductor worker's
// failed result keeps its output data. Workers are called concurrently, by many runs and fork
// branches at once, and must be safe for that; ctx is cancelled when the run is cancelled or
// the task's timeoutSeconds runs out. The output is copied and normalized to JSON values
// (numbers become float64) before any other task sees it.
type Worker func(ctx context.Context, input map[string]any) (map[string]any, error)

// Option configures a Runtime.
type Option func(*config)

// Defaults of the safety limits.
const (
	DefaultMaxIterations = 1000            // DO_WHILE iterations per loop execution
	DefaultScriptTimeout = 2 * time.Second // one JavaScript or jq evaluation
	DefaultMaxDepth      = 8               // SUB_WORKFLOW nesting
	DefaultConcurrency   = 8               // see WithConcurrency
	DefaultMaxOutputSize = 16 << 20        // bytes of one script's, jq program's or HTTP response's output
	DefaultMaxForkWidth  = 1000            // tasks of one dynamic fork
	DefaultMaxWaiting    = 64              // executions of one waiting task at once: see WithMaxWaiting
	DefaultRetainedRuns  = 100             // finished executions Runtime.Lookup still finds
)

type config struct {
	workers       map[string]Worker
	defs          map[string][]*WorkflowDef
	taskDefs      map[string]*TaskDef
	js            JavaScript
	jq            JQ
	jsonPath      JSONPath
	env, secrets  Lookup
	strategy      baton.Strategy
	echo          bool
	strict        bool
	maxIterations int
	scriptTimeout time.Duration
	maxDepth      int
	concurrency   int
	pipeOpts      []baton.Option // WithPipelineOptions', checked at New (see checkPipelineOptions)
	errs          []error

	handlers     map[string]TaskHandler // WithTaskHandler's, by task type
	sink         EventSink
	httpClient   *http.Client
	maxOutput    int
	maxForkWidth int
	maxWaiting   int
	retained     int
	runs         *registry // the executions Runtime.Lookup finds
}

func newConfig(opts []Option) config {
	c := config{
		workers:       map[string]Worker{},
		defs:          map[string][]*WorkflowDef{},
		taskDefs:      map[string]*TaskDef{},
		maxIterations: DefaultMaxIterations,
		scriptTimeout: DefaultScriptTimeout,
		maxDepth:      DefaultMaxDepth,
		concurrency:   DefaultConcurrency,
		handlers:      map[string]TaskHandler{},
		httpClient:    http.DefaultClient,
		maxOutput:     DefaultMaxOutputSize,
		maxForkWidth:  DefaultMaxForkWidth,
		maxWaiting:    DefaultMaxWaiting,
		retained:      DefaultRetainedRuns,
	}
	for _, o := range opts {
		if o == nil {
			c.errs = append(c.errs, errors.New("nil Option"))
			continue
		}
		o(&c)
	}
	c.runs = newRegistry(c.retained)
	return c
}

// WithTaskHandler registers h as the handler of the tasks of type taskType, a type Baton does
// not build in: Orkes' AI and integration types (LLM_CHAT_COMPLETE, AGENT, LLM_SEARCH_INDEX,
// GENERATE_PDF, CALL_MCP_TOOL, ...) or a type of the user's own. Definitions using the type
// then load, and each of its tasks calls h with its resolved input; they run in dynamic forks
// too. Without a handler, a definition using the type fails to load with an error naming it
// (matching ErrUnknownTaskType and ErrNoHandler). A built-in type cannot be given a handler.
// A later registration of the same type replaces an earlier one.
func WithTaskHandler(taskType string, h TaskHandler) Option {
	return func(c *config) {
		switch {
		case taskType == "" || h == nil:
			c.errs = append(c.errs, fmt.Errorf("WithTaskHandler(%q): empty type or nil handler", taskType))
		case prototypes[taskType] != nil:
			c.errs = append(c.errs, fmt.Errorf("WithTaskHandler(%q): a built-in type", taskType))
		default:
			c.handlers[taskType] = h
		}
	}
}

// WithEventSink sets where EVENT tasks publish their events. Without it, a definition with an
// EVENT task fails to load with ErrNoHandler.
func WithEventSink(sink EventSink) Option {
	return func(c *config) {
		if sink == nil {
			c.errs = append(c.errs, errors.New("WithEventSink: nil sink"))
			return
		}
		c.sink = sink
	}
}

// WithHTTPClient sets the client of HTTP and HTTP_POLL tasks (default http.DefaultClient). Each
// request also has the deadline its task's connectionTimeOut and readTimeOut give.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) {
		if client == nil {
			c.errs = append(c.errs, errors.New("WithHTTPClient: nil client"))
			return
		}
		c.httpClient = client
	}
}

// WithMaxOutputSize bounds, in bytes of JSON, the output of one JavaScript, LAMBDA or jq
// evaluation and the body of one HTTP response (default DefaultMaxOutputSize); a larger one
// fails its task with ErrLimit. The size is counted as the value is read, before it is stored.
func WithMaxOutputSize(bytes int) Option {
	return func(c *config) {
		if bytes < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithMaxOutputSize(%d): must be at least 1", bytes))
		}
		c.maxOutput = bytes
	}
}

// WithMaxForkWidth caps the tasks of one dynamic fork (default DefaultMaxForkWidth); a wider
// fork fails with ErrLimit before starting any of them.
func WithMaxForkWidth(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithMaxForkWidth(%d): must be at least 1", n))
		}
		c.maxForkWidth = n
	}
}

// WithMaxWaiting sets how many executions of one waiting task (WAIT, HUMAN, HTTP_POLL, and
// asyncComplete HTTP and EVENT tasks) may wait at once, across runs (default
// DefaultMaxWaiting): the baton.Workers of its stage, under both strategies. A waiting
// execution holds a goroutine; those beyond the bound queue for their stage, and are not
// pending (Handle.Pending) until they start.
func WithMaxWaiting(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithMaxWaiting(%d): must be at least 1", n))
		}
		c.maxWaiting = n
	}
}

// WithRetainedRuns sets how many finished executions Runtime.Lookup still finds, the most
// recent ones (default DefaultRetainedRuns; 0: only running ones).
func WithRetainedRuns(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.errs = append(c.errs, fmt.Errorf("WithRetainedRuns(%d): must not be negative", n))
		}
		c.retained = n
	}
}

// WithWorker registers fn as the worker of SIMPLE (and DYNAMIC) tasks named name. A later
// registration of the same name replaces an earlier one.
func WithWorker(name string, fn Worker) Option {
	return func(c *config) {
		if name == "" || fn == nil {
			c.errs = append(c.errs, fmt.Errorf("WithWorker(%q): empty name or nil worker", name))
			return
		}
		c.workers[name] = fn
	}
}

// WithWorkers registers several workers at once; see WithWorker.
func WithWorkers(workers map[string]Worker) Option {
	return func(c *config) {
		for name, fn := range workers {
			WithWorker(name, fn)(c)
		}
	}
}

// WithDefinitions registers workflow definitions that SUB_WORKFLOW tasks may run, found by name
// and version (the highest version when a task gives none).
func WithDefinitions(defs ...*WorkflowDef) Option {
	return func(c *config) {
		for _, d := range defs {
			if d == nil || d.Name == "" {
				c.errs = append(c.errs, errors.New("WithDefinitions: nil or unnamed definition"))
				continue
			}
			c.defs[d.Name] = append(c.defs[d.Name], d)
		}
	}
}

// WithTaskDefs registers task definitions: the retry, timeout and optional policies of the
// tasks of their name. A task's inline taskDefinition takes precedence.
func WithTaskDefs(defs ...*TaskDef) Option {
	return func(c *config) {
		for _, d := range defs {
			if d == nil || d.Name == "" {
				c.errs = append(c.errs, errors.New("WithTaskDefs: nil or unnamed task definition"))
				continue
			}
			c.taskDefs[d.Name] = d
		}
	}
}

// WithJavaScript sets the JavaScript engine (see package engines). Without it, definitions that
// use JavaScript fail to load with ErrNoEngine.
func WithJavaScript(js JavaScript) Option { return func(c *config) { c.js = js } }

// WithJQ sets the jq engine of JSON_JQ_TRANSFORM tasks (see package engines). Without it, such
// definitions fail to load with ErrNoEngine.
func WithJQ(jq JQ) Option { return func(c *config) { c.jq = jq } }

// WithStrategy chooses the strategy of the pipelines a definition compiles to (default
// baton.Orchestrated). Runs give the same results under both.
func WithStrategy(s baton.Strategy) Option { return func(c *config) { c.strategy = s } }

// WithEcho makes SIMPLE and DYNAMIC tasks that have no registered worker return their
// resolved input as their output, so that any definition can be dry-run. Without it, a SIMPLE
// task without a worker is a load error (ErrNoWorker).
func WithEcho() Option { return func(c *config) { c.echo = true } }

// WithStrictExpressions makes an expression whose path leads nowhere (a task that has not run,
// a missing key, an index out of range) fail its task with ErrUnresolved, instead of resolving
// to null as in Conductor. An explicit null in the data is not an error.
func WithStrictExpressions() Option { return func(c *config) { c.strict = true } }

// WithMaxIterations caps the iterations of one DO_WHILE execution (default
// DefaultMaxIterations); a loop reaching it fails with ErrLimit.
func WithMaxIterations(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithMaxIterations(%d): must be at least 1", n))
		}
		c.maxIterations = n
	}
}

// WithScriptTimeout bounds each JavaScript or jq evaluation (default DefaultScriptTimeout); one
// that runs out fails its task with ErrLimit.
func WithScriptTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("WithScriptTimeout(%v): must be positive", d))
		}
		c.scriptTimeout = d
	}
}

// WithMaxDepth caps the nesting of SUB_WORKFLOW tasks (default DefaultMaxDepth); a run nested
// deeper fails with ErrLimit.
func WithMaxDepth(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithMaxDepth(%d): must be at least 1", n))
		}
		c.maxDepth = n
	}
}

// WithConcurrency sets how many tasks of one kind run at once across concurrent runs (default
// DefaultConcurrency): the baton.Workers of each stage, under choreography, and under
// orchestration those of the stages of fork branches (a run's top-level tasks run in its Run
// call's goroutine, as many at once as there are runs). Each fork level and sub-workflow has
// pipelines of its own.
func WithConcurrency(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("WithConcurrency(%d): must be at least 1", n))
		}
		c.concurrency = n
	}
}

// WithPipelineOptions passes Baton pipeline options to every pipeline the Runtime's workflows
// build: one per fork level of each workflow, and as many for each of its sub-workflows. It is
// how workflows are observed: with baton.WithObserver (baton.SlogObserver, the otel module's
// Observer) every task's steps are events whose Stage is the task's reference name, and with
// baton.WithTiming (which WithObserver implies) Workflow.Stats has each task's latency. Several
// calls add up; the options are applied in order, to each pipeline (see baton.Option).
//
// The engine names each pipeline and keys each message (see "Observing" in the package doc).
// Options it relies on are refused by New, with an error naming them: baton.WithStrategy (use
// this package's WithStrategy), baton.WithRouter and baton.WithKey. Two are overridden by the
// engine's own, applied after the user's: baton.WithName (the pipelines are named for their
// workflow) and baton.WithHopLimit (loops are bounded by WithMaxIterations instead). The others
// apply to each pipeline on its own:
//
//   - baton.WithMaxInFlight bounds the runs of a workflow going on at once, and, separately
//     for each fork level, the fork branches running at once; further ones wait (a run honours
//     its context while it waits). Forks never wait for a level above theirs, so a small bound
//     slows runs down but cannot deadlock them.
//   - baton.WithMessageTimeout bounds each run, and each fork branch, on its own; one that runs
//     out fails (FAILED) with an error matching baton.ErrTimeout. A definition's
//     timeoutSeconds, which gives the status TIMED_OUT, is the workflow's own timeout.
//   - baton.AllowEmptyItinerary changes nothing: a workflow never routes a message nowhere.
//   - baton.WithSubmissionOrder is accepted but must not be used (it cannot be told from the
//     outside): a fork would see its branches end in branch order, so its JOIN would wait also
//     for the branches before those it waits for, and a failing branch would stop the others
//     only once those before it had ended.
//
// A nil option, or one baton.New refuses (WithMaxInFlight(0) …), fails New too; baton's
// refusals match baton.ErrInvalidPipeline. Cost: none on a run beyond the options' own (an observer's events,
// timing's clock reads); New builds a few pipelines, without starting them, to check the
// options.
func WithPipelineOptions(opts ...baton.Option) Option {
	return func(c *config) {
		for _, o := range opts {
			if o == nil {
				c.errs = append(c.errs, errors.New("WithPipelineOptions: nil baton.Option"))
				return
			}
		}
		c.pipeOpts = append(c.pipeOpts, opts...)
	}
}

// Lookup finds the value of a name: an environment variable or a secret (see WithEnv and
// WithSecrets). It is called concurrently, by many runs at once, and must be safe for that.
type Lookup func(name string) (value string, ok bool)

// LookupMap is a Lookup reading m, which must not be changed afterwards.
func LookupMap(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// WithEnv makes ${workflow.env.NAME} the value env gives NAME, as Conductor's environment
// does: a string, and ${workflow.env.NAME.a.b} the path a.b in that string parsed as JSON. A
// name env does not know is null (an error under WithStrictExpressions). Without WithEnv,
// ${workflow.env.…} is null, as in Conductor without an environment.
func WithEnv(env Lookup) Option { return func(c *config) { c.env = env } }

// WithSecrets makes ${workflow.secrets.NAME} the secret secrets gives NAME, as Conductor does:
// the task's recorded input (its log entry, and what ${ref.input…} shows later tasks) keeps
// the expression as written, and the task itself — a worker, a script, a sub-workflow — gets
// the secret. A path after NAME is read from the secret parsed as JSON; an unknown name is
// null. Without WithSecrets, the expression stays as written everywhere, as in Conductor
// without a secrets provider.
func WithSecrets(secrets Lookup) Option { return func(c *config) { c.secrets = secrets } }
