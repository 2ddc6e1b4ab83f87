package conductor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every task type, under both strategies (runBoth checks that they agree).

func TestSimpleAndOutputs(t *testing.T) {
	def := `{"name":"w","tasks":[
	  {"name":"upper","taskReferenceName":"u","inputParameters":{"s":"${workflow.input.s}","n":"${workflow.input.n}"}},
	  {"name":"upper","taskReferenceName":"u2","inputParameters":{"s":"${u.output.s}-${u.output.n}"}}],
	 "outputParameters":{"first":"${u.output}","second":"${u2.output.s}","id":"${u2.taskId}"}}`
	upper := func(_ context.Context, in map[string]any) (map[string]any, error) {
		in["s"] = fmt.Sprint(in["s"]) + "!"
		return in, nil
	}
	e := runBoth(t, def, map[string]any{"s": "a", "n": 3}, WithWorker("upper", upper))
	require.Equal(t, StatusCompleted, e.Status)
	assert.Equal(t, map[string]any{"s": "a!", "n": float64(3)}, e.Output["first"])
	assert.Equal(t, "a!-3!", e.Output["second"])
	assert.Equal(t, "wf-1/u2", e.Output["id"])
	assert.Equal(t, []string{"u:COMPLETED", "u2:COMPLETED"}, summary(e))
	assert.Equal(t, map[string]any{"s": "a", "n": float64(3)}, e.Tasks[0].Input, "the log keeps the input as resolved")
}

const switchDef = `{"name":"w","tasks":[
  {"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"value-param","expression":"c",
   "inputParameters":{"c":"${workflow.input.c}"},
   "decisionCases":{"a":[{"name":"work","taskReferenceName":"ta"}],
                    "5":[{"name":"work","taskReferenceName":"t5"}],
                    "true":[{"name":"work","taskReferenceName":"ttrue"},{"name":"work","taskReferenceName":"ttrue2"}]},
   "defaultCase":[{"name":"work","taskReferenceName":"tdef"}]},
  {"name":"work","taskReferenceName":"after"}],
 "outputParameters":{"case":"${s.output.evaluationResult[0]}"}}`

func TestSwitch(t *testing.T) {
	for _, tt := range []struct {
		c    any
		want []string
	}{
		{"a", []string{"s", "ta", "after"}},
		{5, []string{"s", "t5", "after"}},
		{true, []string{"s", "ttrue", "ttrue2", "after"}},
		{"zz", []string{"s", "tdef", "after"}},
		{nil, []string{"s", "tdef", "after"}},
	} {
		e := runBoth(t, switchDef, map[string]any{"c": tt.c}, WithWorker("work", echoWorker))
		require.Equal(t, StatusCompleted, e.Status)
		assert.Equal(t, tt.want, refs(e), "case %v", tt.c)
	}
}

func refs(e *Execution) []string {
	var out []string
	for _, t := range e.Tasks {
		out = append(out, t.Ref)
	}
	return out
}

func TestSwitchJavaScript(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"javascript",
	  "expression":"$.n > 1 ? 'big' : 'small'","inputParameters":{"n":"${workflow.input.n}"},
	  "decisionCases":{"big":[{"name":"work","taskReferenceName":"big"}],"small":[{"name":"work","taskReferenceName":"small"}]}}]}`
	js := fakeJS{"$.n > 1 ? 'big' : 'small'": func(in map[string]any) any {
		if in["n"].(float64) > 1 {
			return "big"
		}
		return "small"
	}}
	e := runBoth(t, def, map[string]any{"n": 2}, WithWorker("work", echoWorker), WithJavaScript(js))
	assert.Equal(t, []string{"s", "big"}, refs(e))
}

func TestDecision(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"d","taskReferenceName":"d","type":"DECISION","caseValueParam":"c",
	  "inputParameters":{"c":"${workflow.input.c}"},
	  "decisionCases":{"x":[{"name":"work","taskReferenceName":"x"}]},"defaultCase":[{"name":"work","taskReferenceName":"def"}]}],
	  "outputParameters":{"o":"${d.output.caseOutput}"}}`
	e := runBoth(t, def, map[string]any{"c": "x"}, WithWorker("work", echoWorker))
	assert.Equal(t, []string{"d", "x"}, refs(e))
	assert.Equal(t, []any{"x"}, e.Output["o"])
}

