package conductor

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton"
)

// This file holds what the kinds that run JavaScript or jq share: compiling their programs at
// load (JavaScript for SWITCH, DECISION and DO_WHILE conditions too), compiling those built
// with expressions at run time, and running them within the script time limit. The script
// tasks themselves — INLINE, LAMBDA and JSON_JQ_TRANSFORM, which run a program on their
// resolved input — are in their own files. A program given literally is compiled at load; one
// built with expressions is compiled at each run. Programs run within WithScriptTimeout and
// fail permanently (no retry).

// scriptParam compiles the script in input parameter name when it is literal; one built
// with expressions is compiled when the task runs.
func (c *compiler) scriptParam(ct *ctask, name string, compile func(*ctask, string, string) Program) Program {
	field := "inputParameters." + name
	v, ok := ct.wt.InputParameters[name]
	src, isStr := v.(string)
	if !ok || !isStr || src == "" {
		c.fail(ct.ref, field, fmt.Errorf("%w: a non-empty string is required for %s", ErrMalformed, ct.typ))
		return nil
	}
	if tm, err := parseTemplate(src); err == nil {
		if _, literal := tm.literal(); !literal {
			// Built at run time: only the engine's presence can be checked now.
			compile(ct, field, "")
			return nil
		}
	}
	return compile(ct, field, src)
}

// javascript compiles the JavaScript src of field, which is required.
func (c *compiler) javascript(ct *ctask, field, src string) Program {
	if src == "" {
		c.fail(ct.ref, field, fmt.Errorf("%w: required for %s", ErrMalformed, ct.typ))
		return nil
	}
	return c.javascriptProgram(ct, field, src)
}

// javascriptProgram compiles src ("" checks only that there is an engine).
func (c *compiler) javascriptProgram(ct *ctask, field, src string) Program {
	if c.cfg.js == nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %s needs JavaScript", ErrNoEngine, ct.typ))
		return nil
	}
	if src == "" {
		return nil
	}
	p, err := c.cfg.js.CompileJavaScript(src)
	if err != nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %w", ErrBadExpression, err))
	}
	return p
}

// jqProgram compiles the jq program src ("" checks only that there is an engine).
func (c *compiler) jqProgram(ct *ctask, field, src string) Program {
	if c.cfg.jq == nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %s needs jq", ErrNoEngine, ct.typ))
		return nil
	}
	if src == "" {
		return nil
	}
	p, err := c.cfg.jq.CompileJQ(src)
	if err != nil {
		c.fail(ct.ref, field, fmt.Errorf("%w: %w", ErrBadExpression, err))
	}
	return p
}

// sourceOf compiles the program a script task's resolved input holds.
type sourceOf func(w *Workflow, in map[string]any) (Program, error)

// scriptStage is the stage of a script task: it runs prog (nil: the program compiled from its
// input by compile) on its resolved input, and outputs what output makes of the result.
func (w *Workflow) scriptStage(ct *ctask, prog Program, compile sourceOf, output func(any) map[string]any) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		v, err := w.runScript(ctx, prog, compile, x.in)
		if err != nil {
			return nil, err
		}
		return x.done(s, slip, output(v)), nil
	}
}

// runScript runs prog (nil: the program compiled from in by compile) on in.
func (w *Workflow) runScript(ctx context.Context, prog Program, compile sourceOf, in map[string]any) (any, error) {
	if prog == nil {
		var err error
		if prog, err = compile(w, in); err != nil {
			return nil, baton.Permanent(fmt.Errorf("%w: %w", ErrBadExpression, err))
		}
	}
	return w.runProgram(ctx, prog, in)
}

// resultOutput is the output of a JavaScript task whose program returned v.
func resultOutput(v any) map[string]any { return map[string]any{"result": v} }

// runProgram runs a script or jq program on a copy of input within the script time limit.
// Its errors are permanent; running out of time is ErrLimit.
func (w *Workflow) runProgram(ctx context.Context, p Program, input any) (any, error) {
	sctx, cancel := context.WithTimeout(ctx, w.cfg.scriptTimeout)
	defer cancel()
	v, err := p.Run(sctx, deepCopy(input))
	if err != nil {
		if ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrLimit) {
			err = fmt.Errorf("%w: script ran longer than %v: %w", ErrLimit, w.cfg.scriptTimeout, err)
		}
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, baton.Permanent(err)
	}
	v, err = normalize(v)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	if !fitsJSON(v, w.cfg.maxOutput) {
		return nil, baton.Permanent(fmt.Errorf("%w: output larger than %d bytes of JSON (WithMaxOutputSize)", ErrLimit, w.cfg.maxOutput))
	}
	return v, nil
}

// fitsJSON reports whether v takes at most limit bytes as JSON, counting strings as their
// length plus quotes (escapes not counted) and stopping as soon as it is over.
func fitsJSON(v any, limit int) bool {
	n := 0
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			n += len(v) + 2
		case map[string]any:
			n += 2
			for k, x := range v {
				n += len(k) + 4
				if n > limit || !walk(x) {
					return false
				}
			}
		case []any:
			n += 2
			for _, x := range v {
				n++
				if n > limit || !walk(x) {
					return false
				}
			}
		default:
			n += 8 // a number, a bool or null: a few bytes
		}
		return n <= limit
	}
	return walk(v)
}
