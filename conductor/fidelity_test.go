package conductor

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file check what Conductor does (issue 15), each under both strategies
// (runBoth), on Conductor's own definitions where there is one (testdata/definitions) and on
// small ones otherwise.

func failing(msg string) Worker {
	return func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New(msg) }
}

func output(out map[string]any) Worker {
	return func(context.Context, map[string]any) (map[string]any, error) { return out, nil }
}

// Conductor: without outputParameters, the run's output is the output of the last task
// scheduled (DeciderService.updateWorkflowOutput).
func TestOutputWithoutOutputParameters(t *testing.T) {
	loop := fakeJS{"$.l.iteration < 2": func(in map[string]any) any { return in["l"].(map[string]any)["iteration"].(float64) < 2 }}
	tests := []struct {
		name string
		def  string
		want map[string]any
	}{
		{"the last task", wf(task("a", "a", ""), task("b", "b", "")), map[string]any{"from": "b"}},
		{"a loop's last body task, not the loop", wf(`{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"$.l.iteration < 2","loopOver":[` + task("b", "b", "") + `]}`),
			map[string]any{"from": "b"}},
		{"a branch's later task, scheduled after the JOIN",
			wf(`{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[`+task("a", "a", "")+`,`+task("b", "b", "")+`],[`+task("c", "c", "")+`]]}`, `{"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["b","c"]}`),
			map[string]any{"from": "b"}},
		{"the JOIN when each branch has one task",
			wf(`{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[`+task("a", "a", "")+`],[`+task("c", "c", "")+`]]}`, `{"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["a","c"]}`),
			map[string]any{"a": map[string]any{"from": "a"}, "c": map[string]any{"from": "c"}}},
		{"a TERMINATE's workflowOutput", wf(task("a", "a", ""), `{"name":"t","taskReferenceName":"t","type":"TERMINATE","inputParameters":{"terminationStatus":"COMPLETED","workflowOutput":{"x":"${a.output.from}"}}}`),
			map[string]any{"x": "a"}},
		{"a TERMINATE without one: empty", wf(task("a", "a", ""), `{"name":"t","taskReferenceName":"t","type":"TERMINATE","inputParameters":{"terminationStatus":"COMPLETED"}}`),
			map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := runBoth(t, tt.def, nil, WithJavaScript(loop), WithWorkers(map[string]Worker{
				"a": output(map[string]any{"from": "a"}), "b": output(map[string]any{"from": "b"}), "c": output(map[string]any{"from": "c"}),
			}))
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, tt.want, e.Output)
		})
	}
}

// Conductor evaluates outputParameters when a run fails too.
func TestFailedRunHasOutput(t *testing.T) {
	def := `{"name":"w","tasks":[` + task("a", "a", "") + `,` + task("bad", "b", "") + `],
	  "outputParameters":{"a":"${a.output.from}","b":"${b.output.x}","in":"${workflow.input.k}","st":"${b.status}"}}`
	e := runBoth(t, def, map[string]any{"k": "v"}, WithWorker("a", output(map[string]any{"from": "a"})), WithWorker("bad", failing("down")))
	require.Equal(t, StatusFailed, e.Status)
	assert.Equal(t, map[string]any{"a": "a", "b": nil, "in": "v", "st": "FAILED"}, e.Output)

	// Without outputParameters: the failed task's output, empty.
	e = runBoth(t, wf(task("a", "a", ""), task("bad", "b", "")), nil, WithWorker("a", output(map[string]any{"from": "a"})), WithWorker("bad", failing("down")))
	require.Equal(t, StatusFailed, e.Status)
	assert.Equal(t, map[string]any{}, e.Output)
}

