package conductor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// This file holds what every task is and does: its kind's interface, the base every kind
// embeds, and its stage's first and last acts (resolve the input, record the result).

// A kind is what a task of one type is and does. Each type has one kind, a struct embedding
// ctask in its own file (task_<type>.go), named with its type in types.go; a kind owns the
// checks and the compilation of its type's fields at load, the stages it adds, what they do,
// and what it does in a dynamic fork. ctask, the common base (as in Temporal's SDK each
// command's state machine embeds one), gives every kind the defaults of the methods that only
// some kinds need: no link, no other expressions, no hidden stages, not in dynamic forks.
type kind interface {
	// base returns the task's common part.
	base() *ctask
	// compile checks the fields of the task's type and compiles them, and the tasks it holds
	// (with c.list), reporting each problem with c.fail. The common fields are compiled.
	compile(c *compiler, at place)
	// link makes the checks that need every task compiled (a JOIN's joinOn), before the
	// expressions are checked.
	link(c *compiler)
	// exprs yields the expressions the task has besides its inputParameters (a SUB_WORKFLOW's
	// name), checked as they are.
	exprs(yield func(field string, p *path))
	// process returns the Process function of the task's stage, built once, at load.
	process(w *Workflow) stageFn
	// hiddenStages adds the stages the task needs besides its own (a loop's "~ref.next").
	hiddenStages(w *Workflow, b *stageSet)
	// checkDynamic checks a task of this type that a dynamic fork is to run, before the fork
	// starts any (see dynamicTasks); by default the type cannot run there.
	checkDynamic(w *Workflow, t *WorkflowTask) error
	// runDynamic makes one attempt of a task of this type that a dynamic fork runs, in the
	// hidden stage dynamicStage, on x, its execution (its input resolved), and returns the
	// branch's state with it recorded. Errors that retrying cannot change are permanent; the
	// step's policy (its task definition's) is Baton's to carry out.
	runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, t *WorkflowTask, x *execution) (*state, error)
}

// ctask is what every compiled task has, whatever its type: its definition, its place, its
// compiled input and its policies. Each kind embeds it.
type ctask struct {
	wt             *WorkflowTask
	ref, name, typ string
	ord            int    // position in a pre-order walk of the definition
	loop           *ctask // innermost enclosing DO_WHILE, nil outside loops
	depth          int    // fork nesting: the pipeline whose messages run it
	input          *mapTmpl
	opts           []baton.StageOption
	timeoutWF      bool           // a timeout of this task times the workflow out
	timeout        time.Duration  // its attempts' timeoutSeconds (0: none)
	template       map[string]any // its task definition's inputTemplate: the values of inputs that resolve to null
}

func (t *ctask) base() *ctask                      { return t }
func (t *ctask) link(*compiler)                    {}
func (t *ctask) exprs(func(string, *path))         {}
func (t *ctask) hiddenStages(*Workflow, *stageSet) {}

func (t *ctask) checkDynamic(_ *Workflow, wt *WorkflowTask) error {
	return unsupported(fmt.Sprintf("task type %s in a dynamic fork (it needs stages compiled at load; supported there: %s; wrap it in a %s)",
		taskType(wt), strings.Join(dynamicTypes, ", "), TypeSubWorkflow), ErrUnknownTaskType)
}

func (t *ctask) runDynamic(_ context.Context, _ *Workflow, _ *state, _ *baton.Slip, wt *WorkflowTask, _ *execution) (*state, error) {
	return nil, baton.Permanent(fmt.Errorf("%w %q", ErrUnknownTaskType, taskType(wt))) // checked when the fork started
}

// place is where a task stands in its definition.
type place struct {
	loc   string          // its field: "tasks[2]", "f.forkTasks[0][1]"
	list  []*WorkflowTask // the task list it is in ...
	i     int             // ... at index i
	loop  *ctask          // the innermost DO_WHILE it is in, nil outside loops
	depth int             // its fork level
}

// stageFn is the Process function of a task's stage.
type stageFn = func(context.Context, *state, *baton.Slip) (*state, error)

