package engines

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runBoth loads def and runs it under both strategies, checking that they agree.
func runBoth(t *testing.T, def string, input map[string]any, opts ...conductor.Option) *conductor.Execution {
	t.Helper()
	var out [2]*conductor.Execution
	for i, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		rt, err := conductor.New(append(append(Options(), conductor.WithStrategy(s), conductor.WithEcho()), opts...)...)
		require.NoError(t, err)
		w, err := rt.Load([]byte(def))
		require.NoError(t, err)
		out[i], _ = w.Run(context.Background(), input, conductor.WithWorkflowID("wf"))
		require.NotNil(t, out[i])
		require.NoError(t, w.Close())
	}
	require.Equal(t, out[0].Status, out[1].Status)
	require.Equal(t, out[0].Output, out[1].Output)
	require.Equal(t, len(out[0].Tasks), len(out[1].Tasks))
	return out[0]
}

func definition(t *testing.T, name string) string {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "definitions", name+".json"))
	require.NoError(t, err)
	return string(data)
}

func lastOutput(e *conductor.Execution, ref string) map[string]any {
	t, _ := e.Task(ref)
	return t.Output
}

func TestRealDefinitionsWithEngines(t *testing.T) {
	e := runBoth(t, definition(t, "do_while_integration_test"), map[string]any{"loop": 3})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, float64(3), lastOutput(e, "loopTask")["iteration"])
	assert.Len(t, e.Tasks, 3*5+1) // 3 iterations of (task_0, fork, task_1, task_2, join) + the loop

	e = runBoth(t, definition(t, "do_while_set_variable_fix"), nil)
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"value": "0"}, e.Variables)

	e = runBoth(t, definition(t, "simple_json_jq_transform_integration_test"),
		map[string]any{"in1": map[string]any{"array": []any{"a", "b"}}, "in2": map[string]any{"array": []any{"c"}}})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"out": []any{"a", "b", "c"}}, lastOutput(e, "jq_1")["result"])

	for a, want := range map[float64]bool{1: true, 2: false} {
		e = runBoth(t, definition(t, "simple_lambda_workflow_integration_test"), map[string]any{"a": a})
		require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, map[string]any{"testvalue": want}, lastOutput(e, "lambda0")["result"])
	}
}

func TestSwitchJavaScriptAndInline(t *testing.T) {
	def := `{"name":"w","tasks":[
	  {"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"javascript","expression":"$.n > 10 ? 'big' : 'small'",
	   "inputParameters":{"n":"${workflow.input.n}"},
	   "decisionCases":{"big":[{"name":"i","taskReferenceName":"i","type":"INLINE",
	     "inputParameters":{"evaluatorType":"javascript","n":"${workflow.input.n}","expression":"(function(){ return {half: $.n / 2, list: [1, 'a', null]}; })()"}}]}}],
	 "outputParameters":{"r":"${i.output.result}","case":"${s.output.evaluationResult[0]}"}}`
	e := runBoth(t, def, map[string]any{"n": 20})
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"half": float64(10), "list": []any{float64(1), "a", nil}}, e.Output["r"])
	e = runBoth(t, def, map[string]any{"n": 2})
	assert.Equal(t, "small", e.Output["case"])
}

func TestJQBuiltAtRunTime(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM",
	  "inputParameters":{"x":[1,2,3],"queryExpression":"${workflow.input.q}"}}],"outputParameters":{"r":"${q.output.resultList}"}}`
	e := runBoth(t, def, map[string]any{"q": ".x[] * 2"})
	assert.Equal(t, []any{float64(2), float64(4), float64(6)}, e.Output["r"])
	e = runBoth(t, def, map[string]any{"q": ".x[ ((("})
	assert.ErrorIs(t, e.Err, conductor.ErrBadExpression)
}

func TestLoadTimeSyntaxErrors(t *testing.T) {
	rt, err := conductor.New(Options()...)
	require.NoError(t, err)
	for _, def := range []string{
		`{"name":"w","tasks":[{"name":"l","taskReferenceName":"l","type":"LAMBDA","inputParameters":{"scriptExpression":"return {"}}]}`,
		`{"name":"w","tasks":[{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM","inputParameters":{"queryExpression":".a | | ."}}]}`,
		`{"name":"w","tasks":[{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"if (","loopOver":[{"name":"x","taskReferenceName":"x","type":"SET_VARIABLE"}]}]}`,
	} {
		_, err := rt.Load([]byte(def))
		assert.ErrorIs(t, err, conductor.ErrBadExpression)
	}
}

// Safety: endless scripts, jq programs and loops stop with ErrLimit; no environment.
func TestLimits(t *testing.T) {
	opts := []conductor.Option{conductor.WithScriptTimeout(50 * time.Millisecond), conductor.WithMaxIterations(20)}
	for name, def := range map[string]string{
		"js loop":   `{"name":"w","tasks":[{"name":"l","taskReferenceName":"l","type":"LAMBDA","inputParameters":{"scriptExpression":"while(true){}"}}]}`,
		"js stack":  `{"name":"w","tasks":[{"name":"l","taskReferenceName":"l","type":"LAMBDA","inputParameters":{"scriptExpression":"function f(){ return f() + 1 } return f()"}}]}`,
		"jq repeat": `{"name":"w","tasks":[{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM","inputParameters":{"queryExpression":"last(repeat(1))"}}]}`,
		"jq range":  `{"name":"w","tasks":[{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM","inputParameters":{"queryExpression":"range(100000000)"}}]}`,
		"do_while":  `{"name":"w","tasks":[{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"true","loopOver":[{"name":"x","taskReferenceName":"x","type":"SET_VARIABLE"}]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			e := runBoth(t, def, nil, opts...)
			assert.Equal(t, conductor.StatusFailed, e.Status)
			assert.ErrorIs(t, e.Err, conductor.ErrLimit, "%v", e.Err)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

func TestNoEnvironmentOrIO(t *testing.T) {
	t.Setenv("BATON_SECRET", "s3cret")
	for name, def := range map[string]string{
		"jq $ENV":    `{"name":"w","tasks":[{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM","inputParameters":{"queryExpression":"[$ENV.BATON_SECRET, env.BATON_SECRET]"}}],"outputParameters":{"r":"${q.output.result}"}}`,
		"js globals": `{"name":"w","tasks":[{"name":"l","taskReferenceName":"l","type":"LAMBDA","inputParameters":{"scriptExpression":"return [typeof require, typeof process, typeof console, typeof fetch, typeof setTimeout]"}}],"outputParameters":{"r":"${l.output.result}"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := runBoth(t, def, nil)
			require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
			assert.NotContains(t, e.Output["r"], "s3cret")
			for _, v := range e.Output["r"].([]any) {
				assert.Contains(t, []any{nil, "undefined"}, v)
			}
		})
	}
	// jq has no input files: input and inputs do not even compile.
	rt, err := conductor.New(Options()...)
	require.NoError(t, err)
	_, err = rt.Load([]byte(`{"name":"w","tasks":[{"name":"q","taskReferenceName":"q","type":"JSON_JQ_TRANSFORM","inputParameters":{"queryExpression":"input"}}]}`))
	assert.ErrorIs(t, err, conductor.ErrBadExpression)
}