const forkDef = `{"name":"w","tasks":[
  {"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[
     [{"name":"slow","taskReferenceName":"a1","inputParameters":{"v":"a"}},{"name":"work","taskReferenceName":"a2","inputParameters":{"v":"${a1.output.v}2"}}],
     [{"name":"work","taskReferenceName":"b1","inputParameters":{"v":"b"}},
      {"name":"sv","taskReferenceName":"sv","type":"SET_VARIABLE","inputParameters":{"fromB":"${b1.output.v}"}}]]},
  {"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["a2","b1"]},
  {"name":"work","taskReferenceName":"after","inputParameters":{"a":"${a2.output.v}","b":"${b1.output.v}","var":"${workflow.variables.fromB}"}}],
 "outputParameters":{"join":"${j.output}","after":"${after.output}"}}`

func TestForkJoin(t *testing.T) {
	slow := func(ctx context.Context, in map[string]any) (map[string]any, error) {
		time.Sleep(5 * time.Millisecond) // branch b finishes first; the merge is still in branch order
		return in, nil
	}
	e := runBoth(t, forkDef, nil, WithWorker("work", echoWorker), WithWorker("slow", slow))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"a2": map[string]any{"v": "a2"}, "b1": map[string]any{"v": "b"}}, e.Output["join"])
	assert.Equal(t, map[string]any{"a": "a2", "b": "b", "var": "b"}, e.Output["after"])
	assert.Equal(t, []string{"f", "a1", "b1", "j", "a2", "sv", "after"}, refs(e)) // Conductor's order: the JOIN after the branches' first tasks
	assert.Equal(t, map[string]any{"fromB": "b"}, e.Variables)
}

func TestForkBranchFailureStopsTheFork(t *testing.T) {
	failing := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("boom") }
	for _, s := range strategies {
		// Which branch fails first is a race; the outcome is not.
		e := run(t, s, forkDef, nil, WithWorker("work", failing), WithWorker("slow", echoWorker))
		require.Equal(t, StatusFailed, e.Status)
		var te *TaskError
		require.ErrorAs(t, e.Err, &te)
		assert.Contains(t, []string{"a2", "b1"}, te.Task)
		assert.ErrorContains(t, e.Err, "boom")
		st, ok := e.Task("f")
		require.True(t, ok)
		assert.Equal(t, TaskCompleted, st.Status, "Conductor: a fork completes when it forks")
		j, ok := e.Task("j")
		require.True(t, ok)
		assert.Equal(t, TaskCanceled, j.Status, "Conductor: its JOIN is cancelled")
		_, ran := e.Task("after")
		assert.False(t, ran)
	}
}

// counter is a loop condition for tests: continue while the loop's iteration < $.times.
var counter = fakeJS{"$.loop.iteration < $.times": func(in map[string]any) any {
	return in["loop"].(map[string]any)["iteration"].(float64) < in["times"].(float64)
}, "true": func(map[string]any) any { return true }}

