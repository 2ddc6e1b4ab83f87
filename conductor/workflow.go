package conductor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/baton-go/baton"
)

// Workflow is a compiled definition, ready to run. Its tasks are Baton stages: SIMPLE and the
// other leaf tasks are stages that record their output; SWITCH and DECISION are stages that
// insert their case into the slip; DO_WHILE inserts its body and a hidden stage that decides,
// after each iteration, whether to insert it again; FORK_JOIN runs each branch as a message of
// its own along its own slip, in a pipeline one level down, and merges them. The pipelines use
// the Runtime's strategy, so a definition runs orchestrated or choreographed alike.
//
// A Workflow is safe for concurrent use: many runs may go on at once. Close it when done.
type Workflow struct {
	cfg    *config
	def    *WorkflowDef
	tasks  map[string]kind // by ref
	top    []string
	output *mapTmpl
	// hasOutput: the definition has outputParameters (else the output is the last task's).
	hasOutput bool
	warnings  []error // see Warnings
	depth     int     // fork nesting: pipelines[0..depth]
	pipes     []*baton.Pipeline[*state]
	children  []*Workflow // sub-workflows compiled at load
	names     []string    // of the pipelines, one per fork level (see claimNames)
	// taskStages are the tasks in definition order, each with the index of its stage in the
	// pipeline of its level.
	taskStages []taskStage
	owners     map[string]*ctask // the task of each stage name (a loop's, for its hidden stage)

	mu      sync.Mutex
	dynamic map[string]*Workflow // sub-workflows compiled at run time, by name@version
	closed  atomic.Bool
	quit    quitSignal // stops the waits at Close (see handle.go)
}

// taskStage is a task and the index of its stage in the pipeline of its fork level.
type taskStage struct {
	k     kind
	stage int
}

// compileWorkflow compiles def; stack lists the definitions being compiled (cycles).
func compileWorkflow(cfg *config, def *WorkflowDef, stack []string) (*Workflow, error) {
	w := &Workflow{cfg: cfg, def: def, tasks: map[string]kind{}}
	c := &compiler{cfg: cfg, w: w, stack: stack}
	c.compile()
	if len(c.errs) == 0 {
		if err := w.build(); err != nil {
			c.errs = append(c.errs, &DefinitionError{Workflow: def.Name, Err: err})
		}
	}
	if len(c.errs) > 0 {
		w.Close()
		return nil, joinErrs(c.errs)
	}
	w.warnings = c.warns
	for _, child := range w.children {
		w.warnings = append(w.warnings, child.warnings...)
	}
	return w, nil
}

// Warnings returns the problems found at load that Conductor tolerates and that did not stop
// the definition loading, each a *DefinitionError naming the workflow, task and field: an
// expression naming a task the definition does not have (null when it runs, as in Conductor;
// such an expression is an error under WithStrictExpressions). Those of the sub-workflows
// compiled with it follow its own. The slice is the caller's.
func (w *Workflow) Warnings() []error { return slices.Clone(w.warnings) }

// build makes the stages and one pipeline per fork level, holding the stages of that level
// alone: the tasks there, and the hidden stages their kinds add there.
func (w *Workflow) build() error {
	b := &stageSet{w: w, levels: make([][]baton.Stage[*state], w.depth+1), shared: make([][]baton.Stage[*state], w.depth+1)}
	w.owners = map[string]*ctask{}
	for _, k := range w.sortedTasks() {
		ct := k.base()
		w.taskStages = append(w.taskStages, taskStage{k, b.add(ct.depth, ct.ref, ct, k.process(w), ct.opts...)})
		k.hiddenStages(w, b)
	}
	w.names = w.claimNames()
	for level, name := range w.names {
		if len(b.levels[level])+len(b.shared[level]) == 0 {
			break // a workflow without tasks: it needs no pipeline (see Workflow.run)
		}
		p, err := baton.New(append(b.levels[level], b.shared[level]...), w.pipelineOptions(name)...)
		if err != nil {
			return err
		}
		w.pipes = append(w.pipes, p)
	}
	return nil
}

// stageSet collects the stages of each fork level's pipeline.
type stageSet struct {
	w      *Workflow
	levels [][]baton.Stage[*state] // the tasks' stages, in definition order, by level
	shared [][]baton.Stage[*state] // the stages tasks share, after those, by level (see share)
}

// add adds the stage name, of task owner (nil: none), at level, and returns its index in the
// level's pipeline.
func (b *stageSet) add(level int, name string, owner *ctask, fn stageFn, opts ...baton.StageOption) int {
	b.levels[level] = append(b.levels[level], b.stage(level, name, fn, opts))
	if owner != nil {
		b.w.owners[name] = owner
	}
	return len(b.levels[level]) - 1
}

// share adds the stage name at level, after the tasks' own, once however many tasks add it.
func (b *stageSet) share(level int, name string, fn stageFn, opts ...baton.StageOption) {
	for _, s := range b.shared[level] {
		if s.Name() == name {
			return
		}
	}
	b.shared[level] = append(b.shared[level], b.stage(level, name, fn, opts))
}

