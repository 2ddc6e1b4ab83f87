package conductor

import (
	"context"
	"fmt"
	"sort"

	"github.com/baton-go/baton"
)

// switchTask is a SWITCH task: it evaluates the case — the input parameter named by expression
// (evaluatorType value-param), or the JavaScript expression (javascript, graaljs) — and revises
// the slip to run that case's tasks next (the default case when no case matches). Its output
// is {"evaluationResult": [case]}. DECISION is a switchTask too (see decisionTask).
type switchTask struct {
	ctask
	param   string              // the input parameter holding the case, or "" ...
	program Program             // ... the JavaScript computing it
	cases   map[string][]string // the refs of each case's tasks
	deflt   []string            // the default case's
	key     string              // of the output: "evaluationResult" (DECISION: "caseOutput")
}

func (t *switchTask) compile(c *compiler, at place) {
	wt := t.wt
	switch wt.EvaluatorType {
	case "value-param":
		c.needParam(&t.ctask, "expression", wt.Expression)
		t.param = wt.Expression
	case "javascript", "graaljs":
		t.program = c.javascript(&t.ctask, "expression", wt.Expression)
	default:
		c.fail(t.ref, "evaluatorType", unsupported(fmt.Sprintf("%s evaluatorType %q (supported: value-param, javascript, graaljs)", t.typ, wt.EvaluatorType), ErrMalformed))
	}
	t.key = "evaluationResult"
	t.compileCases(c, at)
}

// compileCases compiles the tasks of each case, in the order of their names.
func (t *switchTask) compileCases(c *compiler, at place) {
	wt := t.wt
	t.cases = map[string][]string{}
	keys := make([]string, 0, len(wt.DecisionCases))
	for k := range wt.DecisionCases {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a deterministic walk, so errors and ordinals do not vary
	for _, k := range keys {
		t.cases[k] = c.list(wt.DecisionCases[k], t.ref+".decisionCases."+k, at.loop, at.depth)
	}
	t.deflt = c.list(wt.DefaultCase, t.ref+".defaultCase", at.loop, at.depth)
}

func (t *switchTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		var v any
		if t.param != "" {
			v = x.in[t.param]
		} else if v, err = w.runProgram(ctx, t.program, x.in); err != nil {
			return nil, fmt.Errorf("evaluating the case: %w", err)
		}
		c := caseText(v)
		next, ok := t.cases[c]
		if !ok {
			next = t.deflt
		}
		x.addInput("case", c) // as Conductor records it
		if len(next) > 0 {
			if err := slip.InsertNext(next...); err != nil {
				return nil, baton.Permanent(err)
			}
			x.addInput("hasChildren", "true")
		}
		out := map[string]any{t.key: []any{c}}
		if t.typ == TypeSwitch {
			out["selectedCase"] = c
		}
		return x.done(s, slip, out), nil
	}
}