func TestDoWhile(t *testing.T) {
	def := `{"name":"w","tasks":[
	  {"name":"loop","taskReferenceName":"loop","type":"DO_WHILE","loopCondition":"$.loop.iteration < $.times",
	   "inputParameters":{"times":"${workflow.input.times}"},
	   "loopOver":[{"name":"work","taskReferenceName":"body","inputParameters":{"i":"${loop.output.iteration}","prev":"${body.output.i}"}}]},
	  {"name":"work","taskReferenceName":"after","inputParameters":{"last":"${body.output.i}"}}],
	 "outputParameters":{"loop":"${loop.output}","last":"${after.output.last}"}}`
	e := runBoth(t, def, map[string]any{"times": 3}, WithWorker("work", echoWorker), WithJavaScript(counter))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, []string{"loop", "body", "body", "body", "after"}, refs(e)) // the loop before its body, as Conductor lists it
	assert.Equal(t, float64(3), e.Output["last"])
	loop := e.Output["loop"].(map[string]any)
	assert.Equal(t, float64(3), loop["iteration"])
	assert.Equal(t, map[string]any{"body": map[string]any{"i": float64(2), "prev": float64(1)}}, loop["2"])
	assert.Equal(t, 2, e.Tasks[2].Iteration)
	assert.Equal(t, "wf-1/body__2", e.Tasks[2].TaskID)
}

func TestDoWhileLimit(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"loop","taskReferenceName":"loop","type":"DO_WHILE","loopCondition":"true",
	  "loopOver":[{"name":"work","taskReferenceName":"body"}]}]}`
	e := runBoth(t, def, nil, WithWorker("work", echoWorker), WithJavaScript(counter), WithMaxIterations(50))
	require.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrLimit)
	assert.ErrorContains(t, e.Err, "50 iterations")
	assert.Len(t, e.Tasks, 51)
}

func TestSetVariable(t *testing.T) {
	def := `{"name":"w","variables":{"keep":1},"tasks":[
	  {"name":"v","taskReferenceName":"v","type":"SET_VARIABLE","inputParameters":{"x":"${workflow.input.x}","obj":{"a":[1]}}},
	  {"name":"work","taskReferenceName":"r","inputParameters":{"x":"${workflow.variables.x}","a":"${workflow.variables.obj.a[0]}"}}],
	 "outputParameters":{"r":"${r.output}"}}`
	e := runBoth(t, def, map[string]any{"x": "y"}, WithWorker("work", echoWorker))
	assert.Equal(t, map[string]any{"x": "y", "a": float64(1)}, e.Output["r"])
	assert.Equal(t, map[string]any{"keep": float64(1), "x": "y", "obj": map[string]any{"a": []any{float64(1)}}}, e.Variables)
}

func TestTerminate(t *testing.T) {
	def := `{"name":"w","tasks":[
	  {"name":"work","taskReferenceName":"a","inputParameters":{"v":"${workflow.input.v}"}},
	  {"name":"t","taskReferenceName":"t","type":"TERMINATE","inputParameters":{"terminationStatus":"${workflow.input.status}",
	    "terminationReason":"enough","workflowOutput":{"v":"${a.output.v}"}}},
	  {"name":"work","taskReferenceName":"never"}],
	 "outputParameters":{"o":"not used"}}`
	e := runBoth(t, def, map[string]any{"v": 1, "status": "COMPLETED"}, WithWorker("work", echoWorker))
	assert.Equal(t, StatusCompleted, e.Status)
	assert.NoError(t, e.Err)
	assert.Equal(t, map[string]any{"v": float64(1)}, e.Output)
	assert.Equal(t, []string{"a", "t"}, refs(e))

	e = runBoth(t, def, map[string]any{"v": 1, "status": "FAILED"}, WithWorker("work", echoWorker))
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrTerminated)
	assert.Equal(t, "enough", e.Reason)

	e = runBoth(t, def, map[string]any{"status": "TERMINATED"}, WithWorker("work", echoWorker))
	assert.Equal(t, StatusTerminated, e.Status)
}

func TestTerminateInForkAndLoop(t *testing.T) {
	// The JOIN waits for the TERMINATE's branch, so the run ends in iteration 1. Whether branch
	// b completes or is cancelled first is a race (so is it in Conductor): each strategy is
	// checked on its own for what is certain.
	for _, joinOn := range []string{`["t","b"]`, `["t"]`} {
		def := `{"name":"w","tasks":[
		  {"name":"loop","taskReferenceName":"loop","type":"DO_WHILE","loopCondition":"true","loopOver":[
		    {"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[
		      [{"name":"t","taskReferenceName":"t","type":"TERMINATE","inputParameters":{"terminationStatus":"COMPLETED","workflowOutput":"${loop.output.iteration}"}}],
		      [{"name":"work","taskReferenceName":"b"}]]},
		    {"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":` + joinOn + `}]},
		  {"name":"work","taskReferenceName":"never"}]}`
		for _, s := range strategies {
			e := run(t, s, def, nil, WithWorker("work", echoWorker), WithJavaScript(counter))
			assert.Equal(t, StatusCompleted, e.Status, "%s %s", joinOn, s)
			assert.Equal(t, map[string]any{"output": float64(1)}, e.Output, "%s %s", joinOn, s)
			_, ran := e.Task("never")
			assert.False(t, ran)
			// As in Conductor (LambdaAndTerminateTaskSpec): the JOIN waiting is CANCELED.
			j, _ := e.Task("j")
			assert.Equal(t, TaskCanceled, j.Status)
		}
	}
}

func TestSubWorkflow(t *testing.T) {
	child, err := ParseWorkflow([]byte(`{"name":"child","version":2,"tasks":[{"name":"work","taskReferenceName":"c","inputParameters":{"x":"${workflow.input.x}","parent":"${workflow.parentWorkflowId}"}}],
	  "outputParameters":{"got":"${c.output}"}}`))
	require.NoError(t, err)
	for _, name := range []string{"child", "${workflow.input.which}"} {
		def := `{"name":"w","tasks":[{"name":"sub","taskReferenceName":"sub","type":"SUB_WORKFLOW",
		  "subWorkflowParam":{"name":"` + name + `"},"inputParameters":{"x":"${workflow.input.x}"}}],
		  "outputParameters":{"sub":"${sub.output}"}}`
		e := runBoth(t, def, map[string]any{"x": 7, "which": "child"}, WithWorker("work", echoWorker), WithDefinitions(child))
		require.Equal(t, StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, map[string]any{"got": map[string]any{"x": float64(7), "parent": "wf-1"}, "subWorkflowId": "wf-1/sub"}, e.Output["sub"])
	}
	// A dynamic name that is not registered fails the task at run time.
	def := `{"name":"w","tasks":[{"name":"sub","taskReferenceName":"sub","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"${workflow.input.which}"}}]}`
	e := runBoth(t, def, map[string]any{"which": "nope"}, WithDefinitions(child))
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrUnknownWorkflow)
}

func TestSubWorkflowDepthLimit(t *testing.T) {
	rec, err := ParseWorkflow([]byte(`{"name":"rec","tasks":[{"name":"s","taskReferenceName":"s","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"${workflow.input.me}"},"inputParameters":{"me":"rec"}}]}`))
	require.NoError(t, err)
	e := runBoth(t, `{"name":"w","tasks":[{"name":"s","taskReferenceName":"s","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"rec"},"inputParameters":{"me":"rec"}}]}`,
		nil, WithDefinitions(rec), WithMaxDepth(3))
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrLimit)
}

