package conductor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// The tasks of a dynamic fork (FORK_JOIN_DYNAMIC) are known only when it runs, so they cannot
// have stages of their own: each runs as a step of the hidden stage dynamicStage, with a policy
// of its own (baton.StepPolicy: its task definition's retries and timeout, its optional flag),
// which Baton carries out as for any step (see planOf); what its kind does there is
// kind.checkDynamic and kind.runDynamic.
//
// Their events and stats are the stage's, "~dynamic", as for any step at a stage: a task name of
// a dynamic fork comes from the workflow's input, so naming counters or events by it would give
// them an unbounded set of names. The task's own name and reference are in its log entry
// (TaskRun) and its TaskError.

// dynamicStage is the name of the hidden stage that runs the tasks of dynamic forks.
const dynamicStage = "~dynamic"

// dynamicPolicy is the policy of the step of a task of a dynamic fork, from its task definition
// (inline, or registered by its name), its retryCount and its optional flag, and whether its
// timeout times the workflow out.
func (w *Workflow) dynamicPolicy(t *WorkflowTask) (pol baton.StepPolicy, timeoutWF bool, err error) {
	td := t.TaskDefinition
	if td == nil {
		td = w.cfg.taskDefs[t.Name]
	}
	retry, timeout, err := retryPolicy(td, t.RetryCount, time.Second)
	pol = baton.StepPolicy{Retry: retry, AttemptTimeout: timeout, Optional: t.Optional}
	return pol, timesOutWorkflow(td), err
}

// dynamicTasks decodes and checks the task list of a dynamic fork: everything that can be
// checked before any of them runs is, so that a bad list fails the fork and starts nothing.
func (w *Workflow) dynamicTasks(v any) ([]*WorkflowTask, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: want a list of tasks, got %s", ErrMalformed, caseText(v))
	}
	if len(list) > w.cfg.maxForkWidth {
		return nil, fmt.Errorf("%w: a dynamic fork of %d tasks (WithMaxForkWidth: %d)", ErrLimit, len(list), w.cfg.maxForkWidth)
	}
	data, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	var tasks []*WorkflowTask
	if err := json.Unmarshal(data, &tasks); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	seen := map[string]bool{}
	for i, t := range tasks {
		switch {
		case t == nil || t.TaskReferenceName == "":
			return nil, fmt.Errorf("%w: task %d has no taskReferenceName", ErrMalformed, i)
		case seen[t.TaskReferenceName] || w.tasks[t.TaskReferenceName] != nil:
			return nil, fmt.Errorf("%w %q", ErrDuplicateRef, t.TaskReferenceName)
		}
		seen[t.TaskReferenceName] = true
		if err := w.checkDynamic(t); err != nil {
			return nil, fmt.Errorf("task %q: %w", t.TaskReferenceName, err)
		}
	}
	return tasks, nil
}

// checkDynamic checks one task of a dynamic fork: its type, the fields its type needs, the
// engine it needs (its kind's checkDynamic), its policy and its input's expressions.
func (w *Workflow) checkDynamic(t *WorkflowTask) error {
	typ := taskType(t)
	k, ok := w.cfg.prototype(typ)
	if !ok {
		return fmt.Errorf("%w %q (supported in a dynamic fork: %s, and the types given a handler with WithTaskHandler)", ErrUnknownTaskType, typ, strings.Join(dynamicTypes, ", "))
	}
	if err := k.checkDynamic(w, t); err != nil {
		return err
	}
	if _, _, err := w.dynamicPolicy(t); err != nil {
		return err
	}
	var errs []error
	compileParams(t.InputParameters, "inputParameters", func(field string, err error) {
		errs = append(errs, fmt.Errorf("%s: %w", field, err))
	})
	return errors.Join(errs...)
}

// dynamicInput is the input of a task of a dynamic fork, as in Conductor: its own
// inputParameters, resolved on the branch's state, overlaid with its entry of the fork's
// dynamicForkTasksInputParamName map.
func (w *Workflow) dynamicInput(s *state, id string) (map[string]any, error) {
	t := s.dyn
	in := map[string]any{}
	if len(t.InputParameters) > 0 {
		var errs []error
		m := compileParams(t.InputParameters, "inputParameters", func(field string, err error) {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		})
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		v, err := m.eval(&resolver{s: s, taskID: id, strict: w.cfg.strict})
		if err != nil {
			return nil, fmt.Errorf("inputParameters: %w", err)
		}
		in = v.(map[string]any)
	}
	maps.Copy(in, deepCopy(s.dynIn).(map[string]any))
	return in, nil
}

// dynamicStep is one attempt of the task of a dynamic fork that the branch's state describes,
// in the hidden stage dynamicStage: Baton makes the attempts its policy says (see planOf).
func (w *Workflow) dynamicStep(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
	t := s.dyn
	if t == nil {
		return nil, baton.Permanent(fmt.Errorf("conductor: internal error: dynamic stage without a task"))
	}
	id := taskID(s, t.TaskReferenceName, s.dynIter)
	in, err := w.dynamicInput(s, id)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	return w.runDynamic(ctx, s, slip, t, id, in)
}

// runDynamic makes one attempt of task t of a dynamic fork on its input, as its kind does
// (kind.runDynamic), and returns the branch's state with its execution recorded.
func (w *Workflow) runDynamic(ctx context.Context, s *state, slip *baton.Slip, t *WorkflowTask, id string, in map[string]any) (*state, error) {
	typ := taskType(t)
	k, ok := w.cfg.prototype(typ)
	if !ok {
		return nil, baton.Permanent(fmt.Errorf("%w %q", ErrUnknownTaskType, typ)) // checked when the fork started
	}
	x := &execution{ref: t.TaskReferenceName, name: t.Name, typ: typ, id: id, iter: s.dynIter, in: in}
	return k.runDynamic(ctx, w, s, slip, t, x)
}