// Inside a DO_WHILE, ${loop.iteration} and ${loop['iteration']} are the current iteration.
func TestLoopIterationInsideTheLoop(t *testing.T) {
	js := fakeJS{"$.l.iteration < 3": func(in map[string]any) any { return in["l"].(map[string]any)["iteration"].(float64) < 3 }}
	def := wf(`{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"$.l.iteration < 3","loopOver":[` +
		task("work", "b", `{"i":"${l.iteration}","q":"${l['iteration']}","o":"${l.output.iteration}","s":"at ${l.iteration}"}`) + `]}`)
	e := runBoth(t, def, nil, WithJavaScript(js), WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	var got []any
	for _, tr := range e.Tasks {
		if tr.Ref == "b" {
			got = append(got, tr.Input)
		}
	}
	require.Len(t, got, 3)
	for i, in := range got {
		n := float64(i + 1)
		assert.Equal(t, map[string]any{"i": n, "q": n, "o": n, "s": "at " + javaNumber(n)}, in)
	}
	l, _ := e.Task("l")
	assert.Equal(t, 3, l.Iteration)
}

// Conductor renders values inside a longer string with Java's Objects.toString.
func TestJavaTextInStrings(t *testing.T) {
	def := wf(task("work", "a", `{"s":"n=${workflow.input.none} m=${workflow.input.m} l=${workflow.input.l} f=${workflow.input.f} i=${workflow.input.i}"}`))
	e := runBoth(t, def, map[string]any{"m": map[string]any{"b": 2, "a": "x"}, "l": []any{1, "two", nil}, "f": 2.5, "i": 7}, WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, "n=null m={a=x, b=2} l=[1, two, null] f=2.5 i=7", e.Output["s"])
	for f, want := range map[float64]string{1e7: "10000000", 12500000.5: "1.25000005E7", 1.5e10: "15000000000", 0.0005: "5.0E-4", 123.25: "123.25", -2: "-2"} {
		assert.Equal(t, want, javaNumber(f), "%v", f)
	}
}

// Conductor's simple_workflow_1_input_template_integration_test, as
// WorkflowAndTaskConfigurationSpec "test workflow with input template parsing" runs it.
func TestWorkflowInputTemplate(t *testing.T) {
	defs := loadDefs(t)
	e := runBoth(t, string(defs["simple_workflow_1_input_template_integration_test"]), map[string]any{"param3": "external string"},
		WithWorker("integration_task_1", output(map[string]any{"op": "task1.done"})))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{
		"output": "task1.done", "param3": "external string",
		"param2": []any{"list", "of", "strings"}, "param1": map[string]any{"nested_object": map[string]any{"nested_key": "nested_value"}},
	}, e.Output)
}

// A task definition's inputTemplate fills the keys the task lacks, and the inputs that resolve
// to null.
func TestTaskInputTemplate(t *testing.T) {
	td := &TaskDef{Name: "work", InputTemplate: map[string]any{"a": "default-a", "b": "default-b", "c": "${workflow.input.c}"}}
	e := runBoth(t, wf(task("work", "t", `{"a":"${workflow.input.missing}","b":"given"}`)), map[string]any{"c": "from input"},
		WithWorker("work", echoWorker), WithTaskDefs(td))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"a": "default-a", "b": "given", "c": "from input"}, e.Output)
}

// Conductor's simple_workflow_with_permissive_task_integration_test, as
// WorkflowAndTaskConfigurationSpec "Test simple workflow which has a permissive task" runs it:
// the permissive task fails after its retry, the next task runs, then the run fails.
func TestPermissiveTask(t *testing.T) {
	defs := loadDefs(t)
	e := runBoth(t, string(defs["simple_workflow_with_permissive_task_integration_test"]), map[string]any{"param1": "p1", "param2": "p2"},
		WithWorker("task_permissive", failing("NETWORK ERROR")), WithWorker("integration_task_2", output(map[string]any{"uuid": "u"})))
	require.Equal(t, StatusFailed, e.Status)
	assert.Equal(t, []string{"t1:FAILED", "t1:FAILED", "t2:COMPLETED"}, summary(e)) // its retry, then its failure
	t1, _ := e.Task("t1")
	assert.Equal(t, 2, t1.Attempts)
	assert.Equal(t, "Task "+t1.TaskID+" failed with status: FAILED and reason: 'NETWORK ERROR'", e.Reason)
	assert.ErrorIs(t, e.Err, ErrTaskFailed)
	var te *TaskError
	require.ErrorAs(t, e.Err, &te)
	assert.Equal(t, "t1", te.Task)
	assert.Equal(t, map[string]any{"o1": "p1", "o2": "u", "o3": nil}, e.Output)

	// Permissive and optional: optional wins, the run completes.
	e = runBoth(t, string(defs["simple_workflow_with_permissive_optional_task_integration_test"]), map[string]any{"param1": "p1"},
		WithEcho(), WithWorker("task_optional", failing("NETWORK ERROR")))
	assert.Equal(t, StatusCompleted, e.Status, e.Reason)
}