func TestDynamic(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"d","taskReferenceName":"d","type":"DYNAMIC","dynamicTaskNameParam":"tn",
	  "inputParameters":{"tn":"${workflow.input.task}","v":1}}],"outputParameters":{"o":"${d.output}"}}`
	double := func(_ context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{"v": in["v"].(float64) * 2}, nil
	}
	e := runBoth(t, def, map[string]any{"task": "double"}, WithWorker("double", double))
	assert.Equal(t, map[string]any{"v": float64(2)}, e.Output["o"])
	assert.Equal(t, "double", e.Tasks[0].Name)
	e = runBoth(t, def, map[string]any{"task": "nope"}, WithWorker("double", double))
	assert.ErrorIs(t, e.Err, ErrNoWorker)
}

func TestForkJoinDynamic(t *testing.T) {
	def := `{"name":"w","tasks":[
	  {"name":"f","taskReferenceName":"f","type":"FORK_JOIN_DYNAMIC","dynamicForkTasksParam":"tasks","dynamicForkTasksInputParamName":"inputs",
	   "inputParameters":{"tasks":"${workflow.input.tasks}","inputs":"${workflow.input.inputs}"}},
	  {"name":"j","taskReferenceName":"j","type":"JOIN"}],
	 "outputParameters":{"j":"${j.output}"}}`
	in := map[string]any{
		"tasks":  []any{map[string]any{"name": "work", "taskReferenceName": "x1"}, map[string]any{"name": "work", "taskReferenceName": "x2", "type": "SIMPLE"}},
		"inputs": map[string]any{"x1": map[string]any{"n": 1}, "x2": map[string]any{"n": 2}},
	}
	e := runBoth(t, def, in, WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"x1": map[string]any{"n": float64(1)}, "x2": map[string]any{"n": float64(2)}}, e.Output["j"])
	assert.Equal(t, []string{"f", "x1", "x2", "j"}, refs(e))

	in["tasks"] = "not a list"
	e = runBoth(t, def, in, WithWorker("work", echoWorker))
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrMalformed)
}

func TestInlineValueParam(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"i","taskReferenceName":"i","type":"INLINE",
	  "inputParameters":{"evaluatorType":"value-param","expression":"v","v":"${workflow.input.v}"}}],"outputParameters":{"r":"${i.output.result}"}}`
	e := runBoth(t, def, map[string]any{"v": []any{1, "a"}})
	assert.Equal(t, []any{float64(1), "a"}, e.Output["r"])
}

