package conductor

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A failed optional task is COMPLETED_WITH_ERRORS, and later expressions see it so: its
// status, its input, an empty output and its reasonForIncompletion.
func TestOptionalFailureIsVisible(t *testing.T) {
	down := func(context.Context, map[string]any) (map[string]any, error) { return nil, errors.New("down") }
	seen := `{"status":"${b.status}","out":"${b.output}","in":"${b.input.v}","reason":"${b.reasonForIncompletion}","x":"${b.output.x}"}`
	want := map[string]any{"status": "COMPLETED_WITH_ERRORS", "out": map[string]any{}, "in": "x", "reason": "down", "x": nil}
	bad := func(extra string) string {
		return `{"name":"bad","taskReferenceName":"b","optional":true,"inputParameters":{"v":"${workflow.input.v}"}` + extra + `}`
	}
	tests := []struct {
		name     string
		def      string
		output   map[string]any
		log      []string
		attempts int           // of b
		took     time.Duration // of a run, on the virtual clock: the policies' waits and timeouts
	}{
		{
			name:   "read by the next task",
			def:    `{"name":"w","tasks":[` + bad("") + `,` + task("work", "next", seen) + `],"outputParameters":{"n":"${next.output}"}}`,
			output: map[string]any{"n": want},
			log:    []string{"b:COMPLETED_WITH_ERRORS", "next:COMPLETED"}, attempts: 1,
		},
		{
			name:   "last task, read by the output",
			def:    `{"name":"w","tasks":[` + task("work", "a", "") + `,` + bad("") + `],"outputParameters":{"n":` + seen + `}}`,
			output: map[string]any{"n": want},
			log:    []string{"a:COMPLETED", "b:COMPLETED_WITH_ERRORS"}, attempts: 1,
		},
		{
			name: "after its retries",
			def: `{"name":"w","tasks":[` + bad(`,"retryCount":2,"taskDefinition":{"name":"bad","retryDelaySeconds":1}`) + `,` +
				task("work", "next", seen) + `],"outputParameters":{"n":"${next.output}"}}`,
			output: map[string]any{"n": want},
			log:    []string{"b:FAILED", "b:FAILED", "b:COMPLETED_WITH_ERRORS", "next:COMPLETED"}, attempts: 3, took: 2 * time.Second, // FIXED: 1s twice
		},
		{
			name: "timed out",
			def: `{"name":"w","tasks":[{"name":"sleep","taskReferenceName":"b","optional":true,"inputParameters":{"v":"${workflow.input.v}"},
			  "taskDefinition":{"name":"sleep","timeoutSeconds":5,"timeoutPolicy":"RETRY"}},` + task("work", "next", `{"status":"${b.status}"}`) + `],
			  "outputParameters":{"n":"${next.output}"}}`,
			output: map[string]any{"n": map[string]any{"status": "COMPLETED_WITH_ERRORS"}},
			log:    []string{"b:COMPLETED_WITH_ERRORS", "next:COMPLETED"}, attempts: 1, took: 5 * time.Second,
		},
		{
			name: "joined",
			def: forkWith(`["b","a"]`, task("work", "next", seen), `{"j":"${j.output}","n":"${next.output}"}`,
				bad(""), task("work", "a", `{"v":1}`)),
			// Conductor: the JOIN leaves out empty outputs, and completes with errors.
			output: map[string]any{"j": map[string]any{"a": map[string]any{"v": float64(1)}}, "n": want},
			log:    []string{"f:COMPLETED", "b:COMPLETED_WITH_ERRORS", "a:COMPLETED", "j:COMPLETED_WITH_ERRORS", "next:COMPLETED"}, attempts: 1,
		},
		{
			name: "followed by a SWITCH on its status",
			def: `{"name":"w","tasks":[` + bad("") + `,{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"value-param","expression":"st",
			  "inputParameters":{"st":"${b.status}"},"decisionCases":{"COMPLETED_WITH_ERRORS":[` + task("work", "fallback", "") + `]}}],
			  "outputParameters":{"case":"${s.output.evaluationResult[0]}"}}`,
			output: map[string]any{"case": "COMPLETED_WITH_ERRORS"},
			log:    []string{"b:COMPLETED_WITH_ERRORS", "s:COMPLETED", "fallback:COMPLETED"}, attempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // the policies' waits and timeouts, on a virtual clock
				start := time.Now()
				e := runBoth(t, tt.def, map[string]any{"v": "x"}, WithWorker("bad", down), WithWorker("work", echoWorker),
					WithWorker("sleep", sleeper))
				assert.Equal(t, 2*tt.took, time.Since(start), "in each strategy's run")
				require.Equal(t, StatusCompleted, e.Status, e.Reason)
				assert.Equal(t, tt.output, e.Output)
				assert.Equal(t, tt.log, summary(e))
				b, ok := e.Task("b")
				require.True(t, ok)
				assert.Equal(t, tt.attempts, b.Attempts)
				assert.Equal(t, map[string]any{"v": "x"}, b.Input, "the log keeps its input")
				assert.Error(t, b.Err)
				assert.NotEmpty(t, b.Reason)
				assert.Equal(t, "wf-1/b", b.TaskID)
			})
		})
	}
}

