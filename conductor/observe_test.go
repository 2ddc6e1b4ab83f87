package conductor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Observing workflows: WithPipelineOptions, the pipelines' names and keys, Workflow.Stats.

// load loads def with opts under strategy s; the workflow is closed when the test ends.
func load(t *testing.T, s baton.Strategy, def string, opts ...Option) *Workflow {
	t.Helper()
	rt, err := New(append([]Option{WithStrategy(s)}, opts...)...)
	require.NoError(t, err)
	w, err := rt.Load([]byte(def))
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	return w
}

// events records the events of every pipeline it observes.
type events struct {
	mu  sync.Mutex
	all []baton.Event
}

func (r *events) Observe(e baton.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, e)
}

func (r *events) get() []baton.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.all)
}

// steps returns "pipeline key stage" for each event of kind k, sorted.
func (r *events) steps(k baton.EventKind) []string {
	var out []string
	for _, e := range r.get() {
		if e.Kind == k {
			out = append(out, e.Pipeline+" "+e.Key+" "+e.Stage)
		}
	}
	slices.Sort(out)
	return out
}

// records is a slog.Handler keeping every record's message and attributes.
type records struct {
	mu  sync.Mutex
	all []map[string]string
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *records) WithGroup(string) slog.Handler            { return h }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.all = append(h.all, m)
	return nil
}

func (h *records) get() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.all)
}

// obsForkDef has a task at the top, a fork whose branches run one level down, and a task after
// the JOIN.
const obsForkDef = `{"name":"%s","version":%d,"tasks":[
  {"name":"work","taskReferenceName":"first"},
  {"name":"f","taskReferenceName":"fork","type":"FORK_JOIN","forkTasks":[
     [{"name":"work","taskReferenceName":"a1"}],[{"name":"work","taskReferenceName":"b1"}]]},
  {"name":"j","taskReferenceName":"join","type":"JOIN","joinOn":["a1","b1"]},
  {"name":"work","taskReferenceName":"last"}]}`

func TestSlogObserverNamesTheWorkflowsPipelines(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			h := &records{}
			w := load(t, s, fmt.Sprintf(obsForkDef, "slog_flow_"+s.String(), 3), WithWorker("work", echoWorker),
				WithPipelineOptions(baton.WithObserver(baton.SlogObserver(slog.New(h)))))
			e, err := w.Run(t.Context(), nil, WithWorkflowID("wf-slog"))
			require.NoError(t, err)
			require.Equal(t, StatusCompleted, e.Status)

			top, fork1 := "slog_flow_"+s.String()+"/v3", "slog_flow_"+s.String()+"/v3/fork1"
			stages := map[string][]string{} // pipeline: stages of its "step ended" records
			finished := map[string]int{}    // pipeline: its "message finished" records
			for _, r := range h.get() {
				assert.Equal(t, "wf-slog", r["key"], "every record names the run: %v", r)
				assert.Equal(t, s.String(), r["strategy"])
				switch r["msg"] {
				case "baton: step ended":
					stages[r["pipeline"]] = append(stages[r["pipeline"]], r["stage"])
				case "baton: message finished":
					finished[r["pipeline"]]++
					assert.Equal(t, "INFO", r["level"])
				}
			}
			assert.Equal(t, []string{"first", "fork", "join", "last"}, stages[top])
			slices.Sort(stages[fork1])
			assert.Equal(t, []string{"a1", "b1"}, stages[fork1])
			assert.Equal(t, map[string]int{top: 1, fork1: 2}, finished, "the run, and each branch")
		})
	}
}

