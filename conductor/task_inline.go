package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// inlineTask is an INLINE task: it evaluates inputParameters.expression, JavaScript
// (evaluatorType javascript or graaljs) with $ bound to its resolved input, or value-param (the
// input parameter it names), and outputs {"result": value}. See script.go.
type inlineTask struct {
	ctask
	evaluator string  // evaluatorType, as the definition gives it
	program   Program // the JavaScript, when literal; nil: compiled at each run
}

func (t *inlineTask) compile(c *compiler, _ place) {
	et, _ := t.wt.InputParameters["evaluatorType"].(string)
	t.evaluator = et
	switch et {
	case "value-param":
		if e, _ := t.wt.InputParameters["expression"].(string); e == "" {
			c.fail(t.ref, "inputParameters.expression", fmt.Errorf("%w: required for %s", ErrMalformed, TypeInline))
		}
	case "javascript", "graaljs":
		t.program = c.scriptParam(&t.ctask, "expression", c.javascriptProgram)
	default:
		c.fail(t.ref, "inputParameters.evaluatorType", unsupported(fmt.Sprintf("%s evaluatorType %q (supported: javascript, graaljs, value-param)", TypeInline, et), ErrMalformed))
	}
}

func (t *inlineTask) process(w *Workflow) stageFn {
	if t.evaluator != "value-param" {
		return w.scriptStage(&t.ctask, t.program, compileInline, resultOutput)
	}
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return x.done(s, slip, valueParam(x.in)), nil
	}
}

// compileInline compiles the JavaScript of an INLINE task's input.
func compileInline(w *Workflow, in map[string]any) (Program, error) {
	src, _ := in["expression"].(string)
	return w.cfg.js.CompileJavaScript(src)
}

// valueParam is the output of an INLINE task with evaluatorType value-param: the value of the
// input parameter its expression names.
func valueParam(in map[string]any) map[string]any {
	name, _ := in["expression"].(string)
	return map[string]any{"result": deepCopy(in[name])}
}

// checkDynamic: a task of a dynamic fork has its evaluatorType in its input, complete only at
// run time; value-param needs no engine.
func (t *inlineTask) checkDynamic(w *Workflow, wt *WorkflowTask) error {
	if w.cfg.js == nil && wt.InputParameters["evaluatorType"] != "value-param" {
		return fmt.Errorf("%w: %s needs JavaScript", ErrNoEngine, TypeInline)
	}
	return nil
}

func (t *inlineTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	switch et, _ := x.in["evaluatorType"].(string); et {
	case "value-param":
		return x.done(s, slip, valueParam(x.in)), nil
	case "javascript", "graaljs":
		if w.cfg.js == nil {
			return nil, baton.Permanent(fmt.Errorf("%w: %s needs JavaScript", ErrNoEngine, TypeInline))
		}
	default:
		return nil, baton.Permanent(fmt.Errorf("%w: evaluatorType %q (want javascript, graaljs or value-param)", ErrMalformed, et))
	}
	v, err := w.runScript(ctx, nil, compileInline, x.in)
	if err != nil {
		return nil, err
	}
	return x.done(s, slip, resultOutput(v)), nil
}
