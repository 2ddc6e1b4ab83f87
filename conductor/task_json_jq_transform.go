package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// jqTransformTask is a JSON_JQ_TRANSFORM task: it runs the jq program
// inputParameters.queryExpression on its resolved input, and outputs {"result": first result,
// "resultList": [all results]}. See script.go.
type jqTransformTask struct {
	ctask
	program Program // when literal; nil: compiled at each run
}

func (t *jqTransformTask) compile(c *compiler, _ place) {
	t.program = c.scriptParam(&t.ctask, "queryExpression", c.jqProgram)
}

func (t *jqTransformTask) process(w *Workflow) stageFn {
	return w.scriptStage(&t.ctask, t.program, compileJQ, jqOutput)
}

// compileJQ compiles the program of a JSON_JQ_TRANSFORM task's input.
func compileJQ(w *Workflow, in map[string]any) (Program, error) {
	src, _ := in["queryExpression"].(string)
	return w.cfg.jq.CompileJQ(src)
}

// jqOutput is the output of a JSON_JQ_TRANSFORM task whose program returned v, the list of
// its results.
func jqOutput(v any) map[string]any {
	list, _ := v.([]any)
	out := map[string]any{"result": nil, "resultList": list}
	if len(list) > 0 {
		out["result"] = list[0]
	}
	return out
}

func (t *jqTransformTask) checkDynamic(w *Workflow, _ *WorkflowTask) error {
	if w.cfg.jq == nil {
		return fmt.Errorf("%w: %s needs jq", ErrNoEngine, TypeJSONJQTransform)
	}
	return nil
}

func (t *jqTransformTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	v, err := w.runScript(ctx, nil, compileJQ, x.in)
	if err != nil {
		return nil, err
	}
	return x.done(s, slip, jqOutput(v)), nil
}
