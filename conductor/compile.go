package conductor

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// compiler walks a definition once, compiling each task and collecting every problem.
type compiler struct {
	cfg   *config
	w     *Workflow
	errs  []error
	ord   int
	stack []string        // definitions being compiled, to find sub-workflow cycles
	forks []*forkJoinTask // the FORK_JOIN tasks, in definition order
	warns []error         // problems that do not stop the definition loading (see Workflow.Warnings)
}

// warn records a problem that Conductor tolerates (the expression is null when it runs); under
// WithStrictExpressions it is an error.
func (c *compiler) warn(task, field string, err error) {
	if c.cfg.strict {
		c.fail(task, field, err)
		return
	}
	c.warns = append(c.warns, &DefinitionError{Workflow: c.w.def.Name, Task: task, Field: field, Err: err})
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
	if def.SchemaVersion != 0 && def.SchemaVersion != 1 && def.SchemaVersion != 2 {
		c.fail("", "schemaVersion", fmt.Errorf("%w: schemaVersion %d (Conductor knows 1 and 2)", ErrMalformed, def.SchemaVersion))
	}
	if def.TimeoutSeconds < 0 {
		c.fail("", "timeoutSeconds", fmt.Errorf("%w: negative", ErrMalformed))
	}
	// No tasks is legal, as in Conductor: the run completes at once (see Workflow.run).
	for i, p := range def.InputParameters {
		if p == "" {
			c.fail("", fmt.Sprintf("inputParameters[%d]", i), fmt.Errorf("%w: empty name", ErrMalformed))
		}
	}
	c.w.top = c.list(def.Tasks, "tasks", nil, 0)
	c.w.output = compileParams(c.params(def.OutputParameters, "outputParameters", ""), "outputParameters", func(f string, err error) { c.fail("", f, err) })
	c.w.hasOutput = len(def.OutputParameters) > 0
	if _, err := normalizeMap(def.InputTemplate); err != nil {
		c.fail("", "inputTemplate", fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	if _, err := normalizeMap(def.Variables); err != nil {
		c.fail("", "variables", fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	c.checkRefs()
}

// list compiles a task list and returns its refs.
func (c *compiler) list(tasks []*WorkflowTask, field string, loop *ctask, depth int) []string {
	var refs []string
	for i, wt := range tasks {
		at := place{loc: fmt.Sprintf("%s[%d]", field, i), list: tasks, i: i, loop: loop, depth: depth}
		if wt == nil {
			c.fail("", at.loc, fmt.Errorf("%w: null task", ErrMalformed))
			continue
		}
		if k := c.task(wt, at); k != nil {
			refs = append(refs, k.base().ref)
		}
	}
	return refs
}

// task compiles one task and what it contains: the fields every task has, then its kind's.
func (c *compiler) task(wt *WorkflowTask, at place) kind {
	ref := wt.TaskReferenceName
	if ref == "" {
		c.fail("", at.loc+".taskReferenceName", fmt.Errorf("%w: empty taskReferenceName", ErrMalformed))
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
	k := c.cfg.kindFor(taskType(wt))
	ct := k.base()
	*ct = ctask{wt: wt, ref: ref, name: wt.Name, typ: taskType(wt), ord: c.ord, loop: at.loop, depth: at.depth}
	c.w.tasks[ref] = k
	params := c.params(wt.InputParameters, "inputParameters", ref)
	if td := c.taskDef(ct); td != nil && len(td.InputTemplate) > 0 {
		// Conductor: the task definition's inputTemplate fills in the keys the task lacks.
		params = maps.Clone(params)
		if params == nil {
			params = map[string]any{}
		}
		for k, v := range td.InputTemplate {
			if _, ok := params[k]; !ok {
				params[k] = v
			}
		}
		ct.template, _ = normalizeMap(td.InputTemplate)
	}
	ct.input = compileParams(params, "inputParameters", func(field string, err error) { c.fail(ref, field, err) })
	c.policy(ct)
	k.compile(c, at)
	return k
}

// params returns a parameter map as schemaVersion 2 writes it: under schemaVersion 1, each
// value "source.input.name" or "source.output.name" (source: workflow or a task) is the
// expression ${…} it stands for, as Conductor reads it.
func (c *compiler) params(m map[string]any, field, task string) map[string]any {
	if c.w.def.SchemaVersion != 1 || len(m) == 0 {
		return m
	}
	out := make(map[string]any, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s, _ := m[k].(string)
		parts := strings.Split(s, ".")
		if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
			c.fail(task, field+"."+k, fmt.Errorf("%w: schemaVersion 1 wants \"source.input.name\" or \"source.output.name\", got %s", ErrBadExpression, caseText(m[k])))
			continue
		}
		switch {
		case parts[0] == "workflow":
			out[k] = "${workflow.input." + parts[2] + "}"
		case parts[1] == "input":
			out[k] = "${" + parts[0] + ".input." + parts[2] + "}"
		default:
			out[k] = "${" + parts[0] + ".output." + parts[2] + "}"
		}
	}
	return out
}

// taskDef is the task definition of ct: its inline taskDefinition, else one registered by name.
func (c *compiler) taskDef(ct *ctask) *TaskDef {
	if td := ct.wt.TaskDefinition; td != nil {
		return td
	}
	return c.cfg.taskDefs[ct.name]
}

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

// checkRefs checks every expression's root against the tasks: it must exist and, for a
// task's input, run before the task (inside a loop, any task of the same loop will have run
// in an earlier iteration, and a loop's input may name its body).
func (c *compiler) checkRefs() {
	check := func(ct *ctask, field string, p *path) {
		if p.query == "" && (p.root == "" || p.root == "workflow" || envNames[p.root]) {
			if err := p.checkFields(false); err != nil {
				c.fail(taskRef(ct), field, err)
			}
			return
		}
		if p.query != "" {
			if _, err := p.compiled(c.cfg.jsonPath); err != nil {
				c.fail(taskRef(ct), field, err)
				return
			}
		}
		if p.root == "" {
			return // a query from the document's root ($..x, $[*]): no task to check
		}
		tk, ok := c.w.tasks[p.root]
		if !ok {
			c.warn(taskRef(ct), field, fmt.Errorf("%w: ${%s} names %q, which is not a task of the definition: it is null when it runs, as in Conductor", ErrUnknownRef, p.src, p.root))
			return
		}
		if err := p.checkFields(true); err != nil {
			c.fail(taskRef(ct), field, err)
			return
		}
		target := tk.base()
		if ct == nil {
			return // the run's output is computed once every branch has ended
		}
		if f, i := c.unjoined(target, ct); f != nil {
			c.fail(ct.ref, field, fmt.Errorf("%w: ${%s} names %q, in branch %d of fork %q, which its %s does not wait for (add the branch's last task to joinOn)",
				ErrForwardRef, p.src, p.root, i, f.ref, TypeJoin))
			return
		}
		if target.ord < ct.ord || sameLoop(ct, target) || target == ct && ct.typ == TypeDoWhile {
			return // a DO_WHILE's input may name its own output, evaluated again each iteration
		}
		c.fail(ct.ref, field, fmt.Errorf("%w: ${%s} names %q, which does not run before %q", ErrForwardRef, p.src, p.root, ct.ref))
	}
	tasks := c.sorted()
	for _, k := range tasks {
		k.link(c)
	}
	for _, k := range tasks {
		ct := k.base()
		ct.input.paths(func(field string, p *path) { check(ct, field, p) })
		k.exprs(func(field string, p *path) { check(ct, field, p) })
	}
	c.w.output.paths(func(field string, p *path) { check(nil, field, p) })
}

// unjoined finds a fork with a branch that holds target, that its JOIN does not wait for, and
// that from is not in: from can never see target, whose state reaches the rest of the run only
// when the run ends. It returns that fork and branch, or nil.
func (c *compiler) unjoined(target, from *ctask) (*forkJoinTask, int) {
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
func (c *compiler) sorted() []kind {
	out := make([]kind, 0, len(c.w.tasks))
	for _, k := range c.w.tasks {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].base().ord < out[j].base().ord })
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