// stage makes the stage name at level. Its Workers are WithConcurrency's (see there) under
// choreography, and under orchestration at fork levels: a pipeline drives fork branches with
// as many drivers as its stages have workers (at least GOMAXPROCS), so without them a level of
// few stages would run few branches at once, however many runs fork. The top level's steps run
// in Run's goroutine under orchestration.
func (b *stageSet) stage(level int, name string, fn stageFn, opts []baton.StageOption) baton.Stage[*state] {
	if level > 0 || b.w.cfg.strategy == baton.Choreographed {
		// First, so that a kind's own Workers (a waiting task's) wins.
		opts = append([]baton.StageOption{baton.Workers(b.w.cfg.concurrency)}, opts...)
	}
	return baton.Tolerating(baton.SlipFunc(name, b.w.attemptRecorder(name, fn), opts...), b.w.tolerated)
}

func (w *Workflow) sortedTasks() []kind {
	c := compiler{w: w}
	return c.sorted()
}

// Name returns the definition's name.
func (w *Workflow) Name() string { return w.def.Name }

// Definition returns the definition the workflow was compiled from; do not change it.
func (w *Workflow) Definition() *WorkflowDef { return w.def }

// Close stops the workflow's pipelines and those of its sub-workflows, after the runs in
// flight have finished, and lets other workflows take their names (see WithPipelineOptions).
// Runs started after Close fail with ErrClosed. Close is safe to call twice and concurrently;
// it always returns nil.
func (w *Workflow) Close() error {
	first := !w.closed.Swap(true)
	w.stopWaits() // the waiting tasks stop, so that the runs end (see handle.go)
	for _, p := range w.pipes {
		p.Close()
	}
	for _, c := range w.children {
		c.Close()
	}
	w.mu.Lock()
	dyn := slices.Collect(maps.Values(w.dynamic)) // kept for Stats; child compiles no more
	w.mu.Unlock()
	for _, c := range dyn {
		c.Close()
	}
	w.quit.wait()
	if first {
		w.releaseNames()
	}
	return nil
}

// child returns the sub-workflow name (version 0: the highest), compiling it on first use.
func (w *Workflow) child(name string, version int) (*Workflow, error) {
	key := fmt.Sprintf("%s@%d", name, version)
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.dynamic[key]; ok {
		return c, nil
	}
	if w.closed.Load() {
		return nil, ErrClosed
	}
	def := w.cfg.lookup(name, version)
	if def == nil {
		return nil, fmt.Errorf("%w %q version %d", ErrUnknownWorkflow, name, version)
	}
	c, err := compileWorkflow(w.cfg, def, []string{key})
	if err != nil {
		return nil, err
	}
	if w.dynamic == nil {
		w.dynamic = map[string]*Workflow{}
	}
	w.dynamic[key] = c
	return c, nil
}

// runSlip runs s along its slip in the pipeline of its fork level, and returns the state as its
// last step left it, with the entry of a step that failed added to its log, and the run's error.
func (w *Workflow) runSlip(ctx context.Context, s *state) (final *state, err error) {
	r := w.pipes[s.depth].ProcessResult(ctx, s)
	return w.settle(s, r)
}

// runSlips runs several states along their slips at once (the branches of a fork), in the
// pipeline of their fork level, and calls each with every one's final state and error as it
// ends. Run stops pulling at the first state it cannot submit (the run cancelled, the pipeline
// closed): the states it never pulled end with that one's error, unrun.
func (w *Workflow) runSlips(ctx context.Context, states []*state, each func(i int, s *state, err error)) {
	p := w.pipes[states[0].depth]
	got := make([]bool, len(states))
	var refused baton.Result[*state]
	for r := range p.Run(ctx, slices.Values(states)) {
		i := int(r.Seq)
		got[i] = true
		if r.ID == 0 {
			refused = r // not accepted: Run pulls no more
		}
		final, err := w.settle(states[i], r)
		each(i, final, err)
	}
	for i, ok := range got {
		if !ok {
			refused.Value, refused.Seq = states[i], uint64(i)
			final, err := w.settle(states[i], refused)
			each(i, final, err)
		}
	}
}

// settle turns the Result of state s's run into its final state and error.
func (w *Workflow) settle(s *state, r baton.Result[*state]) (*state, error) {
	v := r.Value
	if v == nil {
		v = s
	}
	final := w.logFailure(v, r.Log)
	return final, w.runError(r.Err, final)
}

func (w *Workflow) runError(err error, final *state) error {
	var se *baton.StepError
	if !errors.As(err, &se) {
		return err
	}
	var ff *forkFailure
	if errors.As(se.Err, &ff) {
		return ff.err
	}
	if se.Stage == dynamicStage && final != nil && final.dyn != nil {
		pol, timeoutWF, _ := w.dynamicPolicy(final.dyn)
		// Its timeoutSeconds times the run out: under TIME_OUT_WF at once, under RETRY after
		// its retries, as in Conductor.
		return &TaskError{Task: final.dyn.TaskReferenceName, Type: taskType(final.dyn), Attempts: se.Attempts, Err: se.Err,
			timeoutWF: timeoutWF || pol.AttemptTimeout > 0}
	}
	ct := w.stageTask(se.Stage)
	if ct == nil {
		return err
	}
	return &TaskError{Task: ct.ref, Type: ct.typ, Attempts: se.Attempts, Err: se.Err}
}

// stageTask is the task behind a stage name (a loop for its hidden stage), nil for the
// dynamic stage.
func (w *Workflow) stageTask(stage string) *ctask { return w.owners[stage] }
