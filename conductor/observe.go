package conductor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/baton-go/baton"
)

// This file is what makes a workflow observable: the options its pipelines get (the user's,
// checked, then the engine's), their names, and the workflow's Stats.

// planOf plans the itinerary of a workflow's messages: each starts along the one its state
// carries (a run's task list, a fork branch's); a dynamic fork's task is a step with its task
// definition's policy (see dynamic.go).
func planOf(s *state, slip *baton.Slip) error {
	if s.dyn != nil {
		return slip.AppendWith(s.dynPol, s.route...)
	}
	return slip.Append(s.route...)
}

// keyOf is the key of a workflow's messages: the workflowId of their run.
func keyOf(s *state) string { return s.run.workflowID }

// pipelineOptions returns the options of the pipeline named name: the user's, then the
// engine's, which win over any the user's set.
func (w *Workflow) pipelineOptions(name string) []baton.Option {
	return append(slices.Clip(w.cfg.pipeOpts),
		baton.WithName(name),
		baton.WithStrategy(w.cfg.strategy),
		baton.WithItinerary(planOf),
		baton.WithKey(keyOf),
		// Loops are bounded by WithMaxIterations, with a clearer error than the hop limit's.
		baton.WithHopLimit(math.MaxInt32),
	)
}

// checkPipelineOptions refuses pipeline options the engine cannot work with. Options are
// opaque, so it asks baton.New: a router or key the user gave has the wrong message type (the
// state is unexported), so New fails unless the engine's own replaces it; and a strategy the
// user gave shows in the pipeline's Strategy whatever strategy came before. The pipelines it
// builds are never started.
func checkPipelineOptions(opts []baton.Option) error {
	if len(opts) == 0 {
		return nil
	}
	stages := []baton.Stage[*state]{baton.SlipFunc("probe", func(_ context.Context, s *state, _ *baton.Slip) (*state, error) {
		return s, nil
	})}
	try := func(first baton.Option, last ...baton.Option) (*baton.Pipeline[*state], error) {
		all := append(append([]baton.Option{first}, opts...), last...)
		p, err := baton.New(stages, all...)
		if p != nil {
			p.Close()
		}
		return p, err
	}
	router, key := baton.WithItinerary(planOf), baton.WithKey(keyOf)
	if _, err := try(baton.WithStrategy(baton.Orchestrated), router, key); err != nil {
		return fmt.Errorf("WithPipelineOptions: %w", err)
	}
	var errs []error
	if _, err := try(baton.WithStrategy(baton.Orchestrated), key); err != nil {
		errs = append(errs, errors.New("WithPipelineOptions: baton.WithRouter is refused: a workflow routes its messages itself (along its tasks)"))
	}
	if _, err := try(baton.WithStrategy(baton.Orchestrated), router); err != nil {
		errs = append(errs, errors.New("WithPipelineOptions: baton.WithKey is refused: a workflow keys its messages itself (by workflowId)"))
	}
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		if p, _ := try(baton.WithStrategy(s), router, key); p.Strategy() != s {
			errs = append(errs, errors.New("WithPipelineOptions: baton.WithStrategy is refused: use conductor.WithStrategy"))
			break
		}
	}
	return errors.Join(errs...)
}

// pipelineNames are the names of the pipelines of the workflows not yet closed, in the whole
// process, so that no two are alike: an Observer serving several tells their messages apart by
// pipeline name.
var pipelineNames = struct {
	sync.Mutex
	used map[string]bool
}{used: map[string]bool{}}

// claimNames returns the names of the pipelines of w, one per fork level: "name/vN" and
// "name/vN/forkK", or "name/vN#2" (and so on) while another workflow holds those names.
func (w *Workflow) claimNames() []string {
	base := w.def.Name + "/v" + strconv.Itoa(w.def.Version)
	names := make([]string, w.depth+1)
	pipelineNames.Lock()
	defer pipelineNames.Unlock()
	for n := 1; ; n++ {
		b := base
		if n > 1 {
			b += "#" + strconv.Itoa(n)
		}
		free := true
		for level := range names {
			names[level] = b
			if level > 0 {
				names[level] += "/fork" + strconv.Itoa(level)
			}
			free = free && !pipelineNames.used[names[level]]
		}
		if free {
			break
		}
	}
	for _, name := range names {
		pipelineNames.used[name] = true
	}
	return names
}

// releaseNames lets other workflows take w's names.
func (w *Workflow) releaseNames() {
	pipelineNames.Lock()
	defer pipelineNames.Unlock()
	for _, name := range w.names {
		delete(pipelineNames.used, name)
	}
}