func TestObserverSeesEachTasksSteps(t *testing.T) {
	def := `{"name":"obs_steps","version":1,"tasks":[
	  {"name":"loop","taskReferenceName":"loop","type":"DO_WHILE","loopCondition":"$.loop.iteration < $.times",
	   "inputParameters":{"times":2},"loopOver":[{"name":"work","taskReferenceName":"body"}]},
	  {"name":"flaky","taskReferenceName":"flaky","taskDefinition":{"name":"flaky","retryCount":1}},
	  {"name":"f","taskReferenceName":"fork","type":"FORK_JOIN","forkTasks":[[{"name":"work","taskReferenceName":"a1"}]]},
	  {"name":"j","taskReferenceName":"join","type":"JOIN","joinOn":["a1"]}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			var calls atomic.Int32
			flaky := func(_ context.Context, in map[string]any) (map[string]any, error) {
				if calls.Add(1) == 1 {
					return nil, errors.New("flaky")
				}
				return in, nil
			}
			rec := &events{}
			w := load(t, s, def, WithWorker("work", echoWorker), WithWorker("flaky", flaky), WithJavaScript(counter),
				WithPipelineOptions(baton.WithObserver(rec)))
			_, err := w.Run(t.Context(), nil, WithWorkflowID("wf-obs"))
			require.NoError(t, err)

			top, fork1 := "obs_steps/v1 wf-obs ", "obs_steps/v1/fork1 wf-obs "
			steps := []string{top + "flaky", top + "fork", top + "join", top + "loop", fork1 + "a1",
				top + "body", top + "body", top + "~loop.next", top + "~loop.next"}
			slices.Sort(steps)
			attempts := slices.Sorted(slices.Values(append([]string{top + "flaky"}, steps...)))
			assert.Equal(t, attempts, rec.steps(baton.StepStarted), "one StepStarted per attempt: flaky has two")
			assert.Equal(t, attempts, rec.steps(baton.StepEnded), "one StepEnded per attempt")
			var last []string // the StepEnded of each step's last attempt, with its outcome
			for _, e := range rec.get() {
				if e.Kind == baton.StepEnded && e.Outcome != 0 {
					assert.Equal(t, baton.Succeeded, e.Outcome, e.Stage)
					last = append(last, e.Pipeline+" "+e.Key+" "+e.Stage)
				}
			}
			slices.Sort(last)
			assert.Equal(t, steps, last)
			for _, e := range rec.get() {
				assert.Equal(t, s, e.Strategy)
				assert.NotNil(t, e.Context)
			}
		})
	}
}

// statsDef has a task at the top, one retried, an optional one that fails, a loop, a fork and
// a sub-workflow.
const statsDef = `{"name":"obs_stats","version":1,"tasks":[
  {"name":"slow","taskReferenceName":"prep"},
  {"name":"flaky","taskReferenceName":"flaky","taskDefinition":{"name":"flaky","retryCount":2}},
  {"name":"down","taskReferenceName":"opt","optional":true},
  {"name":"loop","taskReferenceName":"loop","type":"DO_WHILE","loopCondition":"$.loop.iteration < $.times",
   "inputParameters":{"times":3},"loopOver":[{"name":"work","taskReferenceName":"body"}]},
  {"name":"f","taskReferenceName":"fork","type":"FORK_JOIN","forkTasks":[
     [{"name":"work","taskReferenceName":"a1"}],[{"name":"work","taskReferenceName":"b1"}]]},
  {"name":"j","taskReferenceName":"join","type":"JOIN","joinOn":["a1","b1"]},
  {"name":"child","taskReferenceName":"sub","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"obs_child"}}]}`

const statsChild = `{"name":"obs_child","version":2,"tasks":[{"name":"work","taskReferenceName":"c"}]}`

func statsOptions(t *testing.T, pipeOpts ...baton.Option) []Option {
	var calls atomic.Int32
	flaky := func(_ context.Context, in map[string]any) (map[string]any, error) {
		if calls.Add(1)%2 == 1 {
			return nil, errors.New("flaky") // each run's first attempt
		}
		return in, nil
	}
	slow := func(_ context.Context, in map[string]any) (map[string]any, error) {
		time.Sleep(time.Millisecond)
		return in, nil
	}
	down := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
	child, err := ParseWorkflow([]byte(statsChild))
	require.NoError(t, err)
	return []Option{
		WithWorkers(map[string]Worker{"work": echoWorker, "flaky": flaky, "slow": slow, "down": down}),
		WithJavaScript(counter), WithDefinitions(child), WithPipelineOptions(pipeOpts...),
	}
}

func TestStatsCountEachTasksSteps(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			w := load(t, s, statsDef, statsOptions(t, baton.WithTiming())...)
			const runs = 2
			for range runs {
				e, err := w.Run(t.Context(), nil)
				require.NoError(t, err)
				require.Equal(t, []string{"prep", "flaky", "flaky", "opt", "loop", "body", "body", "body", "fork", "a1", "b1", "join", "sub"}, refs(e))
			}
			st := w.Stats()
			assert.Equal(t, "obs_stats", st.Name)
			assert.Equal(t, 1, st.Version)
			assert.Equal(t, s, st.Strategy)
			assert.Zero(t, st.InFlight)
			assert.Empty(t, st.ParentTask)

			type counts struct {
				Type                       string
				Level                      int
				Processed, Failed, Retried int64
			}
			got := map[string]counts{}
			var order []string
			for _, ts := range st.Tasks {
				order = append(order, ts.Ref)
				got[ts.Ref] = counts{ts.Type, ts.Level, ts.Processed, ts.Failed, ts.Retried}
				assert.Zero(t, ts.Running, ts.Ref)
			}
			assert.Equal(t, []string{"prep", "flaky", "opt", "loop", "body", "fork", "a1", "b1", "join", "sub"}, order, "definition order")
			assert.Equal(t, map[string]counts{
				"prep":  {"SIMPLE", 0, runs, 0, 0},
				"flaky": {"SIMPLE", 0, runs, 0, runs},
				"opt":   {"SIMPLE", 0, 0, runs, 0},
				"loop":  {"DO_WHILE", 0, runs, 0, 0},
				"body":  {"SIMPLE", 0, 3 * runs, 0, 0},
				"fork":  {"FORK_JOIN", 0, runs, 0, 0},
				"a1":    {"SIMPLE", 1, runs, 0, 0},
				"b1":    {"SIMPLE", 1, runs, 0, 0},
				"join":  {"JOIN", 0, runs, 0, 0},
				"sub":   {"SUB_WORKFLOW", 0, runs, 0, 0},
			}, got)
			prep, ok := st.Task("prep")
			require.True(t, ok)
			assert.Equal(t, "slow", prep.Name)
			assert.GreaterOrEqual(t, prep.Latency.P50, time.Millisecond, "timed")
			_, ok = st.Task("nope")
			assert.False(t, ok)

			require.Len(t, st.Levels, 2)
			assert.Equal(t, "obs_stats/v1", st.Levels[0].Pipeline)
			assert.Equal(t, "obs_stats/v1/fork1", st.Levels[1].Pipeline)
			stages := func(level int) []string {
				var names []string
				for _, ss := range st.Levels[level].Stages {
					names = append(names, ss.Name)
				}
				return names
			}
			stage := func(level int, name string) baton.StageStats {
				for _, ss := range st.Levels[level].Stages {
					if ss.Name == name {
						return ss
					}
				}
				t.Fatalf("no stage %q at level %d", name, level)
				return baton.StageStats{}
			}
			assert.Equal(t, int64(3*runs), stage(0, "~loop.next").Processed, "the hidden stage ends each iteration")
			assert.Equal(t, int64(runs), stage(1, "a1").Processed)
			assert.Equal(t, []string{"prep", "flaky", "opt", "loop", "~loop.next", "body", "fork", "join", "sub"}, stages(0),
				"a level holds the stages of its own tasks alone")
			assert.Equal(t, []string{"a1", "b1"}, stages(1))

			require.Len(t, st.SubWorkflows, 1)
			sub := st.SubWorkflows[0]
			assert.Equal(t, "obs_child", sub.Name)
			assert.Equal(t, 2, sub.Version)
			assert.Equal(t, "sub", sub.ParentTask)
			require.Len(t, sub.Tasks, 1)
			assert.Equal(t, int64(runs), sub.Tasks[0].Processed)
			assert.Equal(t, "obs_child/v2", sub.Levels[0].Pipeline)

			w.Close()
			assert.Equal(t, st.Tasks, w.Stats().Tasks, "after Close")
		})
	}
}

func TestStatsWithoutPipelineOptions(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			w := load(t, s, statsDef, statsOptions(t)...)
			_, err := w.Run(t.Context(), nil)
			require.NoError(t, err)
			st := w.Stats()
			prep, _ := st.Task("prep")
			body, _ := st.Task("body")
			assert.Equal(t, int64(1), prep.Processed, "counted without options")
			assert.Equal(t, int64(3), body.Processed)
			assert.Zero(t, prep.Latency, "untimed")
		})
	}
}