func TestInlineJavaScript(t *testing.T) {
	js := fakeJS{"$.a + 1": func(in map[string]any) any { return in["a"].(float64) + 1 }}
	def := `{"name":"w","tasks":[{"name":"i","taskReferenceName":"i","type":"INLINE",
	  "inputParameters":{"evaluatorType":"javascript","expression":"$.a + 1","a":"${workflow.input.a}"}}],"outputParameters":{"r":"${i.output.result}"}}`
	e := runBoth(t, def, map[string]any{"a": 1}, WithJavaScript(js))
	assert.Equal(t, float64(2), e.Output["r"])
}

// Retry and timeout policies run on synctest's virtual clock, in the definition's own seconds:
// the waits are exact and take no real time.
func TestRetriesDoNotCorruptState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		flaky := func(_ context.Context, in map[string]any) (map[string]any, error) {
			in["mutated"] = true // the worker's own copy: harmless
			if calls.Add(1)%3 != 0 {
				return nil, errors.New("flaky")
			}
			return map[string]any{"ok": in["v"]}, nil
		}
		def := `{"name":"w","tasks":[{"name":"flaky","taskReferenceName":"f","inputParameters":{"v":"${workflow.input.v}"},
		  "taskDefinition":{"name":"flaky","retryCount":2,"retryLogic":"LINEAR_BACKOFF","retryDelaySeconds":1,"backoffScaleFactor":2}}],
		  "outputParameters":{"f":"${f.output}","in":"${f.input}"}}`
		start := time.Now()
		e := runBoth(t, def, map[string]any{"v": "x"}, WithWorker("flaky", flaky))
		assert.Equal(t, 2*(2+4)*time.Second, time.Since(start), "waits of 1s×2×1 and 1s×2×2, in each strategy's run")
		require.Equal(t, StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, map[string]any{"ok": "x"}, e.Output["f"])
		assert.Equal(t, map[string]any{"v": "x"}, e.Output["in"])
		assert.Equal(t, 3, e.Tasks[2].Attempts)
		// The earlier attempts are entries of their own, as in Conductor's task list.
		assert.Equal(t, []string{"f:FAILED", "f:FAILED", "f:COMPLETED"}, summary(e))
		assert.Equal(t, []int{1, 2, 3}, []int{e.Tasks[0].Attempts, e.Tasks[1].Attempts, e.Tasks[2].Attempts})
		assert.Equal(t, []int{0, 1, 2}, []int{e.Tasks[0].RetryCount, e.Tasks[1].RetryCount, e.Tasks[2].RetryCount})
		assert.Equal(t, e.Tasks[0].TaskID, e.Tasks[1].RetriedTaskID)
		assert.Equal(t, e.Tasks[1].TaskID, e.Tasks[2].RetriedTaskID)
		assert.Equal(t, map[string]any{"v": "x"}, e.Tasks[0].Input)
	})
}

func TestRetriesExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failing := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
		def := `{"name":"w","tasks":[{"name":"bad","taskReferenceName":"b"},{"name":"bad","taskReferenceName":"never"}]}`
		td := &TaskDef{Name: "bad", RetryCount: 2, RetryLogic: "EXPONENTIAL_BACKOFF", RetryDelaySeconds: 1}
		start := time.Now()
		e := runBoth(t, def, nil, WithWorker("bad", failing), WithTaskDefs(td))
		assert.Equal(t, 2*(1+2)*time.Second, time.Since(start), "waits of 1s and 2s, in each strategy's run")
		require.Equal(t, StatusFailed, e.Status)
		var te *TaskError
		require.ErrorAs(t, e.Err, &te)
		assert.Equal(t, "b", te.Task)
		assert.Equal(t, 3, te.Attempts)
		assert.ErrorIs(t, e.Err, ErrTaskFailed)
		assert.Equal(t, []string{"b:FAILED", "b:FAILED", "b:FAILED"}, summary(e))
	})
}

func TestOptionalTask(t *testing.T) {
	failing := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
	def := `{"name":"w","tasks":[{"name":"bad","taskReferenceName":"b","optional":true},
	  {"name":"work","taskReferenceName":"next","inputParameters":{"b":"${b.output.x}"}}],"outputParameters":{"n":"${next.output}"}}`
	e := runBoth(t, def, nil, WithWorker("bad", failing), WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status)
	assert.Equal(t, []string{"b:COMPLETED_WITH_ERRORS", "next:COMPLETED"}, summary(e))
	assert.Equal(t, map[string]any{"b": nil}, e.Output["n"])
}

// sleeper works for an hour, or until ctx is done: longer than any timeout of the tests.
func sleeper(ctx context.Context, in map[string]any) (map[string]any, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Hour):
		return in, nil
	}
}