// WorkflowStats is a snapshot of a workflow's counters since it was compiled, its tasks' and
// its sub-workflows'. See Workflow.Stats.
type WorkflowStats struct {
	Name    string
	Version int
	// ParentTask is, for a sub-workflow compiled at load, the reference name of the
	// SUB_WORKFLOW task of its parent that runs it. It is "" for the workflow Stats was called
	// on, and for sub-workflows compiled at their first run (named by an expression, or by a
	// dynamic fork's task), which all the tasks naming them share.
	ParentTask string
	Strategy   baton.Strategy
	// InFlight is the number of runs going on.
	InFlight int
	// Tasks holds one entry per task of the definition, in definition order.
	Tasks []TaskStats
	// Levels holds the stats of the workflow's pipelines, one per fork level: Levels[0] carries
	// the runs, Levels[1] the branches of the forks at the top level, and so on. Each level has
	// the stages of its own tasks, in definition order, and the hidden ones there: "~ref.next"
	// after each DO_WHILE ref, and last, one level below dynamic forks, "~dynamic", where the
	// tasks of those forks run, so that they are counted there and not in Tasks.
	Levels []LevelStats
	// SubWorkflows holds the stats of the sub-workflows: those compiled at load, in the order
	// of their SUB_WORKFLOW tasks, then those compiled at run time, by name and version.
	SubWorkflows []WorkflowStats
}

// LevelStats is the stats of the pipeline of one fork level.
type LevelStats struct {
	// Pipeline is the pipeline's name, as events carry it (baton.Event.Pipeline).
	Pipeline string
	baton.Stats
}

// TaskStats counts the steps of one task: each of its executions is a step (a loop's body
// tasks have one per iteration), made of one attempt and as many more as it was retried.
type TaskStats struct {
	Ref  string // taskReferenceName: the stage's name, and the Stage of its events
	Name string // the task's name (for a SIMPLE task, its worker's)
	Type string
	// Level is the task's fork level: 0 at the top, 1 in a fork's branches, and so on.
	Level int
	// Processed counts the steps that succeeded, each counted when its run or fork branch
	// ends; Failed, those that failed after their attempts (an optional task's included).
	Processed, Failed int64
	// Retried counts the retries made.
	Retried int64
	// Running is the number of the task's steps running now, and Latency the quantiles of its
	// attempts' durations; both only when the pipelines time steps (baton.WithTiming or
	// baton.WithObserver among WithPipelineOptions), else zero.
	Running int64
	Latency baton.Latency
}

// Stats returns a snapshot of the workflow's counters: per task, per pipeline, and those of its
// sub-workflows. Like baton's Pipeline.Stats it is safe to call at any time, concurrently with
// runs and after Close; each counter is read atomically, but the snapshot as a whole is not.
// Cost: a baton Stats per pipeline — each fork level's, and its sub-workflows' — that is a few
// atomic loads per stage, and with timing about a microsecond per stage and pipeline.
func (w *Workflow) Stats() WorkflowStats {
	ws := WorkflowStats{Name: w.def.Name, Version: w.def.Version, Strategy: w.cfg.strategy}
	for i, p := range w.pipes {
		ws.Levels = append(ws.Levels, LevelStats{Pipeline: w.names[i], Stats: p.Stats()})
	}
	if len(ws.Levels) > 0 {
		ws.InFlight = ws.Levels[0].InFlight
	}
	for _, ts := range w.taskStages {
		ct := ts.k.base()
		st := TaskStats{Ref: ct.ref, Name: ct.name, Type: ct.typ, Level: ct.depth}
		if ct.depth < len(ws.Levels) && ts.stage < len(ws.Levels[ct.depth].Stages) {
			ss := ws.Levels[ct.depth].Stages[ts.stage]
			st.Processed, st.Failed, st.Retried = ss.Processed, ss.Failed, ss.Retried
			st.Running, st.Latency = ss.Running, ss.Latency
		}
		ws.Tasks = append(ws.Tasks, st)
		if sw, ok := ts.k.(*subWorkflowTask); ok && sw.sub != nil {
			sub := sw.sub.Stats()
			sub.ParentTask = ct.ref
			ws.SubWorkflows = append(ws.SubWorkflows, sub)
		}
	}
	w.mu.Lock()
	keys := make([]string, 0, len(w.dynamic))
	for k := range w.dynamic {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dyn := make([]*Workflow, len(keys))
	for i, k := range keys {
		dyn[i] = w.dynamic[k]
	}
	w.mu.Unlock()
	for _, c := range dyn {
		ws.SubWorkflows = append(ws.SubWorkflows, c.Stats())
	}
	return ws
}

// Task returns the stats of the task ref, and whether the workflow has it.
func (ws WorkflowStats) Task(ref string) (TaskStats, bool) {
	for _, t := range ws.Tasks {
		if t.Ref == ref {
			return t, true
		}
	}
	return TaskStats{}, false
}
