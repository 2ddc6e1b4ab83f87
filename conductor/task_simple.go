package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// simpleTask is a SIMPLE task's stage: call the worker registered for the task's name (or
// echo, under WithEcho) with the resolved input and record its output.
func (w *Workflow) simpleTask(ct *ctask) stageFn {
	worker := w.cfg.workers[ct.name] // nil only under WithEcho: checked at load
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		out, err := callWorker(ctx, worker, in)
		if err != nil {
			return nil, err
		}
		return completed(s, slip, ct, id, iter, in, out), nil
	}
}

// dynamicNameTask is a DYNAMIC task's stage: the worker's name is the value of the input
// parameter dynamicTaskNameParam, known only when the task runs.
func (w *Workflow) dynamicNameTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		name, _ := in[ct.param].(string)
		worker, err := w.worker(name)
		if err != nil {
			return nil, baton.Permanent(fmt.Errorf("%s %q: %w", ct.param, name, err))
		}
		out, err := callWorker(ctx, worker, in)
		if err != nil {
			return nil, err
		}
		return s.withTask(&taskState{
			ref: ct.ref, name: name, typ: "SIMPLE", taskID: id, status: TaskCompleted,
			input: in, output: out, iteration: iter,
		}, slip.Hops()), nil
	}
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
