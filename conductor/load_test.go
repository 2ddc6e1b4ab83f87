package conductor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func echoWorker(_ context.Context, in map[string]any) (map[string]any, error) { return in, nil }

// wf builds a definition from task JSON objects.
func wf(tasks ...string) string {
	return fmt.Sprintf(`{"name":"w","version":1,"schemaVersion":2,"tasks":[%s]}`, strings.Join(tasks, ","))
}

func simple(ref string, input string) string {
	if input == "" {
		input = "{}"
	}
	return fmt.Sprintf(`{"name":"work","taskReferenceName":%q,"type":"SIMPLE","inputParameters":%s}`, ref, input)
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name        string
		def         string
		sentinel    error
		task, field string
		opts        []Option
	}{
		{"not JSON", `{"name":`, ErrMalformed, "", "json", nil},
		{"no name", `{"tasks":[{"name":"work","taskReferenceName":"a"}]}`, ErrMalformed, "", "name", nil},
		{"schema version", `{"name":"w","schemaVersion":3,"tasks":[{"name":"work","taskReferenceName":"a"}]}`, ErrMalformed, "", "schemaVersion", nil},
		{"no ref", wf(`{"name":"work","type":"SIMPLE"}`), ErrMalformed, "", "tasks[0].taskReferenceName", nil},
		{"unknown type", wf(`{"name":"h","taskReferenceName":"h","type":"KAFKA_PUBLISH"}`), ErrUnknownTaskType, "h", "type", nil},
		{"duplicate ref", wf(simple("a", ""), simple("a", "")), ErrDuplicateRef, "a", "taskReferenceName", nil},
		{"duplicate ref in a case", wf(`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"value-param","expression":"c","inputParameters":{"c":"x"},"decisionCases":{"x":[` + simple("s", "") + `]}}`), ErrDuplicateRef, "s", "taskReferenceName", nil},
		{"unknown ref, strict", wf(simple("a", `{"x":"${nope.output.x}"}`)), ErrUnknownRef, "a", "inputParameters.x", []Option{WithStrictExpressions()}},
		{"forward ref", wf(simple("a", `{"x":"${b.output.x}"}`), simple("b", "")), ErrForwardRef, "a", "inputParameters.x", nil},
		{"self ref", wf(simple("a", `{"x":"${a.output.x}"}`)), ErrForwardRef, "a", "inputParameters.x", nil},
		{"unknown ref in output", `{"name":"w","tasks":[` + simple("a", "") + `],"outputParameters":{"o":"${zz.output}"}}`, ErrUnknownRef, "", "outputParameters.o", []Option{WithStrictExpressions()}},
		{"bad task field", wf(simple("a", ""), simple("b", `{"x":"${a.outptu.x}"}`)), ErrBadExpression, "b", "inputParameters.x", nil},
		{"bad workflow field", wf(simple("a", `{"x":"${workflow.inputs.x}"}`)), ErrBadExpression, "a", "inputParameters.x", nil},
		{"unclosed expression", wf(simple("a", `{"x":"${workflow.input.x"}`)), ErrBadExpression, "a", "inputParameters.x", nil},
		{"bad path", wf(simple("a", `{"x":{"y":["${workflow.input[x}"]}}`)), ErrBadExpression, "a", "inputParameters.x.y[0]", nil},
		{"JSONPath query without engine", wf(simple("a", `{"x":{"y":["${workflow.input[*]}"]}}`)), ErrNoEngine, "a", "inputParameters.x.y[0]", nil},
		{"schema version 1 path", `{"name":"w","schemaVersion":1,"tasks":[` + simple("a", `{"x":"workflow.x"}`) + `]}`, ErrBadExpression, "a", "inputParameters.x", nil},
		{"no worker", wf(`{"name":"unknown_worker","taskReferenceName":"a","type":"SIMPLE"}`), ErrNoWorker, "a", "name", nil},
		{"switch without param", wf(`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"value-param","expression":"c"}`), ErrMalformed, "s", "expression", nil},
		{"switch evaluator", wf(`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"python","expression":"c"}`), ErrMalformed, "s", "evaluatorType", nil},
		{"switch javascript without engine", wf(`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"javascript","expression":"1"}`), ErrNoEngine, "s", "expression", nil},
		{"switch javascript syntax", wf(`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"javascript","expression":"((("}`), ErrBadExpression, "s", "expression", []Option{WithJavaScript(fakeJS{})}},
		{"decision without param", wf(`{"name":"d","taskReferenceName":"d","type":"DECISION","caseValueParam":"c"}`), ErrMalformed, "d", "caseValueParam", nil},
		{"fork without join", wf(`{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[` + simple("a", "") + `]]}`), ErrMalformed, "f", "type", nil},
		{"fork empty branch", wf(`{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[]]}`, `{"name":"j","taskReferenceName":"j","type":"JOIN"}`), ErrMalformed, "f", "forkTasks[0]", nil},
		{"join without fork", wf(simple("a", ""), `{"name":"j","taskReferenceName":"j","type":"JOIN"}`), ErrMalformed, "j", "type", nil},
		{"join on unknown", wf(`{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[`+simple("a", "")+`]]}`, `{"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["zz"]}`), ErrUnknownRef, "j", "joinOn[0]", nil},
		{"loop without engine", wf(`{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"true","loopOver":[` + simple("a", "") + `]}`), ErrNoEngine, "l", "loopCondition", nil},
		{"loop without body", wf(`{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"false"}`), ErrMalformed, "l", "loopOver", []Option{WithJavaScript(fakeJS{"false": func(map[string]any) any { return false }})}},
		{"terminate status", wf(`{"name":"t","taskReferenceName":"t","type":"TERMINATE","inputParameters":{"terminationStatus":"DONE"}}`), ErrMalformed, "t", "inputParameters.terminationStatus", nil},
		{"sub-workflow unknown", wf(`{"name":"s","taskReferenceName":"s","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"nope"}}`), ErrUnknownWorkflow, "s", "subWorkflowParam.name", nil},
		{"sub-workflow without name", wf(`{"name":"s","taskReferenceName":"s","type":"SUB_WORKFLOW"}`), ErrMalformed, "s", "subWorkflowParam.name", nil},
		{"dynamic without param", wf(`{"name":"d","taskReferenceName":"d","type":"DYNAMIC","dynamicTaskNameParam":"tn"}`), ErrMalformed, "d", "dynamicTaskNameParam", nil},
		{"jq without engine", wf(`{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM","inputParameters":{"queryExpression":"."}}`), ErrNoEngine, "q", "inputParameters.queryExpression", nil},
		{"lambda without engine", wf(`{"name":"l","taskReferenceName":"l","type":"LAMBDA","inputParameters":{"scriptExpression":"return 1"}}`), ErrNoEngine, "l", "inputParameters.scriptExpression", nil},
		{"inline without expression", wf(`{"name":"i","taskReferenceName":"i","type":"INLINE","inputParameters":{"evaluatorType":"javascript"}}`), ErrMalformed, "i", "inputParameters.expression", []Option{WithJavaScript(fakeJS{})}},
		{"retry logic", wf(`{"name":"work","taskReferenceName":"a","taskDefinition":{"name":"work","retryLogic":"RANDOM"}}`), ErrMalformed, "a", "taskDefinition", nil},
		{"negative retry", wf(`{"name":"work","taskReferenceName":"a","retryCount":-1}`), ErrMalformed, "a", "retryCount", nil},
		{"reserved ref", wf(simple("workflow", "")), ErrMalformed, "workflow", "taskReferenceName", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := New(append([]Option{WithWorker("work", echoWorker)}, tt.opts...)...)
			require.NoError(t, err)
			w, err := rt.Load([]byte(tt.def))
			require.Error(t, err)
			require.Nil(t, w)
			assert.ErrorIs(t, err, ErrInvalidDefinition)
			assert.ErrorIs(t, err, tt.sentinel)
			var de *DefinitionError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tt.task, de.Task, "task; error: %v", err)
			assert.Equal(t, tt.field, de.Field, "field; error: %v", err)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	rt, err := New()
	require.NoError(t, err)
	_, err = rt.Load([]byte(wf(`{"name":"x","taskReferenceName":"a"}`, `{"name":"y","taskReferenceName":"b","type":"NOPE"}`)))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoWorker)
	assert.ErrorIs(t, err, ErrUnknownTaskType)
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var de *DefinitionError
		if errors.As(e, &de) {
			n++
		}
	}
	assert.Equal(t, 2, n)
}

func TestSubWorkflowCycle(t *testing.T) {
	a, err := ParseWorkflow([]byte(`{"name":"a","version":1,"tasks":[{"name":"b","taskReferenceName":"sb","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"b","version":1}}]}`))
	require.NoError(t, err)
	b, err := ParseWorkflow([]byte(`{"name":"b","version":1,"tasks":[{"name":"a","taskReferenceName":"sa","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"a","version":1}}]}`))
	require.NoError(t, err)
	rt, err := New(WithDefinitions(a, b))
	require.NoError(t, err)
	_, err = rt.Compile(a)
	assert.ErrorIs(t, err, ErrInvalidDefinition)
	assert.ErrorContains(t, err, "cycle")
}

func TestInvalidOptions(t *testing.T) {
	for _, o := range []Option{nil, WithWorker("", nil), WithMaxIterations(0), WithScriptTimeout(0), WithMaxDepth(0), WithConcurrency(0), WithDefinitions(nil), WithTaskDefs(nil)} {
		_, err := New(o)
		assert.Error(t, err)
	}
}
