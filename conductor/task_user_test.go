package conductor

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const llmDef = `{"name": "chat", "tasks": [
  {"name": "ask", "taskReferenceName": "ask", "type": "LLM_CHAT_COMPLETE", "inputParameters": {"prompt": "${workflow.input.q}", "model": "m1"}},
  {"name": "agent", "taskReferenceName": "agent", "type": "AGENT", "retryCount": 1, "inputParameters": {"text": "${ask.output.result}"}}],
  "outputParameters": {"answer": "${agent.output.result}"}}`

func TestUserTaskTypes(t *testing.T) {
	var agentCalls atomic.Int32
	llm := func(_ context.Context, r *TaskRequest) (map[string]any, error) {
		return map[string]any{"result": r.Input["prompt"].(string) + " / " + r.Type + " " + r.Ref + " " + r.TaskID, "n": 1}, nil
	}
	agent := func(_ context.Context, r *TaskRequest) (map[string]any, error) {
		if agentCalls.Add(1)%2 == 1 {
			return nil, errors.New("busy") // retried once
		}
		return map[string]any{"result": strings.ToUpper(r.Input["text"].(string))}, nil
	}
	e := runBoth(t, llmDef, map[string]any{"q": "hi"}, WithTaskHandler("LLM_CHAT_COMPLETE", llm), WithTaskHandler("AGENT", agent))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, "HI / LLM_CHAT_COMPLETE ASK WF-1/ASK", e.Output["answer"])
	assert.Equal(t, float64(1), e.Tasks[0].Output["n"]) // normalized
	assert.Equal(t, "AGENT", e.Tasks[2].Type)
	assert.Equal(t, 2, e.Tasks[2].Attempts)
	assert.Equal(t, TaskFailed, e.Tasks[1].Status) // its first attempt, an entry of its own
	assert.Equal(t, "busy", e.Tasks[1].Reason)

	// Without a handler, the error names the type.
	rt, err := New(WithTaskHandler("LLM_CHAT_COMPLETE", llm))
	require.NoError(t, err)
	_, err = rt.Load([]byte(llmDef))
	assert.ErrorIs(t, err, ErrNoHandler)
	assert.ErrorIs(t, err, ErrUnknownTaskType)
	var de *DefinitionError
	require.True(t, errors.As(err, &de))
	assert.Equal(t, "agent", de.Task)
	assert.Contains(t, err.Error(), `unknown task type "AGENT": no handler registered for it (register one with WithTaskHandler("AGENT", ...)`)

	// Handlers of built-in types, nil handlers and empty types are refused.
	for _, o := range []Option{WithTaskHandler("HTTP", llm), WithTaskHandler("X", nil), WithTaskHandler("", llm)} {
		_, err := New(o)
		assert.Error(t, err)
	}
}

// A user type runs in a dynamic fork too; the fork's width is bounded.
func TestUserTaskInDynamicFork(t *testing.T) {
	def := `{"name": "dyn", "tasks": [
	  {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN_DYNAMIC", "dynamicForkTasksParam": "tasks", "dynamicForkTasksInputParamName": "inputs",
	   "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"}},
	  {"name": "j", "taskReferenceName": "j", "type": "JOIN"}], "outputParameters": {"j": "${j.output}"}}`
	gen := func(_ context.Context, r *TaskRequest) (map[string]any, error) {
		return map[string]any{"pdf": r.Input["title"]}, nil
	}
	in := map[string]any{
		"tasks":  []any{map[string]any{"name": "g", "taskReferenceName": "g1", "type": "GENERATE_PDF"}, map[string]any{"name": "g", "taskReferenceName": "g2", "type": "GENERATE_PDF"}},
		"inputs": map[string]any{"g1": map[string]any{"title": "a"}, "g2": map[string]any{"title": "b"}},
	}
	e := runBoth(t, def, in, WithTaskHandler("GENERATE_PDF", gen))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"g1": map[string]any{"pdf": "a"}, "g2": map[string]any{"pdf": "b"}}, e.Output["j"])

	e = runBoth(t, def, in)
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrUnknownTaskType)

	e = runBoth(t, def, in, WithTaskHandler("GENERATE_PDF", gen), WithMaxForkWidth(1))
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrLimit)
	assert.Contains(t, e.Reason, "a dynamic fork of 2 tasks (WithMaxForkWidth: 1)")
	_, err := New(WithMaxForkWidth(0))
	assert.Error(t, err)
}

// A script's output larger than WithMaxOutputSize fails its task without retries.
func TestScriptOutputSize(t *testing.T) {
	def := `{"name": "big", "tasks": [{"name": "s", "taskReferenceName": "s", "type": "INLINE", "retryCount": 2,
	  "inputParameters": {"evaluatorType": "javascript", "expression": "big", "n": "${workflow.input.n}"}}]}`
	js := fakeJS{"big": func(in map[string]any) any {
		n := int(in["n"].(float64))
		list := make([]any, n)
		for i := range list {
			list[i] = strings.Repeat("x", 100)
		}
		return map[string]any{"list": list}
	}}
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		e := run(t, s, def, map[string]any{"n": 5}, WithJavaScript(js), WithMaxOutputSize(1000))
		require.Equal(t, StatusCompleted, e.Status, e.Reason)
		e = run(t, s, def, map[string]any{"n": 20}, WithJavaScript(js), WithMaxOutputSize(1000))
		assert.Equal(t, StatusFailed, e.Status)
		assert.ErrorIs(t, e.Err, ErrLimit)
		assert.Contains(t, e.Reason, "output larger than 1000 bytes of JSON (WithMaxOutputSize)")
		assert.Equal(t, 1, e.Tasks[len(e.Tasks)-1].Attempts)
	}
	for _, tt := range []struct {
		v     any
		limit int
		fits  bool
	}{
		{"abc", 5, true}, {"abcd", 5, false}, {map[string]any{"k": "v"}, 10, true}, {map[string]any{"k": "v"}, 9, false},
		{[]any{1.0, 2.0}, 20, true}, {[]any{1.0, 2.0}, 19, false},
	} {
		assert.Equal(t, tt.fits, fitsJSON(tt.v, tt.limit), "%v %d", tt.v, tt.limit)
	}
}
