package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// scriptTask is the stage of INLINE, LAMBDA and JSON_JQ_TRANSFORM tasks, which run a program
// on their resolved input:
//
//   - INLINE: inputParameters.expression, JavaScript (evaluatorType javascript or graaljs)
//     with $ bound to the input, or value-param (the input parameter it names); output
//     {"result": value};
//   - LAMBDA: inputParameters.scriptExpression, the body of a JavaScript function, with $
//     bound to the input; output {"result": value};
//   - JSON_JQ_TRANSFORM: inputParameters.queryExpression, jq run on the input; output
//     {"result": first result, "resultList": [all results]}.
//
// A program given literally is compiled at load; one built with expressions is compiled at
// each run. Programs run within WithScriptTimeout and fail permanently (no retry).
func (w *Workflow) scriptTask(ct *ctask) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		if ct.typ == "INLINE" && ct.inline == "value-param" {
			name, _ := in["expression"].(string)
			out := map[string]any{"result": deepCopy(in[name])}
			return completed(s, slip, ct, id, iter, in, out), nil
		}
		prog := ct.program
		if prog == nil {
			if prog, err = w.compileAtRun(ct, in); err != nil {
				return nil, baton.Permanent(err)
			}
		}
		v, err := w.runProgram(ctx, prog, in)
		if err != nil {
			return nil, err
		}
		return completed(s, slip, ct, id, iter, in, scriptOutput(ct.typ, v)), nil
	}
}

// scriptOutput is the output of a script task whose program returned v.
func scriptOutput(typ string, v any) map[string]any {
	if typ != "JSON_JQ_TRANSFORM" {
		return map[string]any{"result": v}
	}
	list, _ := v.([]any)
	out := map[string]any{"result": nil, "resultList": list}
	if len(list) > 0 {
		out["result"] = list[0]
	}
	return out
}

// compileAtRun compiles a program whose source was built by expressions.
func (w *Workflow) compileAtRun(ct *ctask, in map[string]any) (Program, error) {
	var p Program
	var err error
	switch ct.typ {
	case "INLINE":
		src, _ := in["expression"].(string)
		p, err = w.cfg.js.CompileJavaScript(src)
	case "LAMBDA":
		src, _ := in["scriptExpression"].(string)
		p, err = w.cfg.js.CompileJavaScript(lambdaSource(src))
	default:
		src, _ := in["queryExpression"].(string)
		p, err = w.cfg.jq.CompileJQ(src)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadExpression, err)
	}
	return p, nil
}