// Conductor's fork_join_permissive_integration_test, as ForkJoinSpec "Test a simple workflow
// with fork join permissive failure flow" runs it: the other branch completes, the JOIN fails.
func TestPermissiveForkJoin(t *testing.T) {
	defs := loadDefs(t)
	e := runBoth(t, string(defs["fork_join_permissive_integration_test"]), nil,
		WithEcho(), WithWorker("integration_task_1", failing("boom")))
	require.Equal(t, StatusFailed, e.Status)
	assert.Equal(t, []string{"fanouttask:COMPLETED", "t1:FAILED", "t2:COMPLETED", "fanouttask_join:FAILED"}, summary(e))
	_, ran := e.Task("t3")
	assert.False(t, ran)
}

// A JOIN's output leaves out empty outputs; after optional tasks that failed it completes with
// errors; its input has joinOn. A SWITCH's input has case, its output selectedCase.
func TestJoinAndSwitchAsConductor(t *testing.T) {
	def := forkWith(`["a","b","c"]`, task("work", "next", `{"on":"${j.input.joinOn}","st":"${j.status}"}`), `{"j":"${j.output}"}`,
		task("work", "a", `{"v":1}`), `{"name":"bad","taskReferenceName":"b","optional":true}`, task("empty", "c", ""))
	e := runBoth(t, def, nil, WithWorker("work", echoWorker), WithWorker("bad", failing("down")), WithWorker("empty", output(nil)))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"j": map[string]any{"a": map[string]any{"v": float64(1)}}}, e.Output)
	j, _ := e.Task("j")
	assert.Equal(t, TaskCompletedWithErrors, j.Status)
	assert.Contains(t, j.Reason, "completed with errors")
	next, _ := e.Task("next")
	assert.Equal(t, map[string]any{"on": []any{"a", "b", "c"}, "st": "COMPLETED_WITH_ERRORS"}, next.Input)

	sw := wf(`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"value-param","expression":"k","inputParameters":{"k":"${workflow.input.k}"},
	  "decisionCases":{"x":[` + task("work", "x", "") + `]}}`)
	e = runBoth(t, sw, map[string]any{"k": "x"}, WithWorker("work", echoWorker))
	s, _ := e.Task("s")
	assert.Equal(t, map[string]any{"k": "x", "case": "x", "hasChildren": "true"}, s.Input)
	assert.Equal(t, map[string]any{"evaluationResult": []any{"x"}, "selectedCase": "x"}, s.Output)
}

// Conductor fails the run when a dynamic fork's inputs are not a map, or one of them is not.
func TestDynamicForkInvalidInput(t *testing.T) {
	def := wf(`{"name":"d","taskReferenceName":"d","type":"FORK_JOIN_DYNAMIC","dynamicForkTasksParam":"t","dynamicForkTasksInputParamName":"i",
	  "inputParameters":{"t":[{"name":"work","taskReferenceName":"x1"}],"i":"${workflow.input.i}"}}`, `{"name":"j","taskReferenceName":"j","type":"JOIN"}`)
	for _, in := range []any{"not a map", map[string]any{"x1": "not a map"}, []any{1}} {
		e := runBoth(t, def, map[string]any{"i": in}, WithWorker("work", echoWorker))
		assert.Equal(t, StatusFailed, e.Status, "%v", in)
		assert.ErrorIs(t, e.Err, ErrMalformed)
		assert.ErrorContains(t, e.Err, "not a map")
		_, ran := e.Task("x1")
		assert.False(t, ran, "no forked task runs")
	}
	e := runBoth(t, def, map[string]any{"i": map[string]any{"x1": nil}}, WithWorker("work", echoWorker))
	assert.Equal(t, StatusCompleted, e.Status, "a null input is an empty one: %s", e.Reason)
}

