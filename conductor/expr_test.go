package conductor

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exprState is a state with a workflow input, variables and two tasks, for expression tests.
func exprState() *state {
	return &state{
		run: &runInfo{
			workflowID: "wf-1", correlationID: "corr", created: time.UnixMilli(1000),
			input: map[string]any{
				"name": "cat", "n": float64(5), "half": 0.5, "ok": true, "nothing": nil,
				"list": []any{"a", "b", map[string]any{"deep": "x"}},
				"key":  "name", "which": "list",
				"nested": map[string]any{"a": map[string]any{"b": []any{float64(1), float64(2)}}, "dot.key": "dotted"},
			},
		},
		vars: map[string]any{"counter": float64(3)},
		tasks: map[string]*taskState{
			"t1": {ref: "t1", name: "task_1", typ: "SIMPLE", taskID: "wf-1/t1", status: TaskCompleted, scheduled: 6, started: 7, ended: 9,
				input:  map[string]any{"p": "in"},
				output: map[string]any{"op": "done", "list": []any{float64(10), float64(20)}, "obj": map[string]any{"k": "v"}}},
		},
	}
}

func TestExpressions(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"literal", "plain", "plain"},
		{"string", "${workflow.input.name}", "cat"},
		{"number keeps type", "${workflow.input.n}", float64(5)},
		{"float", "${workflow.input.half}", 0.5},
		{"bool keeps type", "${workflow.input.ok}", true},
		{"explicit null", "${workflow.input.nothing}", nil},
		{"object keeps type", "${t1.output.obj}", map[string]any{"k": "v"}},
		{"array keeps type", "${t1.output.list}", []any{float64(10), float64(20)}},
		{"array index", "${t1.output.list[1]}", float64(20)},
		{"negative index", "${t1.output.list[-1]}", float64(20)},
		{"index then key", "${workflow.input.list[2].deep}", "x"},
		{"nested path", "${workflow.input.nested.a.b[0]}", float64(1)},
		{"quoted key", "${workflow.input.nested['dot.key']}", "dotted"},
		{"double-quoted key", `${workflow.input.nested["dot.key"]}`, "dotted"},
		{"task input", "${t1.input.p}", "in"},
		{"task status", "${t1.status}", "COMPLETED"},
		{"task id", "${t1.taskId}", "wf-1/t1"},
		{"variables", "${workflow.variables.counter}", float64(3)},
		{"workflow id", "${workflow.workflowId}", "wf-1"},
		{"correlation id", "${workflow.correlationId}", "corr"},
		{"workflow type", "${workflow.workflowType}", nil}, // no compiled workflow in this state
		{"whole input", "${workflow.input.nested.a}", map[string]any{"b": []any{float64(1), float64(2)}}},
		{"CPEWF_TASK_ID", "${CPEWF_TASK_ID}", "task-9"},
		{"no environment", "${NETFLIX_ENV}", nil},
		{"interpolation", "id-${workflow.input.n}-${workflow.input.name}", "id-5-cat"},
		{"interpolate float", "x=${workflow.input.half}", "x=0.5"},
		{"interpolate bool", "ok=${workflow.input.ok}", "ok=true"},
		{"interpolate object as Java", "o=${t1.output.obj}", `o={k=v}`},
		{"interpolate list as Java", "l=${workflow.input.list}", `l=[a, b, {deep=x}]`},
		{"interpolate numbers as Java", "${t1.output.list} ${workflow.input.half}", `[10, 20] 0.5`},
		{"interpolate null as Java", "[${workflow.input.nothing}]", "[null]"},
		{"interpolate missing as null", "[${workflow.input.missing}]", "[null]"},
		{"nested expression", "${workflow.input.${workflow.input.key}}", "cat"},
		{"nested in text", "x-${t1.output.${workflow.input.which}[1]}", "x-20"},
		{"nested to nowhere", "${workflow.input.${workflow.input.missing}}", nil},
		{"length()", "${t1.output.list.length()}", float64(2)},
		{"size() of object", "${t1.output.obj.size()}", float64(1)},
		{"sum()", "${t1.output.list.sum()}", float64(30)},
		{"task time fields", "${t1.startTime}-${t1.endTime}-${t1.scheduledTime}", "7-9-6"},
		{"task workflowInstanceId", "${t1.workflowInstanceId}", "wf-1"},
		{"escape", "$${workflow.input.name}", "${workflow.input.name}"},
		{"escape beside expression", "$${x} ${workflow.input.name}", "${x} cat"},
		{"blank expression", "a${}b", "ab"},
		{"lone dollar", "costs $5", "costs $5"},
		{"missing key", "${workflow.input.missing}", nil},
		{"missing deep", "${workflow.input.missing.deeper[3]}", nil},
		{"index out of range", "${t1.output.list[5]}", nil},
		{"index into object", "${t1.output.obj[0]}", nil},
		{"key into array", "${t1.output.list.x}", nil},
		{"task not run", "${t2.output.x}", nil},
		{"map nests", map[string]any{"a": "${workflow.input.n}", "b": []any{"${t1.output.op}", "lit"}}, map[string]any{"a": float64(5), "b": []any{"done", "lit"}}},
		{"number literal", float64(7), float64(7)},
		{"null literal", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []error
			tm := compileValue(tt.in, "v", func(_ string, err error) { errs = append(errs, err) })
			require.Empty(t, errs)
			got, err := tm.eval(&resolver{s: exprState(), taskID: "task-9"})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExpressionsStrict(t *testing.T) {
	for _, in := range []string{"${workflow.input.missing}", "x ${t1.output.nope}", "${t2.output}", "${t1.output.list[9]}"} {
		tm := compileValue(in, "v", func(string, error) { t.Fatal("compile error") })
		_, err := tm.eval(&resolver{s: exprState(), strict: true})
		assert.ErrorIs(t, err, ErrUnresolved, in)
	}
	// An explicit null is not unresolved.
	tm := compileValue("${workflow.input.nothing}", "v", nil)
	v, err := tm.eval(&resolver{s: exprState(), strict: true})
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestExpressionValuesAreCopies(t *testing.T) {
	s := exprState()
	tm := compileValue("${t1.output.obj}", "v", nil)
	v, err := tm.eval(&resolver{s: s})
	require.NoError(t, err)
	v.(map[string]any)["k"] = "changed"
	assert.Equal(t, "v", s.tasks["t1"].output["obj"].(map[string]any)["k"])
}

func TestExpressionSyntaxErrors(t *testing.T) {
	for _, in := range []string{
		"${workflow.input.name", "${t1.output[}", "${workflow.input.a]}", "${a.${b}", "${t1.output[?(@.a}",
	} {
		_, err := parseTemplate(in)
		assert.ErrorIs(t, err, ErrBadExpression, in)
	}
}

func TestDeeplyNestedExpressionIsRefused(t *testing.T) {
	s := strings.Repeat("${", 100000) + "x" + strings.Repeat("}", 100000)
	_, err := parseTemplate(s)
	assert.ErrorIs(t, err, ErrBadExpression)
	_, err = parseTemplate(strings.Repeat("${a.", 10) + "b" + strings.Repeat("}", 10))
	assert.NoError(t, err)
}