// execution is one execution of a task, as its stage begins it: what its log entry and
// ${ref.…} expressions will say of it.
type execution struct {
	ref, name, typ string
	id             string // the task id
	iter           int    // the iteration of its innermost loop (0 outside loops)
	in             map[string]any
	lit            map[string]any // in, with ${workflow.secrets.…} as written (nil: in): what is recorded
	start          int64          // when it began, in epoch milliseconds
}

// begin begins ct's execution on s: its iteration and id, and its resolved input.
func (w *Workflow) begin(ct *ctask, s *state) (execution, error) {
	iter := s.iteration(ct)
	id := taskID(s, ct.ref, iter)
	in, err := w.resolve(ct, s, id)
	x := execution{ref: ct.ref, name: ct.name, typ: ct.typ, id: id, iter: iter, in: in, start: nowMillis()}
	x.lit, x.in = w.secretsIn(in)
	return x, err
}

// done returns s with the execution recorded as completed with output out, logged with the
// attempts the slip's step made.
func (x *execution) done(s *state, slip *baton.Slip, out map[string]any) *state {
	if out == nil {
		out = map[string]any{}
	}
	return s.withTask(x.state(TaskCompleted, out), slip.Attempt())
}

// addInput adds the input parameter k, as Conductor adds some to its system tasks' inputs (a
// JOIN's joinOn, a SWITCH's case).
func (x *execution) addInput(k string, v any) {
	x.in = maps.Clone(x.in)
	if x.in == nil {
		x.in = map[string]any{}
	}
	x.in[k] = v
	if x.lit != nil {
		x.lit = maps.Clone(x.lit)
		x.lit[k] = v
	}
}

// state is the task state of the execution, ended now with status and output out.
func (x *execution) state(status TaskStatus, out map[string]any) *taskState {
	in := x.in
	if x.lit != nil {
		in = x.lit
	}
	return &taskState{
		ref: x.ref, name: x.name, typ: x.typ, taskID: x.id, status: status,
		input: in, output: out, iteration: x.iter,
		scheduled: x.start, started: x.start, ended: nowMillis(),
	}
}

// resolve evaluates ct's inputParameters on s. Its errors are permanent: retrying cannot
// change them.
func (w *Workflow) resolve(ct *ctask, s *state, id string) (map[string]any, error) {
	v, err := ct.input.eval(&resolver{s: s, taskID: id, strict: w.cfg.strict})
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("inputParameters: %w", err))
	}
	in := v.(map[string]any)
	for k, d := range ct.template {
		if x, ok := in[k]; ok && x == nil {
			in[k] = deepCopy(d) // Conductor: an input that resolves to null takes the template's value
		}
	}
	return in, nil
}

// callWorker calls worker (nil: echo the input) with its own copy of in, and normalizes the
// output.
func callWorker(ctx context.Context, worker Worker, in map[string]any) (map[string]any, error) {
	if worker == nil {
		return copyMap(in), nil
	}
	out, err := worker(ctx, copyMap(in))
	if err != nil {
		if out != nil {
			// A worker that fails with an output: the failed task keeps it, as Conductor's
			// failed TaskResult keeps its output data.
			if n, nerr := normalizeMap(out); nerr == nil {
				err = &failedOutput{err: err, output: n}
			}
		}
		return nil, err
	}
	out, err = normalizeMap(out)
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("worker output: %w", err))
	}
	return out, nil
}

// failedOutput is the error of a worker that failed with an output, which its failed log
// entry (and the run's outputParameters) show. Its text and matching are its error's.
type failedOutput struct {
	err    error
	output map[string]any
}

func (e *failedOutput) Error() string { return e.err.Error() }
func (e *failedOutput) Unwrap() error { return e.err }

// outputOfFailure is the output a failed task's error carries, nil when none.
func outputOfFailure(err error) map[string]any {
	var fo *failedOutput
	if errors.As(err, &fo) {
		return copyMap(fo.output)
	}
	return nil
}

// truthy is JavaScript's truthiness of a JSON value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && v == v
	case string:
		return v != ""
	}
	return true
}