// Dynamic forks written with forkTaskName (or forkTaskWorkflow) and forkTaskInputs.
func TestDynamicForkSimpleForm(t *testing.T) {
	def := wf(`{"name":"d","taskReferenceName":"d","type":"FORK_JOIN_DYNAMIC",
	  "inputParameters":{"forkTaskName":"work","forkTaskInputs":[{"a":1},"two"]}}`, `{"name":"j","taskReferenceName":"j","type":"JOIN"}`)
	e := runBoth(t, def, nil, WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, []string{"d", "_work_0", "_work_1", "j"}, refs(e))
	j, _ := e.Task("j")
	assert.Equal(t, map[string]any{
		"_work_0": map[string]any{"a": float64(1), "__index": float64(0)},
		"_work_1": map[string]any{"input": "two", "__index": float64(1)},
	}, j.Output)

	child := &WorkflowDef{Name: "child", Version: 1, Tasks: []*WorkflowTask{{Name: "work", TaskReferenceName: "c", InputParameters: map[string]any{"got": "${workflow.input.input}"}}},
		OutputParameters: map[string]any{"got": "${c.output.got}"}}
	def = wf(`{"name":"d","taskReferenceName":"d","type":"FORK_JOIN_DYNAMIC",
	  "inputParameters":{"forkTaskWorkflow":"child","forkTaskWorkflowVersion":"1","forkTaskInputs":["x","y"]}}`, `{"name":"j","taskReferenceName":"j","type":"JOIN"}`)
	e = runBoth(t, def, nil, WithWorker("work", echoWorker), WithDefinitions(child))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	j, _ = e.Task("j")
	assert.Equal(t, "y", j.Output["_d_1"].(map[string]any)["got"])
}

// ${workflow.env.*} and ${workflow.secrets.*} through options; a secret stays as written in the
// log and reaches the worker.
func TestEnvAndSecrets(t *testing.T) {
	var got map[string]any
	spy := func(_ context.Context, in map[string]any) (map[string]any, error) {
		got = in
		return map[string]any{"ok": true}, nil
	}
	def := `{"name":"w","tasks":[` + task("spy", "a", `{"pwd":"${workflow.secrets.DB_PASSWORD}","dsn":"u:${workflow.secrets.DB_PASSWORD}@h","region":"${workflow.env.REGION}","port":"${workflow.env.CFG.port}"}`) + `],
	  "outputParameters":{"in":"${a.input.pwd}"}}`
	e := runBoth(t, def, nil, WithWorker("spy", spy),
		WithEnv(LookupMap(map[string]string{"REGION": "us-east-1", "CFG": `{"port":5432}`})),
		WithSecrets(LookupMap(map[string]string{"DB_PASSWORD": "s3cr3t"})))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"pwd": "s3cr3t", "dsn": "u:s3cr3t@h", "region": "us-east-1", "port": float64(5432)}, got)
	a, _ := e.Task("a")
	assert.Equal(t, "${workflow.secrets.DB_PASSWORD}", a.Input["pwd"], "the log keeps the literal")
	assert.Equal(t, map[string]any{"in": "${workflow.secrets.DB_PASSWORD}"}, e.Output)

	// Without the options: env is null, the secret stays as written everywhere.
	e = runBoth(t, def, nil, WithWorker("spy", spy))
	assert.Equal(t, map[string]any{"pwd": "${workflow.secrets.DB_PASSWORD}", "dsn": "u:${workflow.secrets.DB_PASSWORD}@h", "region": nil, "port": nil}, got)
}

// A reference to a task the definition does not have loads, with a warning, and is null; under
// WithStrictExpressions it is an error.
func TestUnknownTaskReference(t *testing.T) {
	def := wf(task("work", "a", `{"x":"${ghost.output.x}","t":"v=${ghost.output.x}"}`))
	e := runBoth(t, def, nil, WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"x": nil, "t": "v=null"}, e.Output)

	rt, err := New(WithWorker("work", echoWorker))
	require.NoError(t, err)
	w, err := rt.Load([]byte(def))
	require.NoError(t, err)
	defer w.Close()
	warns := w.Warnings()
	require.Len(t, warns, 2)
	var de *DefinitionError
	require.ErrorAs(t, warns[0], &de)
	assert.ErrorIs(t, warns[0], ErrUnknownRef)
	assert.Equal(t, "a", de.Task)
	assert.Equal(t, "inputParameters.t", de.Field)
	assert.Contains(t, warns[0].Error(), `"ghost"`)

	strict, err := New(WithWorker("work", echoWorker), WithStrictExpressions())
	require.NoError(t, err)
	_, err = strict.Load([]byte(def))
	assert.ErrorIs(t, err, ErrUnknownRef)
}

