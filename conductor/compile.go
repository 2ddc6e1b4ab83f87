package conductor

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/baton-go/baton"
)

// ctask is a compiled task: its definition, compiled input, policies, and what its type needs.
type ctask struct {
	wt             *WorkflowTask
	ref, name, typ string
	ord            int    // position in a pre-order walk of the definition
	loop           *ctask // innermost enclosing DO_WHILE, nil outside loops
	depth          int    // fork nesting: the pipeline whose messages run it
	input          *mapTmpl
	opts           []baton.StageOption
	timeoutWF      bool // a timeout of this task times the workflow out

	param    string              // SWITCH/DECISION value-param, DYNAMIC name param
	program  Program             // SWITCH/DECISION JavaScript, loop condition, INLINE/LAMBDA/JQ literal
	cases    map[string][]string // SWITCH/DECISION: refs of each case
	deflt    []string            // SWITCH/DECISION default case
	branches [][]string          // FORK_JOIN
	spans    [][2]int            // FORK_JOIN: the ords of each branch's tasks, (lo, hi]
	joined   []bool              // FORK_JOIN: the branches its JOIN waits for (see joinOn)
	fork     *ctask              // JOIN: the fork it closes
	body     []string            // DO_WHILE: refs of the body's top level
	sub      *Workflow           // SUB_WORKFLOW with a literal name
	subName  *template           // SUB_WORKFLOW with a name to resolve
	subVer   int
	inline   string // INLINE evaluatorType
}

// loopStage is the name of the hidden stage that ends each iteration of loop ref.
func loopStage(ref string) string { return "~" + ref + ".next" }

// dynamicStage is the name of the hidden stage that runs the tasks of a dynamic fork.
const dynamicStage = "~dynamic"

// compiler walks a definition once, compiling each task and collecting every problem.
type compiler struct {
	cfg   *config
	w     *Workflow
	errs  []error
	ord   int
	stack []string // definitions being compiled, to find sub-workflow cycles
	forks []*ctask // the FORK_JOIN tasks, in definition order
}

func (c *compiler) fail(task, field string, err error) {
	c.errs = append(c.errs, &DefinitionError{Workflow: c.w.def.Name, Task: task, Field: field, Err: err})
}