// Sub-workflows named at run time, and tasks of dynamic forks.
func TestStatsOfRunTimeSubWorkflowsAndDynamicForks(t *testing.T) {
	def := `{"name":"obs_dyn","tasks":[
	  {"name":"child","taskReferenceName":"sub","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"${workflow.input.child}"}},
	  {"name":"f","taskReferenceName":"dyn","type":"FORK_JOIN_DYNAMIC","dynamicForkTasksParam":"tasks","dynamicForkTasksInputParamName":"inputs",
	   "inputParameters":{"tasks":"${workflow.input.tasks}","inputs":"${workflow.input.inputs}"}},
	  {"name":"j","taskReferenceName":"j","type":"JOIN"}]}`
	in := map[string]any{"child": "obs_child",
		"tasks":  jsonValue(t, `[{"name":"work","taskReferenceName":"d1"},{"name":"work","taskReferenceName":"d2"}]`),
		"inputs": map[string]any{}}
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			rec := &events{}
			w := load(t, s, def, statsOptions(t, baton.WithObserver(rec))...)
			e, err := w.Run(t.Context(), in, WithWorkflowID("wf-dyn"))
			require.NoError(t, err, e.Reason)
			st := w.Stats()
			require.Len(t, st.SubWorkflows, 1)
			assert.Equal(t, "obs_child", st.SubWorkflows[0].Name)
			assert.Empty(t, st.SubWorkflows[0].ParentTask, "compiled at run time")
			assert.Equal(t, int64(1), st.SubWorkflows[0].Tasks[0].Processed)
			require.Len(t, st.Levels, 2)
			for _, ss := range st.Levels[1].Stages {
				if ss.Name == dynamicStage {
					assert.Equal(t, int64(2), ss.Processed, "the dynamic fork's tasks")
				}
			}
			assert.Equal(t, []string{
				"obs_child/v2 wf-dyn/sub c", // the sub-workflow's run has its own id
				"obs_dyn/v0 wf-dyn dyn", "obs_dyn/v0 wf-dyn j", "obs_dyn/v0 wf-dyn sub",
				"obs_dyn/v0/fork1 wf-dyn ~dynamic", "obs_dyn/v0/fork1 wf-dyn ~dynamic",
			}, rec.steps(baton.StepEnded))
		})
	}
}