// A task's startTime, endTime and scheduledTime are epoch milliseconds (each strategy on a
// synctest clock of its own, which starts at the same time).
func TestTaskTimeFields(t *testing.T) {
	for _, st := range strategies {
		synctest.Test(t, func(t *testing.T) {
			slow := func(_ context.Context, in map[string]any) (map[string]any, error) {
				time.Sleep(3 * time.Second)
				return in, nil
			}
			def := `{"name":"w","tasks":[` + task("slow", "a", "") + `,` + task("work", "b", `{"s":"${a.startTime}","e":"${a.endTime}","sc":"${a.scheduledTime}"}`) + `]}`
			start := time.Now().UnixMilli()
			e := run(t, st, def, nil, WithWorker("work", echoWorker), WithWorker("slow", slow))
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, map[string]any{"s": float64(start), "e": float64(start + 3000), "sc": float64(start)}, e.Output, "%v", st)
		})
	}
}

// A DO_WHILE over items: one iteration per item, loopItem and loopIndex in its output; an empty
// list runs none.
func TestDoWhileOverItems(t *testing.T) {
	def := wf(`{"name":"l","taskReferenceName":"l","type":"DO_WHILE","items":"${workflow.input.items}","loopOver":[` +
		task("work", "b", `{"item":"${l.output.loopItem}","index":"${l.output.loopIndex}"}`) + `]}`)
	e := runBoth(t, def, map[string]any{"items": []any{"x", "y", "z"}}, WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	var got []any
	for _, tr := range e.Tasks {
		if tr.Ref == "b" {
			got = append(got, tr.Input["item"], tr.Input["index"])
		}
	}
	assert.Equal(t, []any{"x", float64(0), "y", float64(1), "z", float64(2)}, got)
	l, _ := e.Task("l")
	assert.Equal(t, float64(3), l.Output["iteration"])

	e = runBoth(t, def, map[string]any{"items": []any{}}, WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, []string{"l:COMPLETED"}, summary(e))

	// _items, with a condition that stops it earlier.
	js := fakeJS{"$.loopIndex < 1": func(in map[string]any) any { return in["loopIndex"].(float64) < 1 }}
	def = wf(`{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"$.loopIndex < 1","inputParameters":{"_items":"${workflow.input.items}"},"loopOver":[` + task("work", "b", "") + `]}`)
	e = runBoth(t, def, map[string]any{"items": []any{1, 2, 3}}, WithWorker("work", echoWorker), WithJavaScript(js))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, []string{"l:COMPLETED", "b:COMPLETED", "b:COMPLETED"}, summary(e)) // the loop first, as Conductor schedules it
}

// A DO_WHILE whose inputParameters name its own output; one without a loopCondition runs once,
// as Conductor's (its condition is false).
func TestDoWhileNamingItsOwnOutput(t *testing.T) {
	js := fakeJS{"$.it < 3": func(in map[string]any) any { return in["it"].(float64) < 3 }}
	def := wf(`{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopCondition":"$.it < 3","inputParameters":{"it":"${l.output.iteration}"},"loopOver":[` + task("work", "b", "") + `]}`)
	e := runBoth(t, def, nil, WithWorker("work", echoWorker), WithJavaScript(js))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	l, _ := e.Task("l")
	assert.Equal(t, float64(3), l.Output["iteration"])
}