// compile checks and compiles def into w (whose def is set).
func (c *compiler) compile() {
	def := c.w.def
	if def.Name == "" {
		c.fail("", "name", fmt.Errorf("%w: empty name", ErrMalformed))
	}
	if def.SchemaVersion != 0 && def.SchemaVersion != 2 {
		c.fail("", "schemaVersion", fmt.Errorf("%w: schemaVersion %d (only 2 is supported)", ErrMalformed, def.SchemaVersion))
	}
	if def.TimeoutSeconds < 0 {
		c.fail("", "timeoutSeconds", fmt.Errorf("%w: negative", ErrMalformed))
	}
	if len(def.Tasks) == 0 {
		c.fail("", "tasks", fmt.Errorf("%w: no tasks", ErrMalformed))
	}
	for i, p := range def.InputParameters {
		if p == "" {
			c.fail("", fmt.Sprintf("inputParameters[%d]", i), fmt.Errorf("%w: empty name", ErrMalformed))
		}
	}
	c.w.top = c.list(def.Tasks, "tasks", nil, 0)
	c.w.output = compileParams(def.OutputParameters, "outputParameters", func(f string, err error) { c.fail("", f, err) })
	if _, err := normalizeMap(def.Variables); err != nil {
		c.fail("", "variables", fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	c.checkRefs()
}

// list compiles a task list and returns its refs.
func (c *compiler) list(tasks []*WorkflowTask, field string, loop *ctask, depth int) []string {
	var refs []string
	for i, wt := range tasks {
		loc := fmt.Sprintf("%s[%d]", field, i)
		if wt == nil {
			c.fail("", loc, fmt.Errorf("%w: null task", ErrMalformed))
			continue
		}
		ct := c.task(wt, loc, loop, depth)
		if ct == nil {
			continue
		}
		refs = append(refs, ct.ref)
		switch ct.typ {
		case "FORK_JOIN", "FORK_JOIN_DYNAMIC":
			if i+1 >= len(tasks) || tasks[i+1] == nil || taskType(tasks[i+1]) != "JOIN" {
				c.fail(ct.ref, "type", fmt.Errorf("%w: a %s must be followed by a JOIN", ErrMalformed, ct.typ))
			}
		case "JOIN":
			if i == 0 || tasks[i-1] == nil {
				c.fail(ct.ref, "type", fmt.Errorf("%w: a JOIN must follow a FORK_JOIN or FORK_JOIN_DYNAMIC", ErrMalformed))
				break
			}
			prev := c.w.tasks[tasks[i-1].TaskReferenceName]
			if prev == nil || (prev.typ != "FORK_JOIN" && prev.typ != "FORK_JOIN_DYNAMIC") {
				c.fail(ct.ref, "type", fmt.Errorf("%w: a JOIN must follow a FORK_JOIN or FORK_JOIN_DYNAMIC", ErrMalformed))
				break
			}
			ct.fork = prev
		}
	}
	return refs
}

func taskType(wt *WorkflowTask) string {
	if wt.Type == "" {
		return "SIMPLE"
	}
	return wt.Type
}

// task compiles one task and what it contains.
func (c *compiler) task(wt *WorkflowTask, loc string, loop *ctask, depth int) *ctask {
	ref := wt.TaskReferenceName
	if ref == "" {
		c.fail("", loc+".taskReferenceName", fmt.Errorf("%w: empty taskReferenceName", ErrMalformed))
		return nil
	}
	if _, dup := c.w.tasks[ref]; dup {
		c.fail(ref, "taskReferenceName", fmt.Errorf("%w %q", ErrDuplicateRef, ref))
		return nil
	}
	if strings.HasPrefix(ref, "~") || ref == "workflow" || envNames[ref] {
		c.fail(ref, "taskReferenceName", fmt.Errorf("%w: %q is reserved", ErrMalformed, ref))
	}
	c.ord++
	ct := &ctask{wt: wt, ref: ref, name: wt.Name, typ: taskType(wt), ord: c.ord, loop: loop, depth: depth}
	c.w.tasks[ref] = ct
	failf := func(field string, err error) { c.fail(ref, field, err) }
	ct.input = compileParams(wt.InputParameters, "inputParameters", failf)
	c.policy(ct)

	switch ct.typ {
	case "SIMPLE":
		if wt.Name == "" {
			failf("name", fmt.Errorf("%w: a SIMPLE task needs a name", ErrMalformed))
		} else if _, ok := c.cfg.workers[wt.Name]; !ok && !c.cfg.echo {
			failf("name", fmt.Errorf("%w for task name %q", ErrNoWorker, wt.Name))
		}
	case "SWITCH", "DECISION":
		c.switchTask(ct, loop, depth)
	case "FORK_JOIN":
		c.forks = append(c.forks, ct)
		if len(wt.ForkTasks) == 0 {
			failf("forkTasks", fmt.Errorf("%w: no branches", ErrMalformed))
		}
		for i, branch := range wt.ForkTasks {
			if len(branch) == 0 {
				failf(fmt.Sprintf("forkTasks[%d]", i), fmt.Errorf("%w: empty branch", ErrMalformed))
			}
			lo := c.ord
			ct.branches = append(ct.branches, c.list(branch, fmt.Sprintf("%s.forkTasks[%d]", ref, i), loop, depth+1))
			ct.spans = append(ct.spans, [2]int{lo, c.ord})
		}
		c.w.depth = max(c.w.depth, depth+1)
	case "FORK_JOIN_DYNAMIC":
		c.needParam(ct, "dynamicForkTasksParam", wt.DynamicForkTasksParam)
		c.needParam(ct, "dynamicForkTasksInputParamName", wt.DynamicForkTasksInputParamName)
		c.w.depth = max(c.w.depth, depth+1)
	case "JOIN":
	case "DO_WHILE":
		c.loopTask(ct, loop, depth)
	case "SET_VARIABLE":
	case "TERMINATE":
		c.terminateTask(ct)
	case "SUB_WORKFLOW":
		c.subWorkflowTask(ct)
	case "DYNAMIC":
		c.needParam(ct, "dynamicTaskNameParam", wt.DynamicTaskNameParam)
		ct.param = wt.DynamicTaskNameParam
	case "INLINE", "LAMBDA", "JSON_JQ_TRANSFORM":
		c.scriptTask(ct)
	default:
		failf("type", fmt.Errorf("%w %q (supported: %s)", ErrUnknownTaskType, wt.Type, strings.Join(supportedTypes, ", ")))
	}
	return ct
}

var supportedTypes = []string{"SIMPLE", "SWITCH", "DECISION", "FORK_JOIN", "JOIN", "DO_WHILE",
	"SET_VARIABLE", "TERMINATE", "SUB_WORKFLOW", "DYNAMIC", "FORK_JOIN_DYNAMIC",
	"JSON_JQ_TRANSFORM", "INLINE", "LAMBDA"}

// needParam checks that field names an input parameter of the task.
func (c *compiler) needParam(ct *ctask, field, name string) {
	if name == "" {
		c.fail(ct.ref, field, fmt.Errorf("%w: required for %s", ErrMalformed, ct.typ))
		return
	}
	if _, ok := ct.wt.InputParameters[name]; !ok {
		c.fail(ct.ref, field, fmt.Errorf("%w: %q is not one of the task's inputParameters", ErrMalformed, name))
	}
}

func (c *compiler) switchTask(ct *ctask, loop *ctask, depth int) {
	wt := ct.wt
	switch {
	case ct.typ == "DECISION" && wt.CaseValueParam != "":
		c.needParam(ct, "caseValueParam", wt.CaseValueParam)
		ct.param = wt.CaseValueParam
	case ct.typ == "DECISION":
		ct.program = c.javascript(ct, "caseExpression", wt.CaseExpression)
	case wt.EvaluatorType == "value-param":
		c.needParam(ct, "expression", wt.Expression)
		ct.param = wt.Expression
	case wt.EvaluatorType == "javascript" || wt.EvaluatorType == "graaljs":
		ct.program = c.javascript(ct, "expression", wt.Expression)
	default:
		c.fail(ct.ref, "evaluatorType", fmt.Errorf("%w: evaluatorType %q (want value-param, javascript or graaljs)", ErrMalformed, wt.EvaluatorType))
	}
	ct.cases = map[string][]string{}
	keys := make([]string, 0, len(wt.DecisionCases))
	for k := range wt.DecisionCases {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a deterministic walk, so errors and ordinals do not vary
	for _, k := range keys {
		ct.cases[k] = c.list(wt.DecisionCases[k], ct.ref+".decisionCases."+k, loop, depth)
	}
	ct.deflt = c.list(wt.DefaultCase, ct.ref+".defaultCase", loop, depth)
}

func (c *compiler) loopTask(ct *ctask, loop *ctask, depth int) {
	wt := ct.wt
	if len(wt.LoopOver) == 0 {
		c.fail(ct.ref, "loopOver", fmt.Errorf("%w: empty loop body", ErrMalformed))
	}
	ct.program = c.javascript(ct, "loopCondition", wt.LoopCondition)
	if _, dup := c.w.tasks[loopStage(ct.ref)]; dup {
		c.fail(ct.ref, "taskReferenceName", fmt.Errorf("%w %q", ErrDuplicateRef, loopStage(ct.ref)))
	}
	ct.body = c.list(wt.LoopOver, ct.ref+".loopOver", ct, depth)
}

func (c *compiler) terminateTask(ct *ctask) {
	v, ok := ct.wt.InputParameters["terminationStatus"]
	if !ok {
		c.fail(ct.ref, "inputParameters.terminationStatus", fmt.Errorf("%w: required for TERMINATE", ErrMalformed))
		return
	}
	if s, isStr := v.(string); isStr && !strings.Contains(s, "${") {
		switch Status(s) {
		case StatusCompleted, StatusFailed, StatusTerminated:
		default:
			c.fail(ct.ref, "inputParameters.terminationStatus", fmt.Errorf("%w: %q (want COMPLETED, FAILED or TERMINATED)", ErrMalformed, s))
		}
	}
}

func (c *compiler) subWorkflowTask(ct *ctask) {
	p := ct.wt.SubWorkflowParam
	if p == nil || (p.Name == "" && p.WorkflowDefinition == nil) {
		c.fail(ct.ref, "subWorkflowParam.name", fmt.Errorf("%w: required for SUB_WORKFLOW", ErrMalformed))
		return
	}
	ct.subVer = p.Version
	if p.WorkflowDefinition != nil {
		ct.sub = c.child(ct, p.WorkflowDefinition)
		return
	}
	t, err := parseTemplate(p.Name)
	if err != nil {
		c.fail(ct.ref, "subWorkflowParam.name", err)
		return
	}
	name, literal := t.literal()
	if !literal {
		ct.subName = t
		return
	}
	def := c.cfg.lookup(name, p.Version)
	if def == nil {
		c.fail(ct.ref, "subWorkflowParam.name", fmt.Errorf("%w %q version %d (see WithDefinitions)", ErrUnknownWorkflow, name, p.Version))
		return
	}
	ct.sub = c.child(ct, def)
}

// child compiles a sub-workflow at load, refusing cycles.
func (c *compiler) child(ct *ctask, def *WorkflowDef) *Workflow {
	key := fmt.Sprintf("%s@%d", def.Name, def.Version)
	if slices.Contains(c.stack, key) {
		c.fail(ct.ref, "subWorkflowParam.name", fmt.Errorf("%w: sub-workflow cycle %s -> %s", ErrMalformed, strings.Join(c.stack, " -> "), key))
		return nil
	}
	w, err := compileWorkflow(c.cfg, def, append(slices.Clone(c.stack), key))
	if err != nil {
		c.fail(ct.ref, "subWorkflowParam", err)
		return nil
	}
	c.w.children = append(c.w.children, w)
	return w
}

func (c *compiler) scriptTask(ct *ctask) {
	in := ct.wt.InputParameters
	switch ct.typ {
	case "INLINE":
		et, _ := in["evaluatorType"].(string)
		ct.inline = et
		switch et {
		case "value-param":
			if e, _ := in["expression"].(string); e == "" {
				c.fail(ct.ref, "inputParameters.expression", fmt.Errorf("%w: required for INLINE", ErrMalformed))
			}
		case "javascript", "graaljs":
			ct.program = c.scriptParam(ct, "expression", c.javascriptProgram)
		default:
			c.fail(ct.ref, "inputParameters.evaluatorType", fmt.Errorf("%w: evaluatorType %q (want javascript, graaljs or value-param)", ErrMalformed, et))
		}
	case "LAMBDA":
		ct.program = c.scriptParam(ct, "scriptExpression", func(ct *ctask, field, src string) Program {
			return c.javascriptProgram(ct, field, lambdaSource(src))
		})
	case "JSON_JQ_TRANSFORM":
		ct.program = c.scriptParam(ct, "queryExpression", c.jqProgram)
	}
}

// lambdaSource wraps a LAMBDA's scriptExpression, a function body, as Conductor does.
func lambdaSource(src string) string { return "function scriptFun(){" + src + "\n}\nscriptFun();" }

// scriptParam compiles the script in input parameter name when it is literal; one built
// with expressions is compiled when the task runs.
func (c *compiler) scriptParam(ct *ctask, name string, compile func(*ctask, string, string) Program) Program {
	field := "inputParameters." + name
	v, ok := ct.wt.InputParameters[name]
	src, isStr := v.(string)
	if !ok || !isStr || src == "" {
		c.fail(ct.ref, field, fmt.Errorf("%w: a non-empty string is required for %s", ErrMalformed, ct.typ))
		return nil
	}
	if tm, err := parseTemplate(src); err == nil {
		if _, literal := tm.literal(); !literal {
			// Built at run time: only the engine's presence can be checked now.
			compile(ct, field, "")
			return nil
		}
	}
	return compile(ct, field, src)
}

func (c *compiler) javascript(ct *ctask, field, src string) Program {
	if src == "" {
		c.fail(ct.ref, field, fmt.Errorf("%w: required for %s", ErrMalformed, ct.typ))
		return nil
	}
	return c.javascriptProgram(ct, field, src)
}

// javascriptProgram compiles src ("" checks only that there is an engine).
func (c *compiler) javascriptProgram(ct *ctask, field, src string) Program {
	if c.cfg.js == nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %s needs JavaScript", ErrNoEngine, ct.typ))
		return nil
	}
	if src == "" {
		return nil
	}
	p, err := c.cfg.js.CompileJavaScript(src)
	if err != nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %w", ErrBadExpression, err))
	}
	return p
}

func (c *compiler) jqProgram(ct *ctask, field, src string) Program {
	if c.cfg.jq == nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %s needs jq", ErrNoEngine, ct.typ))
		return nil
	}
	if src == "" {
		return nil
	}
	p, err := c.cfg.jq.CompileJQ(src)
	if err != nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %w", ErrBadExpression, err))
	}
	return p
}