func TestStatsWhileRunsGoOn(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			w := load(t, s, statsDef, statsOptions(t, baton.WithTiming())...)
			done := make(chan struct{})
			var polls atomic.Int32
			go func() {
				defer close(done)
				for polls.Load() < 1000 {
					st := w.Stats()
					for _, ts := range st.Tasks {
						if ts.Processed < 0 || ts.Running < 0 {
							t.Errorf("task %s: %+v", ts.Ref, ts)
						}
					}
					polls.Add(1)
				}
			}()
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					_, err := w.Run(context.Background(), nil)
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			polls.Store(1000)
			<-done
			prep, _ := w.Stats().Task("prep")
			assert.Equal(t, int64(8), prep.Processed)
		})
	}
}

func TestPipelineOptionsRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  baton.Option
		want string
	}{
		{"strategy", baton.WithStrategy(baton.Choreographed), "baton.WithStrategy is refused: use conductor.WithStrategy"},
		{"same strategy", baton.WithStrategy(baton.Orchestrated), "baton.WithStrategy is refused"},
		{"router", baton.WithRouter(func(string) []string { return nil }), "baton.WithRouter is refused"},
		{"key", baton.WithKey(func(map[string]any) string { return "" }), "baton.WithKey is refused"},
		{"invalid", baton.WithMaxInFlight(0), "WithMaxInFlight(0)"},
		{"nil", nil, "WithPipelineOptions: nil baton.Option"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := New(WithPipelineOptions(baton.WithTiming(), tt.opt))
			require.Error(t, err)
			assert.Nil(t, rt)
			assert.ErrorContains(t, err, "conductor: invalid options: ")
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, err := New(WithPipelineOptions(baton.WithMaxInFlight(0)))
	assert.ErrorIs(t, err, baton.ErrInvalidPipeline, "baton's own error")

	_, err = New(WithPipelineOptions(baton.WithStrategy(baton.Choreographed), baton.WithKey(func(int) string { return "" })))
	assert.ErrorContains(t, err, "baton.WithStrategy is refused")
	assert.ErrorContains(t, err, "baton.WithKey is refused", "every refusal is reported")

	_, err = New(WithPipelineOptions(baton.WithTiming(), baton.WithMaxInFlight(4), baton.WithMessageTimeout(time.Minute),
		baton.WithName("mine"), baton.WithHopLimit(1), baton.AllowEmptyItinerary()))
	assert.NoError(t, err)
}

// WithName and WithHopLimit are the engine's: a name of the user's is replaced, and loops go
// on past the user's hop limit.
func TestPipelineOptionsOverridden(t *testing.T) {
	def := `{"name":"obs_over","version":1,"tasks":[{"name":"loop","taskReferenceName":"loop","type":"DO_WHILE",
	  "loopCondition":"$.loop.iteration < $.times","inputParameters":{"times":5},"loopOver":[{"name":"work","taskReferenceName":"body"}]}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			rec := &events{}
			w := load(t, s, def, WithWorker("work", echoWorker), WithJavaScript(counter),
				WithPipelineOptions(baton.WithName("mine"), baton.WithHopLimit(2), baton.WithObserver(rec)))
			e, err := w.Run(t.Context(), nil)
			require.NoError(t, err)
			assert.Len(t, e.Tasks, 6)
			for _, ev := range rec.get() {
				assert.Equal(t, "obs_over/v1", ev.Pipeline)
			}
		})
	}
}

// Two workflows open at once never share a pipeline name; Close frees a workflow's.
func TestPipelineNamesAreUnique(t *testing.T) {
	names := func(w *Workflow) []string {
		var out []string
		for _, l := range w.Stats().Levels {
			out = append(out, l.Pipeline)
		}
		return out
	}
	rt, err := New(WithEcho())
	require.NoError(t, err)
	def := fmt.Sprintf(obsForkDef, "obs_names", 1)
	a, err := rt.Load([]byte(def))
	require.NoError(t, err)
	b, err := rt.Load([]byte(def))
	require.NoError(t, err)
	assert.Equal(t, []string{"obs_names/v1", "obs_names/v1/fork1"}, names(a))
	assert.Equal(t, []string{"obs_names/v1#2", "obs_names/v1#2/fork1"}, names(b))
	a.Close()
	a.Close()
	c, err := rt.Load([]byte(def))
	require.NoError(t, err)
	assert.Equal(t, []string{"obs_names/v1", "obs_names/v1/fork1"}, names(c), "a's, freed by Close")
	b.Close()
	c.Close()

	// A sub-workflow that two tasks run is compiled for each.
	child, err := ParseWorkflow([]byte(`{"name":"obs_names_child","tasks":[{"name":"work","taskReferenceName":"c"}]}`))
	require.NoError(t, err)
	rt, err = New(WithEcho(), WithDefinitions(child))
	require.NoError(t, err)
	p, err := rt.Load([]byte(`{"name":"obs_names_parent","tasks":[
	  {"name":"x","taskReferenceName":"s1","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"obs_names_child"}},
	  {"name":"x","taskReferenceName":"s2","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"obs_names_child"}}]}`))
	require.NoError(t, err)
	defer p.Close()
	st := p.Stats()
	require.Len(t, st.SubWorkflows, 2)
	assert.Equal(t, "obs_names_child/v0", st.SubWorkflows[0].Levels[0].Pipeline)
	assert.Equal(t, "obs_names_child/v0#2", st.SubWorkflows[1].Levels[0].Pipeline)
	assert.Equal(t, []string{"s1", "s2"}, []string{st.SubWorkflows[0].ParentTask, st.SubWorkflows[1].ParentTask})

	// A definition that fails to load holds no name.
	_, err = rt.Load([]byte(`{"name":"obs_names_bad","tasks":[{"name":"x","taskReferenceName":"s1","type":"SUB_WORKFLOW",
	  "subWorkflowParam":{"name":"obs_names_child"}},{"name":"x","type":"NOPE","taskReferenceName":"n"}]}`))
	require.Error(t, err)
	pipelineNames.Lock()
	assert.False(t, pipelineNames.used["obs_names_child/v0#3"])
	pipelineNames.Unlock()
}

// A bound of one message per pipeline serializes runs and branches, and deadlocks nothing:
// forks wait only for the level below theirs.
func TestPipelineOptionsMaxInFlight(t *testing.T) {
	def := fmt.Sprintf(obsForkDef, "obs_bound", 1)
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			var running, most atomic.Int32
			work := func(_ context.Context, in map[string]any) (map[string]any, error) {
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(100 * time.Microsecond)
				return in, nil
			}
			w := load(t, s, def, WithWorker("work", work), WithPipelineOptions(baton.WithMaxInFlight(1)))
			var wg sync.WaitGroup
			for range 6 {
				wg.Go(func() {
					e, err := w.Run(t.Context(), nil)
					assert.NoError(t, err)
					assert.Equal(t, StatusCompleted, e.Status)
				})
			}
			wg.Wait()
			assert.Equal(t, int32(1), most.Load(), "one run at a time, and one branch at a time")
		})
	}
}

// WithMessageTimeout bounds each run: one that runs out fails with baton's timeout.
func TestPipelineOptionsMessageTimeout(t *testing.T) {
	def := `{"name":"obs_timeout","tasks":[{"name":"sleep","taskReferenceName":"s"}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := load(t, s, def, WithWorker("sleep", sleeper), WithPipelineOptions(baton.WithMessageTimeout(10*time.Millisecond)))
				start := time.Now()
				e, err := w.Run(t.Context(), map[string]any{"ms": 1000})
				assert.Equal(t, 10*time.Millisecond, time.Since(start))
				require.Error(t, err)
				assert.ErrorIs(t, err, baton.ErrTimeout)
				assert.Equal(t, StatusFailed, e.Status)
			})
		})
	}
}