// In a loop, each iteration's failure is recorded, and a later success replaces it.
func TestOptionalFailureInALoop(t *testing.T) {
	// b fails in odd iterations.
	flaky := func(_ context.Context, in map[string]any) (map[string]any, error) {
		if int(in["i"].(float64))%2 == 1 {
			return nil, errors.New("odd")
		}
		return map[string]any{"ok": in["i"]}, nil
	}
	def := `{"name":"w","tasks":[
	  {"name":"loop","taskReferenceName":"loop","type":"DO_WHILE","loopCondition":"$.loop.iteration < $.times",
	   "inputParameters":{"times":3},
	   "loopOver":[{"name":"flaky","taskReferenceName":"b","optional":true,"inputParameters":{"i":"${loop.output.iteration}"}},
	     {"name":"work","taskReferenceName":"r","inputParameters":{"st":"${b.status}","it":"${b.iteration}"}}]}],
	 "outputParameters":{"loop":"${loop.output}"}}`
	e := runBoth(t, def, nil, WithWorker("flaky", flaky), WithWorker("work", echoWorker), WithJavaScript(counter))
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, []string{"loop:COMPLETED", "b:COMPLETED_WITH_ERRORS", "r:COMPLETED", "b:COMPLETED", "r:COMPLETED",
		"b:COMPLETED_WITH_ERRORS", "r:COMPLETED"}, summary(e))
	loop := e.Output["loop"].(map[string]any)
	assert.Equal(t, map[string]any{"st": "COMPLETED_WITH_ERRORS", "it": float64(1)}, loop["1"].(map[string]any)["r"])
	assert.Equal(t, map[string]any{"st": "COMPLETED", "it": float64(2)}, loop["2"].(map[string]any)["r"])
	assert.Equal(t, map[string]any{}, loop["3"].(map[string]any)["b"])
}

// An optional task whose worker panics, or ignores its timeout and succeeds late, is recorded as
// COMPLETED_WITH_ERRORS too: the record is made when Baton tolerates the step (the stage's
// Tolerate), whatever ended it, not only when the stage returned an error.
func TestOptionalFailureWithoutAnError(t *testing.T) {
	panics := func(context.Context, map[string]any) (map[string]any, error) { panic("worker bug") }
	late := func(context.Context, map[string]any) (map[string]any, error) {
		time.Sleep(2 * time.Second) // ignores its context
		return map[string]any{"late": true}, nil
	}
	next := task("work", "next", `{"status":"${b.status}"}`)
	tests := []struct {
		name, worker, extra string
		want                error
	}{
		{"panic", "panics", ``, baton.ErrPanic},
		{"late success", "late", `,"taskDefinition":{"name":"late","timeoutSeconds":1,"timeoutPolicy":"RETRY"}`, baton.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				def := `{"name":"w","tasks":[{"name":"` + tt.worker + `","taskReferenceName":"b","optional":true,"inputParameters":{"v":"${workflow.input.v}"}` +
					tt.extra + `},` + next + `],"outputParameters":{"n":"${next.output}"}}`
				e := runBoth(t, def, map[string]any{"v": "x"}, WithWorker("panics", panics), WithWorker("late", late), WithWorker("work", echoWorker))
				require.Equal(t, StatusCompleted, e.Status, e.Reason)
				assert.Equal(t, map[string]any{"n": map[string]any{"status": "COMPLETED_WITH_ERRORS"}}, e.Output)
				assert.Equal(t, []string{"b:COMPLETED_WITH_ERRORS", "next:COMPLETED"}, summary(e))
				b, _ := e.Task("b")
				assert.ErrorIs(t, b.Err, tt.want)
				assert.Equal(t, map[string]any{"v": "x"}, b.Input)
			})
		})
	}
}
