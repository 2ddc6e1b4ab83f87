package conductor

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dynDef = `{"name":"w","tasks":[
  {"name":"f","taskReferenceName":"f","type":"FORK_JOIN_DYNAMIC","dynamicForkTasksParam":"tasks","dynamicForkTasksInputParamName":"inputs",
   "inputParameters":{"tasks":"${workflow.input.tasks}","inputs":"${workflow.input.inputs}"}},
  {"name":"j","taskReferenceName":"j","type":"JOIN"}],
 "outputParameters":{"j":"${j.output}"}}`

// fakeJQ is a jq engine for tests: each known program is a Go function of the input.
type fakeJQ map[string]func(in any) []any

func (f fakeJQ) CompileJQ(src string) (Program, error) {
	fn, ok := f[src]
	if !ok {
		return nil, errors.New("jq: unknown test program")
	}
	return programFunc(func(_ context.Context, in any) (any, error) { return fn(in), nil }), nil
}

func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v), s)
	return v
}

// Every task type a dynamic fork supports, with its task definition's policies, under both
// strategies.
func TestDynamicForkTaskTypes(t *testing.T) {
	var flakyCalls atomic.Int32
	flaky := func(_ context.Context, in map[string]any) (map[string]any, error) {
		if flakyCalls.Add(1)%3 != 0 {
			return nil, errors.New("flaky")
		}
		return in, nil
	}
	down := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
	child, err := ParseWorkflow([]byte(`{"name":"child","tasks":[` + task("work", "c", `{"x":"${workflow.input.x}"}`) + `],"outputParameters":{"got":"${c.output.x}"}}`))
	require.NoError(t, err)
	js := fakeJS{
		"$.a + 1":                      func(in map[string]any) any { return in["a"].(float64) + 1 },
		lambdaSource("return $.a * 2"): func(in map[string]any) any { return in["a"].(float64) * 2 },
	}
	jq := fakeJQ{".a": func(in any) []any { return []any{in.(map[string]any)["a"]} }}
	opts := []Option{
		WithWorkers(map[string]Worker{"work": echoWorker, "flaky": flaky, "down": down, "sleep": sleeper}),
		WithDefinitions(child), WithJavaScript(js), WithJQ(jq),
		WithTaskDefs(&TaskDef{Name: "flaky", RetryCount: 2, RetryDelaySeconds: 1, RetryLogic: "LINEAR_BACKOFF"}),
	}
	tests := []struct {
		name     string
		tasks    string // the dynamic tasks, JSON
		inputs   string // their inputs, JSON
		status   Status
		join     map[string]any // the JOIN's output
		log      []string
		attempts map[string]int
		vars     map[string]any
		sentinel error         // of a run that fails
		took     time.Duration // of a run, on the virtual clock: the policies' waits and timeouts
	}{
		{
			name:  "simple",
			tasks: `[{"name":"work","taskReferenceName":"x1"},{"name":"work","taskReferenceName":"x2","type":"SIMPLE"}]`, inputs: `{"x1":{"n":1},"x2":{"n":2}}`,
			status: StatusCompleted, join: map[string]any{"x1": map[string]any{"n": float64(1)}, "x2": map[string]any{"n": float64(2)}},
			log: []string{"f:COMPLETED", "x1:COMPLETED", "x2:COMPLETED", "j:COMPLETED"},
		},
		{
			name:  "own input resolved, then overlaid",
			tasks: `[{"name":"work","taskReferenceName":"x1","inputParameters":{"wf":"${workflow.workflowId}","b":"own","c":"own"}}]`, inputs: `{"x1":{"b":"given"}}`,
			status: StatusCompleted, join: map[string]any{"x1": map[string]any{"wf": "wf-1", "b": "given", "c": "own"}},
			log: []string{"f:COMPLETED", "x1:COMPLETED", "j:COMPLETED"},
		},
		{
			name:  "retried as its task definition says",
			tasks: `[{"name":"flaky","taskReferenceName":"x1"}]`, inputs: `{"x1":{"n":1}}`,
			status: StatusCompleted, join: map[string]any{"x1": map[string]any{"n": float64(1)}},
			// Each earlier attempt is an entry of its own, as in Conductor's task list.
			log: []string{"f:COMPLETED", "x1:FAILED", "x1:FAILED", "x1:COMPLETED", "j:COMPLETED"}, attempts: map[string]int{"x1": 3},
			took: 3 * time.Second, // LINEAR_BACKOFF: 1s, then 2s
		},
		{
			name:  "retries exhausted",
			tasks: `[{"name":"work","taskReferenceName":"x0"},{"name":"down","taskReferenceName":"x1","taskDefinition":{"name":"down","retryCount":1,"retryDelaySeconds":1}}]`, inputs: `{}`,
			status: StatusFailed, sentinel: ErrTaskFailed,
			// x1's retry waits 1s, so x0 has completed when x1 fails the fork (without the wait the
			// two branches race, and a fork that failed first drops x0's entry)
			log: []string{"f:COMPLETED", "x0:COMPLETED", "x1:FAILED", "x1:FAILED", "j:CANCELED"}, attempts: map[string]int{"x1": 2},
			took: time.Second,
		},
		{
			name:  "optional",
			tasks: `[{"name":"down","taskReferenceName":"x1","optional":true,"retryCount":1},{"name":"work","taskReferenceName":"x2"}]`, inputs: `{"x1":{"n":1}}`,
			status: StatusCompleted, join: map[string]any{}, // Conductor leaves empty outputs out
			log: []string{"f:COMPLETED", "x1:FAILED", "x1:COMPLETED_WITH_ERRORS", "x2:COMPLETED", "j:COMPLETED_WITH_ERRORS"}, attempts: map[string]int{"x1": 2},
		},
		{
			name:  "timed out",
			tasks: `[{"name":"sleep","taskReferenceName":"x1","taskDefinition":{"name":"sleep","timeoutSeconds":5,"timeoutPolicy":"RETRY"}}]`, inputs: `{}`,
			status: StatusTimedOut, sentinel: ErrTimedOut, // Conductor: RETRY, then the run times out
			log:  []string{"f:COMPLETED", "x1:TIMED_OUT", "j:CANCELED"}, // as a static fork whose branch timed out
			took: 5 * time.Second,
		},
		{
			name:  "timed out, timing the workflow out",
			tasks: `[{"name":"sleep","taskReferenceName":"x1","taskDefinition":{"name":"sleep","timeoutSeconds":5}}]`, inputs: `{}`,
			status: StatusTimedOut, sentinel: ErrTimedOut,
			log: []string{"f:COMPLETED", "x1:TIMED_OUT", "j:CANCELED"}, took: 5 * time.Second,
		},
		{
			name:  "sub-workflow",
			tasks: `[{"name":"child","taskReferenceName":"x1","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"child"}}]`, inputs: `{"x1":{"x":7}}`,
			status: StatusCompleted, join: map[string]any{"x1": map[string]any{"got": float64(7), "subWorkflowId": "wf-1/x1"}},
			log: []string{"f:COMPLETED", "x1:COMPLETED", "j:COMPLETED"},
		},
		{
			name: "scripts",
			tasks: `[{"name":"i","taskReferenceName":"i1","type":"INLINE","inputParameters":{"evaluatorType":"javascript","expression":"$.a + 1"}},
			  {"name":"i","taskReferenceName":"i2","type":"INLINE","inputParameters":{"evaluatorType":"value-param","expression":"a"}},
			  {"name":"l","taskReferenceName":"l1","type":"LAMBDA","inputParameters":{"scriptExpression":"return $.a * 2"}},
			  {"name":"q","taskReferenceName":"q1","type":"JSON_JQ_TRANSFORM","inputParameters":{"queryExpression":".a"}}]`,
			inputs: `{"i1":{"a":1},"i2":{"a":"v"},"l1":{"a":4},"q1":{"a":[1]}}`,
			status: StatusCompleted, join: map[string]any{
				"i1": map[string]any{"result": float64(2)}, "i2": map[string]any{"result": "v"}, "l1": map[string]any{"result": float64(8)},
				"q1": map[string]any{"result": []any{float64(1)}, "resultList": []any{[]any{float64(1)}}}},
			log: []string{"f:COMPLETED", "i1:COMPLETED", "i2:COMPLETED", "l1:COMPLETED", "q1:COMPLETED", "j:COMPLETED"},
		},
		{
			name:   "set variable and dynamic",
			tasks:  `[{"name":"sv","taskReferenceName":"sv","type":"SET_VARIABLE"},{"name":"d","taskReferenceName":"d","type":"DYNAMIC","dynamicTaskNameParam":"tn"}]`,
			inputs: `{"sv":{"k":"v"},"d":{"tn":"work","n":1}}`,
			status: StatusCompleted, join: map[string]any{"d": map[string]any{"tn": "work", "n": float64(1)}},
			log: []string{"f:COMPLETED", "sv:COMPLETED", "d:COMPLETED", "j:COMPLETED"}, vars: map[string]any{"k": "v"},
		},
		{
			name:  "terminate",
			tasks: `[{"name":"t","taskReferenceName":"t","type":"TERMINATE"}]`, inputs: `{"t":{"terminationStatus":"FAILED","terminationReason":"enough"}}`,
			status: StatusFailed, sentinel: ErrTerminated,
			log: []string{"f:COMPLETED", "t:COMPLETED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // the policies' waits and timeouts, on a virtual clock
				in := map[string]any{"tasks": jsonValue(t, tt.tasks), "inputs": jsonValue(t, tt.inputs)}
				start := time.Now()
				e := runBoth(t, dynDef, in, opts...)
				assert.Equal(t, 2*tt.took, time.Since(start), "in each strategy's run")
				require.Equal(t, tt.status, e.Status, e.Reason)
				assert.Equal(t, tt.log, summary(e))
				if tt.sentinel != nil {
					assert.ErrorIs(t, e.Err, tt.sentinel)
				} else {
					assert.Equal(t, tt.join, e.Output["j"])
				}
				for ref, n := range tt.attempts {
					tr, ok := e.Task(ref)
					require.True(t, ok, ref)
					assert.Equal(t, n, tr.Attempts, ref)
				}
				if tt.vars == nil {
					tt.vars = map[string]any{}
				}
				assert.Equal(t, tt.vars, e.Variables)
			})
		})
	}
}

