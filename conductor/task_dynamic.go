package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// dynamicTask is a DYNAMIC task: a SIMPLE task whose worker's name is the value of the input
// parameter dynamicTaskNameParam, known only when the task runs. It is recorded as a SIMPLE
// task of that name.
type dynamicTask struct {
	ctask
	param string // dynamicTaskNameParam
}

func (t *dynamicTask) compile(c *compiler, _ place) {
	c.needParam(&t.ctask, "dynamicTaskNameParam", t.wt.DynamicTaskNameParam)
	t.param = t.wt.DynamicTaskNameParam
}

func (t *dynamicTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		name, _ := x.in[t.param].(string)
		worker, err := w.worker(name)
		if err != nil {
			return nil, baton.Permanent(fmt.Errorf("%s %q: %w", t.param, name, err))
		}
		out, err := callWorker(ctx, worker, x.in)
		if err != nil {
			return nil, err
		}
		x.name, x.typ = name, TypeSimple
		return x.done(s, slip, out), nil
	}
}

func (t *dynamicTask) checkDynamic(_ *Workflow, wt *WorkflowTask) error {
	if wt.DynamicTaskNameParam == "" {
		return fmt.Errorf("%w: dynamicTaskNameParam is required for %s", ErrMalformed, TypeDynamic)
	}
	return nil
}

func (t *dynamicTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, wt *WorkflowTask, x *execution) (*state, error) {
	x.name, _ = x.in[wt.DynamicTaskNameParam].(string)
	x.typ = TypeSimple
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
