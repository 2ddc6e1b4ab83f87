package conductor

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"github.com/baton-go/baton"
)

// forkJoinDynamicTask is a FORK_JOIN_DYNAMIC task: the input parameter dynamicForkTasksParam
// holds a list of task definitions, and dynamicForkTasksInputParamName a map from their
// reference names to their inputs. The list is checked first (types, fields, engines,
// policies: see dynamicTasks); then each task runs as a branch of its own, as in FORK_JOIN, a
// step of the hidden stage dynamicStage one fork level down with its task definition's policy
// (see dynamic.go). The fork waits for them all; the JOIN that follows outputs them all.
type forkJoinDynamicTask struct {
	ctask
	join *joinTask // its JOIN
}

func (t *forkJoinDynamicTask) compile(c *compiler, at place) {
	_, simple := t.wt.InputParameters["forkTaskInputs"]
	switch {
	case simple:
		// The simple form: forkTaskName or forkTaskWorkflow, and forkTaskInputs (see
		// simpleForks), which Conductor tries first, whatever dynamicForkTasksParam says.
	case t.wt.DynamicForkTasksParam == "" && t.wt.DynamicForkJoinTasksParam != "":
		c.fail(t.ref, "dynamicForkJoinTasksParam", unsupported("dynamicForkJoinTasksParam (the legacy dynamic fork; use dynamicForkTasksParam or forkTaskInputs)"))
	default:
		c.needParam(&t.ctask, "dynamicForkTasksParam", t.wt.DynamicForkTasksParam)
		c.needParam(&t.ctask, "dynamicForkTasksInputParamName", t.wt.DynamicForkTasksInputParamName)
	}
	c.w.depth = max(c.w.depth, at.depth+1)
	c.followedByJoin(&t.ctask, at)
}

// hiddenStages adds the stage that runs the forked tasks, one level down, once for all the
// dynamic forks of a level. Its own policy is the default: each task's step has its own (see
// planOf).
func (t *forkJoinDynamicTask) hiddenStages(w *Workflow, b *stageSet) {
	b.share(t.depth+1, dynamicStage, w.dynamicStep)
}

func (t *forkJoinDynamicTask) process(w *Workflow) stageFn {
	param, inputParam := t.wt.DynamicForkTasksParam, t.wt.DynamicForkTasksInputParamName
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		list, inputs, field, ok := t.simpleForks(s, x.in)
		if !ok {
			list, field = x.in[param], param
			in, isMap := x.in[inputParam].(map[string]any)
			if !isMap {
				// Conductor fails the run: the inputs must be a map.
				return nil, unscheduled(fmt.Errorf("%s: %w: Input to the dynamically forked tasks is not a map -> expecting a map of K,V  but found %s",
					inputParam, ErrMalformed, caseText(x.in[inputParam])))
			}
			inputs = in
		}
		tasks, err := w.dynamicTasks(list)
		if err != nil {
			return nil, baton.Permanent(fmt.Errorf("%s: %w", field, err))
		}
		branches := make([]*state, len(tasks))
		refs := make([]any, len(tasks))
		for i, dt := range tasks {
			b := s.branch([]string{dynamicStage}, t.depth+1)
			b.dyn, b.dynIter = dt, x.iter
			b.dynPol, _, _ = w.dynamicPolicy(dt) // checked by dynamicTasks
			switch in := inputs[dt.TaskReferenceName].(type) {
			case nil:
			case map[string]any:
				b.dynIn = in
			default:
				// Conductor: "Tasks could not be dynamically forked due to invalid input".
				return nil, unscheduled(fmt.Errorf("%s: %w: Tasks could not be dynamically forked due to invalid input: the input of forked task %q is not a map: %s",
					inputParam, ErrMalformed, dt.TaskReferenceName, caseText(in)))
			}
			branches[i] = b
			refs[i] = dt.TaskReferenceName
		}
		x.addInput("forkedTasks", refs) // as Conductor records it
		out := map[string]any{"forkedTasks": refs}
		n, err := w.fork(ctx, x.done(s, slip, out), slip, branches, nil)
		return n, forkFailed(err, &x, out, t.join, refs)
	}
}

// simpleForks reads the simple form of a dynamic fork, as Conductor does when the input has a
// list forkTaskInputs: one task per item, named forkTaskName (default: the fork's reference
// name; forkTaskType's when that is given alone) of type forkTaskType (default SIMPLE), or a
// SUB_WORKFLOW of forkTaskWorkflow (version forkTaskWorkflowVersion); reference names
// "_name_i" ("_fork_name_i" after the run's first dynamic fork); each input the item (an item
// that is not an object under "input") with "__index": i. It returns the tasks as a list to
// decode, their inputs, and the field they come from; ok is false when the input is not of
// that form.
func (t *forkJoinDynamicTask) simpleForks(s *state, in map[string]any) (list any, inputs map[string]any, field string, ok bool) {
	items, isList := in["forkTaskInputs"].([]any)
	if !isList {
		return nil, nil, "", false
	}
	name, _ := in["forkTaskName"].(string)
	typ, _ := in["forkTaskType"].(string)
	sub, _ := in["forkTaskWorkflow"].(string)
	if name == "" && typ != "" && typ != TypeSimple {
		name = typ
	}
	if name == "" {
		name = t.ref
	}
	if typ == "" {
		typ = TypeSimple
	}
	prefix := "_"
	for _, ts := range s.tasks {
		if ts.typ == TypeForkJoinDynamic && ts.ref != t.ref {
			prefix = "_" + t.ref + "_" // Conductor: after the run's first dynamic fork
			break
		}
	}
	tasks := make([]any, len(items))
	inputs = make(map[string]any, len(items))
	for i, item := range items {
		ref := prefix + name + "_" + strconv.Itoa(i)
		task := map[string]any{"name": name, "taskReferenceName": ref, "type": typ, "optional": t.wt.Optional}
		if sub != "" {
			sp := map[string]any{"name": sub}
			if v, err := strconv.Atoi(fmt.Sprint(in["forkTaskWorkflowVersion"])); err == nil {
				sp["version"] = v
			}
			task["name"], task["type"], task["subWorkflowParam"] = sub, TypeSubWorkflow, sp
		}
		input := map[string]any{}
		if m, isMap := item.(map[string]any); isMap {
			maps.Copy(input, m)
		} else {
			input["input"] = item
		}
		input["__index"] = float64(i)
		tasks[i], inputs[ref] = task, input
	}
	return tasks, inputs, "forkTaskInputs", true
}

// checkJoin: the JOIN waits for every forked task, whatever its joinOn says (as in Conductor,
// which replaces it), so that joinOn is not checked.
func (t *forkJoinDynamicTask) checkJoin(_ *compiler, j *joinTask) { t.join = j }

// joinedTasks: the JOIN outputs the forked tasks.
func (t *forkJoinDynamicTask) joinedTasks(s *state, _ []string) []string {
	var refs []string
	if f, ok := s.tasks[t.ref]; ok {
		forked, _ := f.output["forkedTasks"].([]any)
		for _, r := range forked {
			refs = append(refs, r.(string))
		}
	}
	return refs
}
