package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// simpleTask is a SIMPLE task: it calls the worker registered for the task's name (or echoes,
// under WithEcho) with the resolved input, and outputs what the worker returns.
type simpleTask struct{ ctask }

func (t *simpleTask) compile(c *compiler, _ place) {
	if t.name == "" {
		c.fail(t.ref, "name", fmt.Errorf("%w: a %s task needs a name", ErrMalformed, TypeSimple))
	} else if _, ok := c.cfg.workers[t.name]; !ok && !c.cfg.echo {
		c.fail(t.ref, "name", fmt.Errorf("%w for task name %q", ErrNoWorker, t.name))
	}
}

func (t *simpleTask) process(w *Workflow) stageFn {
	worker := w.cfg.workers[t.name] // nil only under WithEcho: checked at load
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		out, err := callWorker(ctx, worker, x.in)
		if err != nil {
			return nil, err
		}
		return x.done(s, slip, out), nil
	}
}

func (t *simpleTask) checkDynamic(_ *Workflow, wt *WorkflowTask) error {
	if wt.Name == "" {
		return fmt.Errorf("%w: a %s task needs a name", ErrMalformed, TypeSimple)
	}
	return nil
}

func (t *simpleTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	worker, err := w.worker(x.name)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	out, err := callWorker(ctx, worker, x.in)
	if err != nil {
		return nil, err
	}
	return x.done(s, slip, out), nil
}

// worker finds the worker of a task name known only at run time (nil: echo).
func (w *Workflow) worker(name string) (Worker, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty task name", ErrNoWorker)
	}
	if fn, ok := w.cfg.workers[name]; ok {
		return fn, nil
	}
	if w.cfg.echo {
		return nil, nil
	}
	return nil, fmt.Errorf("%w for task name %q", ErrNoWorker, name)
}