// Conductor's simple_workflow_with_sub_workflow_inline_def_integration_test: the child is given
// inline. And a child given by an expression, compiled when the task runs.
func TestSubWorkflowDefinitionForms(t *testing.T) {
	defs := loadDefs(t)
	e := runBoth(t, string(defs["simple_workflow_with_sub_workflow_inline_def_integration_test"]), map[string]any{"param1": "p1", "param2": "p2"},
		WithEcho(), WithWorker("integration_task_1", output(map[string]any{"op": "t1op", "imageType": "png"})),
		WithWorker("integration_task_3", func(_ context.Context, in map[string]any) (map[string]any, error) {
			return map[string]any{"op": "child saw " + in["p1"].(string)}, nil
		}))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	swt, _ := e.Task("swt")
	assert.Equal(t, "child saw png", swt.Output["op"])
	assert.Equal(t, map[string]any{"o3": "t1op"}, e.Output)

	builder := output(map[string]any{"def": map[string]any{"name": "built", "version": 1, "tasks": []any{
		map[string]any{"name": "work", "taskReferenceName": "c", "inputParameters": map[string]any{"v": "${workflow.input.v}"}}},
		"outputParameters": map[string]any{"v": "${c.output.v}"}}})
	def := wf(task("builder", "b", ""), `{"name":"s","taskReferenceName":"s","type":"SUB_WORKFLOW","inputParameters":{"v":"hello"},
	  "subWorkflowParam":{"workflowDefinition":"${b.output.def}"}}`)
	e = runBoth(t, def, nil, WithWorker("builder", builder), WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	s, _ := e.Task("s")
	assert.Equal(t, "hello", s.Output["v"])
	assert.Equal(t, "wf-1/s", s.Output["subWorkflowId"])

	// A built definition that does not compile fails the task, with the definition's error.
	e = runBoth(t, def, nil, WithWorker("builder", output(map[string]any{"def": map[string]any{"name": "bad", "tasks": []any{map[string]any{"name": "work"}}}})), WithWorker("work", echoWorker))
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrInvalidDefinition)
}

// Conductor's kitchensink wf1.json, written in schemaVersion 1 ("workflow.input.mod").
func TestSchemaVersion1(t *testing.T) {
	defs := loadDefs(t)
	sub, err := ParseWorkflow(defs["kitchensink_sub_flow_1"])
	require.NoError(t, err)
	e := runBoth(t, string(defs["kitchensink_wf1"]), map[string]any{"mod": 1, "oddEven": 1, "task2Name": "task_x"}, WithEcho(), WithDefinitions(sub),
		WithWorker("task_x", output(map[string]any{"mod": 2, "oddEven": 1})))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	t1, _ := e.Task("task_1")
	assert.Equal(t, map[string]any{"mod": float64(1), "oddEven": float64(1)}, t1.Input)
	t3, _ := e.Task("task_3")
	assert.Equal(t, map[string]any{"mod": float64(2), "oddEven": float64(1)}, t3.Input)
	d, _ := e.Task("oddEvenDecision")
	assert.Equal(t, []any{"1"}, d.Output["caseOutput"])
}

// Refusals name the Conductor feature, the task and the field; JSON errors name the task; load
// errors come in the same order every time.
func TestRefusalMessages(t *testing.T) {
	rt, err := New(WithWorker("work", echoWorker), WithJavaScript(fakeJS{}))
	require.NoError(t, err)
	_, err = rt.Load([]byte(wf(`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"python","expression":"x"}`)))
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.EqualError(t, err, `conductor: workflow "w": task "s": evaluatorType: Conductor feature SWITCH evaluatorType "python" (supported: value-param, javascript, graaljs) is not supported`)

	_, err = rt.Load([]byte(wf(`{"name":"d","taskReferenceName":"d","type":"FORK_JOIN_DYNAMIC","dynamicForkJoinTasksParam":"x"}`, `{"name":"j","taskReferenceName":"j","type":"JOIN"}`)))
	assert.ErrorIs(t, err, ErrUnsupported)
	var de *DefinitionError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "d", de.Task)
	assert.Equal(t, "dynamicForkJoinTasksParam", de.Field)

	_, err = rt.Load([]byte(`{"name":"w","tasks":[{"name":"work","taskReferenceName":"a"},{"name":"work","taskReferenceName":"b","retryCount":"three"}]}`))
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "b", de.Task)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), `task "b"`)

	many := wf(task("work", "a", `{"z":"${nope1.output}","y":"${a.outptu}","x":"${workflow.inputs}","w":"${zz.output","v":"${b.output.x}"}`), task("work", "b", ""))
	strict, err := New(WithWorker("work", echoWorker), WithStrictExpressions())
	require.NoError(t, err)
	_, first := strict.Load([]byte(many))
	require.Error(t, first)
	for range 20 {
		_, err := strict.Load([]byte(many))
		require.Equal(t, first.Error(), err.Error())
	}
	assert.Equal(t, 5, strings.Count(first.Error(), "conductor:"), first.Error())
}

