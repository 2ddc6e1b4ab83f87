package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// lambdaTask is a LAMBDA task: it runs inputParameters.scriptExpression, the body of a
// JavaScript function, with $ bound to its resolved input, and outputs {"result": value}. See
// script.go.
type lambdaTask struct {
	ctask
	program Program // when literal; nil: compiled at each run
}

func (t *lambdaTask) compile(c *compiler, _ place) {
	t.program = c.scriptParam(&t.ctask, "scriptExpression", func(ct *ctask, field, src string) Program {
		return c.javascriptProgram(ct, field, lambdaSource(src))
	})
}

func (t *lambdaTask) process(w *Workflow) stageFn {
	return w.scriptStage(&t.ctask, t.program, compileLambda, resultOutput)
}

// lambdaSource wraps a LAMBDA's scriptExpression, a function body, as Conductor does.
func lambdaSource(src string) string { return "function scriptFun(){" + src + "\n}\nscriptFun();" }

// compileLambda compiles the script of a LAMBDA task's input.
func compileLambda(w *Workflow, in map[string]any) (Program, error) {
	src, _ := in["scriptExpression"].(string)
	return w.cfg.js.CompileJavaScript(lambdaSource(src))
}

func (t *lambdaTask) checkDynamic(w *Workflow, _ *WorkflowTask) error {
	if w.cfg.js == nil {
		return fmt.Errorf("%w: %s needs JavaScript", ErrNoEngine, TypeLambda)
	}
	return nil
}

func (t *lambdaTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	v, err := w.runScript(ctx, nil, compileLambda, x.in)
	if err != nil {
		return nil, err
	}
	return x.done(s, slip, resultOutput(v)), nil
}