// checkRefs checks every expression's root against the tasks: it must exist and, for a
// task's input, run before the task (inside a loop, any task of the same loop will have run
// in an earlier iteration, and a loop's input may name its body).
func (c *compiler) checkRefs() {
	check := func(ct *ctask, field string, p *path) {
		if p.root == "" || p.root == "workflow" || envNames[p.root] {
			if err := p.checkFields(false); err != nil {
				c.fail(taskRef(ct), field, err)
			}
			return
		}
		target, ok := c.w.tasks[p.root]
		if !ok {
			c.fail(taskRef(ct), field, fmt.Errorf("%w: ${%s} names %q", ErrUnknownRef, p.src, p.root))
			return
		}
		if err := p.checkFields(true); err != nil {
			c.fail(taskRef(ct), field, err)
			return
		}
		if ct == nil {
			return // the run's output is computed once every branch has ended
		}
		if f, i := c.unjoined(target, ct); f != nil {
			c.fail(ct.ref, field, fmt.Errorf("%w: ${%s} names %q, in branch %d of fork %q, which its JOIN does not wait for (add the branch's last task to joinOn)",
				ErrForwardRef, p.src, p.root, i, f.ref))
			return
		}
		if target.ord < ct.ord || sameLoop(ct, target) {
			return
		}
		c.fail(ct.ref, field, fmt.Errorf("%w: ${%s} names %q, which does not run before %q", ErrForwardRef, p.src, p.root, ct.ref))
	}
	tasks := c.sorted()
	for _, ct := range tasks {
		if ct.typ == "JOIN" {
			c.joinOn(ct)
		}
	}
	for _, ct := range tasks {
		ct.input.paths(func(p *path) { check(ct, "inputParameters", p) })
		if ct.subName != nil {
			for _, p := range ct.subName.parts {
				if p.expr != nil {
					check(ct, "subWorkflowParam.name", p.expr)
				}
			}
		}
	}
	c.w.output.paths(func(p *path) { check(nil, "outputParameters", p) })
}