// The cases of Conductor's ParametersUtilsTest, on the workflow's input.
func TestConductorParameterCases(t *testing.T) {
	input := map[string]any{
		"name": "conductor", "version": 2, "index": 1, "mapValue": "a", "recordIds": []any{1, 2, 3},
		"map":        map[string]any{"a": []any{1, 2, 3}, "b": []any{2, 4, 5}, "c": []any{3, 7, 8}},
		"externalId": `{"taskRefName":"t001","workflowId":"w002"}`,
		"someString": "conductor",
		"someNumber": 2,
	}
	params := map[string]any{
		"k1": "${workflow.input.recordIds[${workflow.input.index}]}",
		"k2": "${workflow.input.map.${workflow.input.mapValue}[${workflow.input.index}]}",
		"k3": "${workflow.input.map.b[${workflow.input.map.${workflow.input.mapValue}[${workflow.input.index}]}]}",
		"k4": "${}", "k5": "${    }",
		"k6":   "${$.workflow.input.externalId}",
		"k7":   "Name: ${workflow.input.name};\r\nVersion: ${workflow.input.version};",
		"k8":   "${workflow.input.someString} $${workflow.input.someNumber}${workflow.input.someNumber} ${workflow.input.someNumber}$${workflow.input.someString}",
		"k9":   "beforeText $${workflow.input.someString}",
		"map":  map[string]any{"name": "${workflow.input.name}", "c": "$${workflow.input.someString} ${workflow.input.someNumber}"},
		"list": []any{"${workflow.input.name}", "${workflow.input.version}"},
	}
	def := &WorkflowDef{Name: "p", Tasks: []*WorkflowTask{{Name: "work", TaskReferenceName: "a", InputParameters: params}}}
	data, err := json.Marshal(def)
	require.NoError(t, err)
	e := runBoth(t, string(data), input, WithWorker("work", echoWorker))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{
		"k1": float64(2), "k2": float64(2), "k3": float64(5), "k4": "", "k5": "",
		"k6":   `{"taskRefName":"t001","workflowId":"w002"}`,
		"k7":   "Name: conductor;\r\nVersion: 2;",
		"k8":   "conductor ${workflow.input.someNumber}2 2${workflow.input.someString}",
		"k9":   "beforeText ${workflow.input.someString}",
		"map":  map[string]any{"name": "conductor", "c": "${workflow.input.someString} 2"},
		"list": []any{"conductor", float64(2)},
	}, e.Output)
}

// SimpleWorkflowSpec "Test simple workflow terminal error condition": a worker fails for good
// with an output; the run fails, with Conductor's reason, and its outputParameters see the
// failed task's output.
func TestTerminalErrorKeepsTheFailedTaskOutput(t *testing.T) {
	def, err := ParseWorkflow(loadDefs(t)["simple_workflow_1_integration_test"])
	require.NoError(t, err)
	def.OutputParameters["validationErrors"] = "${t1.output.ErrorMessage}"
	data, err := json.Marshal(def)
	require.NoError(t, err)
	calls := 0
	terminal := func(context.Context, map[string]any) (map[string]any, error) {
		calls++
		return map[string]any{"TERMINAL_ERROR": "Integration endpoint down: FOOBAR", "ErrorMessage": "There was a terminal error"},
			baton.Permanent(errors.New("NON TRANSIENT ERROR OCCURRED: An integration point required to complete the task is down"))
	}
	e := runBoth(t, string(data), map[string]any{"param1": "p1 value", "param2": "p2 value"},
		WithWorker("integration_task_1", terminal), WithTaskDefs(&TaskDef{Name: "integration_task_1", RetryCount: 1}), WithEcho())
	require.Equal(t, StatusFailed, e.Status)
	assert.Equal(t, 2, calls, "one attempt in each strategy's run: a terminal error is not retried")
	t1, _ := e.Task("t1")
	assert.Equal(t, "Task "+t1.TaskID+" failed with status: FAILED and reason: 'NON TRANSIENT ERROR OCCURRED: An integration point required to complete the task is down'", e.Reason)
	assert.Equal(t, "p1 value", e.Output["o1"])
	assert.Equal(t, "There was a terminal error", e.Output["validationErrors"])
	assert.Equal(t, "Integration endpoint down: FOOBAR", t1.Output["TERMINAL_ERROR"])
}