// A task that fails after its retries is the run's *TaskError, named by its own reference.
func TestDynamicForkTaskError(t *testing.T) {
	down := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
	in := map[string]any{"tasks": jsonValue(t, `[{"name":"down","taskReferenceName":"x1","retryCount":2}]`), "inputs": map[string]any{}}
	e := runBoth(t, dynDef, in, WithWorker("down", down))
	var te *TaskError
	require.ErrorAs(t, e.Err, &te)
	assert.Equal(t, TaskError{Task: "x1", Type: "SIMPLE", Attempts: 3, Err: te.Err}, *te)
	assert.ErrorContains(t, e.Err, "down")
}

// What a dynamic fork cannot run fails the fork before any task starts, with a clear error.
func TestDynamicForkRefusals(t *testing.T) {
	tests := []struct {
		name     string
		tasks    string
		opts     []Option
		sentinel error
		text     string
	}{
		{"switch", `[{"name":"s","taskReferenceName":"s","type":"SWITCH"}]`, nil, ErrUnknownTaskType, "Conductor feature task type SWITCH in a dynamic fork"},
		{"fork", `[{"name":"f","taskReferenceName":"f2","type":"FORK_JOIN"}]`, nil, ErrUnknownTaskType, "wrap it in a SUB_WORKFLOW"},
		{"unknown type", `[{"name":"h","taskReferenceName":"h","type":"KAFKA_PUBLISH"}]`, nil, ErrUnknownTaskType, "supported in a dynamic fork"},
		{"inline without engine", `[{"name":"i","taskReferenceName":"i","type":"INLINE","inputParameters":{"evaluatorType":"javascript","expression":"1"}}]`, nil, ErrNoEngine, "INLINE needs JavaScript"},
		{"jq without engine", `[{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM"}]`, nil, ErrNoEngine, "needs jq"},
		{"bad retry logic", `[{"name":"work","taskReferenceName":"w1","taskDefinition":{"name":"work","retryLogic":"RANDOM"}}]`, nil, ErrMalformed, "retryLogic"},
		{"sub-workflow without name", `[{"name":"s","taskReferenceName":"s","type":"SUB_WORKFLOW"}]`, nil, ErrMalformed, "subWorkflowParam.name"},
		{"bad expression", `[{"name":"work","taskReferenceName":"w1","inputParameters":{"x":"${workflow.input"}}]`, nil, ErrBadExpression, "inputParameters.x"},
		{"duplicate", `[{"name":"work","taskReferenceName":"f"}]`, nil, ErrDuplicateRef, `"f"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := map[string]any{"tasks": jsonValue(t, tt.tasks), "inputs": map[string]any{}}
			e := runBoth(t, dynDef, in, append([]Option{WithWorker("work", echoWorker)}, tt.opts...)...)
			require.Equal(t, StatusFailed, e.Status)
			assert.ErrorIs(t, e.Err, tt.sentinel)
			assert.ErrorContains(t, e.Err, tt.text)
			assert.Equal(t, []string{"f:FAILED"}, summary(e))
		})
	}
}

// The tasks of a dynamic fork are steps of the stage "~dynamic" with their task definitions'
// policies, which Baton carries out: a retried task's attempts are Baton's, each with its own
// StepStarted and StepEnded (lasting the attempt alone, not the wait after it), a
// RetryScheduled carrying the task's backoff, and the stage's Retried and Failed counting them;
// an optional task that fails is a Tolerated step.
func TestDynamicForkTasksAreRealSteps(t *testing.T) {
	var flakyCalls atomic.Int32
	flaky := func(ctx context.Context, in map[string]any) (map[string]any, error) {
		time.Sleep(100 * time.Millisecond) // each attempt's own time
		if flakyCalls.Add(1)%3 != 0 {
			return nil, errors.New("flaky")
		}
		return in, nil
	}
	down := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
	tasks := `[{"name":"flaky","taskReferenceName":"x1","taskDefinition":{"name":"flaky","retryCount":2,"retryDelaySeconds":1,"retryLogic":"LINEAR_BACKOFF"}},
	  {"name":"down","taskReferenceName":"x2","optional":true}]`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				flakyCalls.Store(0)
				rec := &events{}
				w := load(t, s, dynDef, WithWorkers(map[string]Worker{"flaky": flaky, "down": down}),
					WithPipelineOptions(baton.WithObserver(rec)))
				e, err := w.Run(t.Context(), map[string]any{"tasks": jsonValue(t, tasks), "inputs": map[string]any{}})
				require.NoError(t, err, e.Reason)
				assert.Equal(t, []string{"f:COMPLETED", "x1:FAILED", "x1:FAILED", "x1:COMPLETED", "x2:COMPLETED_WITH_ERRORS", "j:COMPLETED_WITH_ERRORS"}, summary(e))
				x1, _ := e.Task("x1")
				assert.Equal(t, 3, x1.Attempts)

				var started, ended, tolerated int
				var backoffs []time.Duration
				for _, ev := range rec.get() {
					if ev.Stage != dynamicStage || ev.Key == "" {
						continue
					}
					switch ev.Kind {
					case baton.StepStarted:
						started++
					case baton.StepEnded:
						ended++
						if ev.Outcome == baton.Tolerated {
							tolerated++
						} else {
							assert.Equal(t, 100*time.Millisecond, ev.Duration, "attempt %d lasts its own time", ev.Attempt)
						}
					case baton.RetryScheduled:
						backoffs = append(backoffs, ev.Backoff)
					}
				}
				assert.Equal(t, 4, started, "x1's three attempts and x2's one")
				assert.Equal(t, 4, ended, "one StepEnded per attempt")
				assert.Equal(t, 1, tolerated, "x2")
				assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, backoffs, "x1's LINEAR_BACKOFF")

				st := w.Stats()
				require.Len(t, st.Levels, 2)
				var dyn baton.StageStats
				for _, ss := range st.Levels[1].Stages {
					if ss.Name == dynamicStage {
						dyn = ss
					}
				}
				assert.Equal(t, int64(2), dyn.Retried, "x1's retries are the stage's")
				assert.Equal(t, int64(1), dyn.Failed, "x2's tolerated failure")
			})
		})
	}
}