// joinOn checks the joinOn of JOIN ct and, for a static fork, marks the branches it waits
// for: those holding a task it names. Each must be a task of the fork's branches. A dynamic
// fork's JOIN waits for every forked task, whatever its joinOn says (as in Conductor, which
// replaces it), so that joinOn is not checked.
func (c *compiler) joinOn(ct *ctask) {
	f := ct.fork
	if f == nil || f.typ != "FORK_JOIN" {
		return
	}
	f.joined = make([]bool, len(f.spans))
	for i, r := range ct.wt.JoinOn {
		field := fmt.Sprintf("joinOn[%d]", i)
		t, ok := c.w.tasks[r]
		if !ok {
			c.fail(ct.ref, field, fmt.Errorf("%w %q", ErrUnknownRef, r))
			continue
		}
		b := f.branchOf(t)
		if b < 0 {
			c.fail(ct.ref, field, fmt.Errorf("%w: %q is not a task of the branches of fork %q", ErrUnknownRef, r, f.ref))
			continue
		}
		f.joined[b] = true
	}
}

// branchOf returns the branch of fork f that holds t (at any depth), or -1.
func (f *ctask) branchOf(t *ctask) int {
	for i, sp := range f.spans {
		if t.ord > sp[0] && t.ord <= sp[1] {
			return i
		}
	}
	return -1
}

