package conductor

// decisionTask is a DECISION task, Conductor's older SWITCH: its case is the input parameter
// named by caseValueParam or, without one, the JavaScript caseExpression; its output is
// {"caseOutput": [case]}. Otherwise it is a SWITCH.
type decisionTask struct{ switchTask }

func (t *decisionTask) compile(c *compiler, at place) {
	wt := t.wt
	if wt.CaseValueParam != "" {
		c.needParam(&t.ctask, "caseValueParam", wt.CaseValueParam)
		t.param = wt.CaseValueParam
	} else {
		t.program = c.javascript(&t.ctask, "caseExpression", wt.CaseExpression)
	}
	t.key = "caseOutput"
	t.compileCases(c, at)
}
