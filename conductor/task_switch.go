package conductor

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
)

// switchTask is a SWITCH or DECISION task's stage: it evaluates the case — the input parameter
// named by expression (value-param) or caseValueParam, or a JavaScript expression — and
// revises the slip to run that case's tasks next (the default case when no case matches).
// Its output is {"evaluationResult": [case]} (DECISION: {"caseOutput": [case]}).
func (w *Workflow) switchTask(ct *ctask) stageFn {
	key := "evaluationResult"
	if ct.typ == "DECISION" {
		key = "caseOutput"
	}
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		iter, id, in, err := w.begin(ct, s)
		if err != nil {
			return nil, err
		}
		var v any
		if ct.param != "" {
			v = in[ct.param]
		} else if v, err = w.runProgram(ctx, ct.program, in); err != nil {
			return nil, fmt.Errorf("evaluating the case: %w", err)
		}
		c := caseText(v)
		next, ok := ct.cases[c]
		if !ok {
			next = ct.deflt
		}
		if len(next) > 0 {
			if err := slip.InsertNext(next...); err != nil {
				return nil, baton.Permanent(err)
			}
		}
		return completed(s, slip, ct, id, iter, in, map[string]any{key: []any{c}}), nil
	}
}