// unjoined finds a fork with a branch that holds target, that its JOIN does not wait for, and
// that from is not in: from can never see target, whose state reaches the rest of the run only
// when the run ends. It returns that fork and branch, or nil.
func (c *compiler) unjoined(target, from *ctask) (*ctask, int) {
	for _, f := range c.forks {
		if f.joined == nil {
			continue
		}
		if i := f.branchOf(target); i >= 0 && !f.joined[i] && f.branchOf(from) != i {
			return f, i
		}
	}
	return nil, 0
}

func taskRef(ct *ctask) string {
	if ct == nil {
		return ""
	}
	return ct.ref
}

// sameLoop reports whether from may read target as it was in an earlier iteration: target is
// in a loop that contains from, or target is the body of the loop from is.
func sameLoop(from, target *ctask) bool {
	for l := target.loop; l != nil; l = l.loop {
		if l == from {
			return true // a DO_WHILE's input may name its body
		}
		for f := from.loop; f != nil; f = f.loop {
			if f == l {
				return true
			}
		}
	}
	return false
}

// sorted returns the tasks in definition order.
func (c *compiler) sorted() []*ctask {
	out := make([]*ctask, 0, len(c.w.tasks))
	for _, ct := range c.w.tasks {
		out = append(out, ct)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ord < out[j].ord })
	return out
}

// lookup finds a registered definition: the version asked for, or the highest when version
// is 0.
func (c *config) lookup(name string, version int) *WorkflowDef {
	var best *WorkflowDef
	for _, d := range c.defs[name] {
		if version != 0 && d.Version == version {
			return d
		}
		if version == 0 && (best == nil || d.Version > best.Version) {
			best = d
		}
	}
	return best
}

// joinErrs joins definition errors, keeping a lone one as it is.
func joinErrs(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