func TestTaskTimeout(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"sleep","taskReferenceName":"s","taskDefinition":{"name":"sleep","timeoutSeconds":5,"timeoutPolicy":"%s"}}]}`
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		e := runBoth(t, fmt.Sprintf(def, "TIME_OUT_WF"), nil, WithWorker("sleep", sleeper))
		assert.Equal(t, 2*5*time.Second, time.Since(start), "timeoutSeconds, in each strategy's run")
		assert.Equal(t, StatusTimedOut, e.Status)
		assert.ErrorIs(t, e.Err, ErrTimedOut)
		assert.Equal(t, 1, strings.Count(e.Err.Error(), "conductor:"), "the text names the package once: %v", e.Err)
		assert.NotContains(t, e.Err.Error(), "baton:", "nor Baton's beneath it")
		assert.Equal(t, []string{"s:TIMED_OUT"}, summary(e))
	})
	synctest.Test(t, func(t *testing.T) {
		// Conductor: RETRY retries a timed-out task; one whose last attempt timed out times the
		// run out.
		start := time.Now()
		retried := `{"name":"w","tasks":[{"name":"sleep","taskReferenceName":"s","taskDefinition":{"name":"sleep","retryCount":1,"timeoutSeconds":5,"timeoutPolicy":"%s"}}]}`
		e := runBoth(t, fmt.Sprintf(retried, "RETRY"), nil, WithWorker("sleep", sleeper))
		assert.Equal(t, 2*2*5*time.Second, time.Since(start), "two attempts, in each strategy's run")
		assert.Equal(t, StatusTimedOut, e.Status)
		assert.ErrorIs(t, e.Err, ErrTimedOut)
		s, _ := e.Task("s")
		assert.Equal(t, 2, s.Attempts)
		assert.Equal(t, TaskTimedOut, s.Status)
		// TIME_OUT_WF does not retry: the run times out at the first timeout.
		start = time.Now()
		e = runBoth(t, fmt.Sprintf(retried, "TIME_OUT_WF"), nil, WithWorker("sleep", sleeper))
		assert.Equal(t, 2*5*time.Second, time.Since(start))
		assert.Equal(t, StatusTimedOut, e.Status)
		s, _ = e.Task("s")
		assert.Equal(t, 1, s.Attempts)
	})
	synctest.Test(t, func(t *testing.T) {
		// ALERT_ONLY: Conductor only counts the timeout; the task runs on.
		nap := func(ctx context.Context, in map[string]any) (map[string]any, error) {
			time.Sleep(8 * time.Second)
			return map[string]any{"woke": true}, ctx.Err()
		}
		e := runBoth(t, fmt.Sprintf(def, "ALERT_ONLY"), nil, WithWorker("sleep", nap))
		assert.Equal(t, StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, map[string]any{"woke": true}, e.Output, "no outputParameters: the last task's output")
	})
}

func TestWorkflowTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		def := `{"name":"w","timeoutSeconds":10,"tasks":[{"name":"sleep","taskReferenceName":"s"}]}`
		start := time.Now()
		e := runBoth(t, def, nil, WithWorker("sleep", sleeper))
		assert.Equal(t, 2*10*time.Second, time.Since(start), "the workflow's timeoutSeconds, in each strategy's run")
		assert.Equal(t, StatusTimedOut, e.Status)
		assert.ErrorIs(t, e.Err, ErrTimedOut)
	})
}

func TestCancelledRunIsTerminated(t *testing.T) {
	for _, s := range strategies {
		synctest.Test(t, func(t *testing.T) {
			rt, err := New(WithStrategy(s), WithWorker("sleep", sleeper))
			require.NoError(t, err)
			w, err := rt.Load([]byte(`{"name":"w","tasks":[{"name":"sleep","taskReferenceName":"s"}]}`))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			start := time.Now()
			e, err := w.Run(ctx, nil)
			assert.Equal(t, 5*time.Millisecond, time.Since(start), "the run stops when its context does")
			cancel()
			assert.ErrorIs(t, err, ErrTerminated)
			assert.Equal(t, StatusTerminated, e.Status)
			require.NoError(t, w.Close())
			_, err = w.Run(context.Background(), nil)
			assert.ErrorIs(t, err, ErrClosed)
		})
	}
}

func TestStrictExpressionsFailTheTask(t *testing.T) {
	def := `{"name":"w","tasks":[{"name":"work","taskReferenceName":"a","inputParameters":{"x":"${workflow.input.missing}"}}]}`
	e := runBoth(t, def, nil, WithWorker("work", echoWorker), WithStrictExpressions())
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrUnresolved)
	e = runBoth(t, def, nil, WithWorker("work", echoWorker))
	assert.Equal(t, StatusCompleted, e.Status)
}

func TestConcurrentRuns(t *testing.T) {
	for _, s := range strategies {
		rt, err := New(WithStrategy(s), WithWorker("work", echoWorker), WithWorker("slow", echoWorker))
		require.NoError(t, err)
		w, err := rt.Load([]byte(forkDef))
		require.NoError(t, err)
		errs := make(chan error, 50)
		for i := range 50 {
			go func() {
				e, err := w.Run(context.Background(), map[string]any{"i": i})
				if err == nil && e.Output["after"].(map[string]any)["a"] != "a2" {
					err = fmt.Errorf("run %d: bad output %v", i, e.Output)
				}
				errs <- err
			}()
		}
		for range 50 {
			require.NoError(t, <-errs)
		}
		require.NoError(t, w.Close())
	}
}

var _ = baton.Orchestrated
