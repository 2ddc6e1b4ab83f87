package conductor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// The tasks of a dynamic fork (FORK_JOIN_DYNAMIC) are known only when it runs, so they cannot
// have stages of their own: each runs in the hidden stage dynamicStage, which carries out the
// task's policies itself (see dynamicStep), and what its kind does there (kind.checkDynamic,
// kind.runDynamic).

// dynamicStage is the name of the hidden stage that runs the tasks of dynamic forks.
const dynamicStage = "~dynamic"

// dynPolicy is the policy of a task of a dynamic fork, from its task definition (inline, or
// registered by its name), its retryCount and its optional flag.
type dynPolicy struct {
	retry     baton.RetryPolicy
	timeout   time.Duration
	optional  bool
	timeoutWF bool
}

func (w *Workflow) dynamicPolicy(t *WorkflowTask) (dynPolicy, error) {
	td := t.TaskDefinition
	if td == nil {
		td = w.cfg.taskDefs[t.Name]
	}
	pol, timeout, err := retryPolicy(td, t.RetryCount, time.Second)
	return dynPolicy{retry: pol, timeout: timeout, optional: t.Optional, timeoutWF: timesOutWorkflow(td)}, err
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
	if _, err := w.dynamicPolicy(t); err != nil {
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

// attemptTimeout is the error of an attempt of a dynamic fork's task that ran out of its
// timeoutSeconds. It matches baton.ErrTimeout and context.DeadlineExceeded, as Baton's own.
type attemptTimeout struct{ d time.Duration }

func (e *attemptTimeout) Error() string {
	return fmt.Sprintf("attempt timed out after %v (timeoutSeconds)", e.d)
}

func (e *attemptTimeout) Is(target error) bool {
	return target == baton.ErrTimeout || target == context.DeadlineExceeded
}

// dynamicStep is the hidden stage that runs one task of a dynamic fork, described by the
// branch's state. It carries out the task's policy as a stage of its own would have it: Baton
// retries the stage for as long as it returns a retryable error, so the stage makes each
// attempt under the task's timeoutSeconds, waits the task's backoff after a failed one, and
// makes its last failure permanent — or, for an optional task, records it as
// COMPLETED_WITH_ERRORS and succeeds. Attempts are counted by Baton, as for any stage.
func (w *Workflow) dynamicStep(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
	t := s.dyn
	if t == nil {
		return nil, baton.Permanent(fmt.Errorf("conductor: internal error: dynamic stage without a task"))
	}
	pol, err := w.dynamicPolicy(t)
	if err != nil {
		return nil, baton.Permanent(err) // checked when the fork started: not reached
	}
	id := taskID(s, t.TaskReferenceName, s.dynIter)
	in, err := w.dynamicInput(s, id)
	if err == nil {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if pol.timeout > 0 {
			actx, cancel = context.WithTimeoutCause(ctx, pol.timeout, &attemptTimeout{pol.timeout})
		}
		var n *state
		n, err = w.runDynamic(actx, s, slip, t, id, in)
		if err == nil {
			cancel()
			return n, nil
		}
		if cause := context.Cause(actx); ctx.Err() == nil && errors.Is(cause, baton.ErrTimeout) && !errors.Is(err, baton.ErrTimeout) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		cancel()
		if ctx.Err() != nil {
			return nil, err // the run is stopping: Baton stops the message
		}
		if attempt := slip.Attempt(); attempt < pol.retry.MaxAttempts && !baton.IsPermanent(err) {
			// The task's backoff; Baton makes the next attempt at once (or stops, when ctx ended).
			_ = sleep(ctx, pol.retry.Backoff(attempt, rand.Float64()))
			return nil, err
		}
	} else {
		err = baton.Permanent(err)
	}
	if pol.optional {
		ts := &taskState{
			ref: t.TaskReferenceName, name: t.Name, typ: taskType(t), taskID: id, status: TaskCompletedWithErrors,
			input: in, output: map[string]any{}, iteration: s.dynIter, reason: err.Error(), err: err,
		}
		return s.withTask(ts, slip.Hops()), nil
	}
	return nil, baton.Permanent(err)
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
