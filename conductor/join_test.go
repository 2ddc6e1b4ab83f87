package conductor

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gate lets a test order tasks across branches without sleeping: "signal" tasks put tokens
// (input n, default 1), "gated" tasks take one before they go on, and fail if none comes in
// time. A JOIN that waited for a gated branch whose token comes from after the JOIN would
// never see it.
type gate chan struct{}

func newGate() gate { return make(gate, 8) }

func (g gate) signal(_ context.Context, in map[string]any) (map[string]any, error) {
	n, _ := in["n"].(float64)
	for range max(1, int(n)) {
		g <- struct{}{}
	}
	return in, nil
}

func (g gate) wait(ctx context.Context) error {
	select {
	case <-g:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second):
		return errors.New("no signal: something waited for this task")
	}
}

func (g gate) gated(ctx context.Context, in map[string]any) (map[string]any, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// gatedFail fails once signalled.
func (g gate) gatedFail(ctx context.Context, _ map[string]any) (map[string]any, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return nil, errors.New("boom")
}

// signalThenHold signals, then holds until its run stops it (or, as a safety net, a while).
func (g gate) signalThenHold(ctx context.Context, in map[string]any) (map[string]any, error) {
	g <- struct{}{}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(5 * time.Second):
		return in, nil
	}
}

func (g gate) workers() Option {
	return WithWorkers(map[string]Worker{
		"work": echoWorker, "signal": g.signal, "gated": g.gated, "gatedFail": g.gatedFail, "hold": g.signalThenHold,
	})
}

// forkWith is a workflow of a FORK_JOIN with the given branches (JSON task lists) and JOIN
// joinOn, then the task after.
func forkWith(joinOn string, after string, output string, branches ...string) string {
	bs := ""
	for i, b := range branches {
		if i > 0 {
			bs += ","
		}
		bs += "[" + b + "]"
	}
	return fmt.Sprintf(`{"name":"w","tasks":[
	  {"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[%s]},
	  {"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":%s},
	  %s],
	 "outputParameters":%s}`, bs, joinOn, after, output)
}

func task(name, ref, input string) string {
	if input == "" {
		input = "{}"
	}
	return fmt.Sprintf(`{"name":%q,"taskReferenceName":%q,"inputParameters":%s}`, name, ref, input)
}

func TestJoinOn(t *testing.T) {
	setVar := `{"name":"sv","taskReferenceName":"sv","type":"SET_VARIABLE","inputParameters":{"fromB":"${b1.output.v}"}}`
	nested := `{"name":"f2","taskReferenceName":"f2","type":"FORK_JOIN","forkTasks":[[
	    {"name":"sv2","taskReferenceName":"sv2","type":"SET_VARIABLE","inputParameters":{"deep":"yes"}}]]},
	  {"name":"j2","taskReferenceName":"j2","type":"JOIN"}`
	tests := []struct {
		name      string
		def       string
		log       []string
		output    map[string]any
		variables map[string]any
	}{
		{
			name: "every branch",
			def: forkWith(`["a2","b1"]`, task("work", "after", `{"b":"${b1.output.v}"}`), `{"j":"${j.output}","after":"${after.output}"}`,
				task("work", "a1", `{"v":"a"}`)+","+task("work", "a2", `{"v":"${a1.output.v}2"}`),
				task("work", "b1", `{"v":"b"}`)),
			log:    []string{"f", "a1", "b1", "j", "a2", "after"}, // the JOIN after the branches' first tasks, as Conductor lists it
			output: map[string]any{"j": map[string]any{"a2": map[string]any{"v": "a2"}, "b1": map[string]any{"v": "b"}}, "after": map[string]any{"b": "b"}},
		},
		{
			// The JOIN waits for branch a only: the task after it runs while b1 waits for it.
			// b's tasks reach the run's state (output, variables, log) when the run ends.
			name: "one branch",
			def: forkWith(`["a2"]`, task("signal", "after", `{"a":"${a2.output.v}"}`),
				`{"j":"${j.output}","after":"${after.output}","b":"${b1.output.v}","var":"${workflow.variables.fromB}"}`,
				task("work", "a1", `{"v":"a"}`)+","+task("work", "a2", `{"v":"${a1.output.v}2"}`),
				task("gated", "b1", `{"v":"b"}`)+","+setVar),
			log:       []string{"f", "a1", "j", "a2", "after", "b1", "sv"},
			output:    map[string]any{"j": map[string]any{"a2": map[string]any{"v": "a2"}}, "after": map[string]any{"a": "a2"}, "b": "b", "var": "b"},
			variables: map[string]any{"fromB": "b"},
		},
		{
			// An empty joinOn waits for nothing and outputs nothing; the branches still run to
			// their end before the run does.
			name: "empty joinOn",
			def: forkWith(`[]`, task("signal", "after", `{"n":2}`), `{"j":"${j.output}","a":"${a1.output.v}","b":"${b1.output.v}"}`,
				task("gated", "a1", `{"v":"a"}`), task("gated", "b1", `{"v":"b"}`)),
			log:    []string{"f", "j", "after", "a1", "b1"},
			output: map[string]any{"j": map[string]any{}, "a": "a", "b": "b"},
		},
		{
			name: "no joinOn",
			def: `{"name":"w","tasks":[{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[` + task("gated", "a1", `{"v":"a"}`) + `]]},
			  {"name":"j","taskReferenceName":"j","type":"JOIN"},` + task("signal", "after", "") + `],"outputParameters":{"j":"${j.output}","a":"${a1.output.v}"}}`,
			log:    []string{"f", "j", "after", "a1"},
			output: map[string]any{"j": map[string]any{}, "a": "a"},
		},
		{
			// A fork inside a branch left to the run leaves its own branches to it too.
			name: "nested",
			def: forkWith(`["a1"]`, task("signal", "after", ""), `{"deep":"${workflow.variables.deep}"}`,
				task("work", "a1", ""), task("gated", "b1", "")+","+nested),
			log:       []string{"f", "a1", "j", "after", "b1", "f2", "j2", "sv2"},
			output:    map[string]any{"deep": "yes"},
			variables: map[string]any{"deep": "yes"},
		},
		{
			// joinOn may name a task inside a SWITCH of a branch: the fork waits for that branch.
			name: "task in a switch",
			def: forkWith(`["c1"]`, task("work", "after", `{"c":"${c1.output.v}"}`), `{"after":"${after.output}"}`,
				`{"name":"s","taskReferenceName":"s","type":"SWITCH","evaluatorType":"value-param","expression":"k","inputParameters":{"k":"x"},
				  "decisionCases":{"x":[`+task("work", "c1", `{"v":"c"}`)+`]}}`,
				task("work", "b1", "")),
			log:    []string{"f", "s", "c1", "j", "after", "b1"},
			output: map[string]any{"after": map[string]any{"c": "c"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			e := runBoth(t, tt.def, nil, g.workers())
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, tt.log, refs(e))
			assert.Equal(t, tt.output, e.Output)
			if tt.variables == nil {
				tt.variables = map[string]any{}
			}
			assert.Equal(t, tt.variables, e.Variables)
			assert.Empty(t, g, "every token taken")
		})
	}
}

// A branch the JOIN did not wait for still decides the run: its failure fails it, its
// TERMINATE ends it, and the rest of the run is cancelled (CANCELED in the log). A run that
// fails otherwise cancels it.
func TestJoinOnBranchEndsTheRun(t *testing.T) {
	tests := []struct {
		name     string
		def      string
		status   Status
		failed   string // the task of the run's *TaskError, if any
		sentinel error
		log      []string
	}{
		{
			name: "branch fails",
			def: forkWith(`["a1"]`, task("hold", "after", ""), `{}`,
				task("work", "a1", ""), task("gatedFail", "b1", "")),
			status: StatusFailed, failed: "b1", sentinel: ErrTaskFailed,
			log: []string{"f:COMPLETED", "a1:COMPLETED", "j:COMPLETED", "after:CANCELED", "b1:FAILED"},
		},
		{
			name: "branch terminates",
			def: forkWith(`["a1"]`, task("hold", "after", ""), `{}`,
				task("work", "a1", ""),
				task("gated", "b1", "")+`,{"name":"t","taskReferenceName":"t","type":"TERMINATE","inputParameters":{"terminationStatus":"FAILED","terminationReason":"stop"}}`),
			status: StatusFailed, sentinel: ErrTerminated,
			log: []string{"f:COMPLETED", "a1:COMPLETED", "j:COMPLETED", "after:CANCELED", "b1:COMPLETED", "t:COMPLETED"},
		},
		{
			name: "the rest of the run fails",
			def: forkWith(`["a1"]`, task("gatedFail", "after", ""), `{}`,
				task("work", "a1", ""), task("hold", "b1", "")),
			status: StatusFailed, failed: "after", sentinel: ErrTaskFailed,
			log: []string{"f:COMPLETED", "a1:COMPLETED", "j:COMPLETED", "after:FAILED", "b1:CANCELED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range strategies {
				g := newGate()
				e := run(t, s, tt.def, nil, g.workers())
				assert.Equal(t, tt.status, e.Status, "%s: %v", s, e.Err)
				assert.ErrorIs(t, e.Err, tt.sentinel, s)
				if tt.failed != "" {
					var te *TaskError
					require.ErrorAs(t, e.Err, &te, s)
					assert.Equal(t, tt.failed, te.Task, s)
				}
				assert.Equal(t, tt.log, summary(e), s)
				assert.Empty(t, g, "every token taken")
			}
		})
	}
}

func TestJoinOnLoad(t *testing.T) {
	fork := `{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[` + simple("a", "") + `],[` + simple("b", "") + `]]}`
	join := func(on string) string {
		return `{"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":` + on + `}`
	}
	tests := []struct {
		name        string
		def         string
		sentinel    error // nil: it loads
		task, field string
	}{
		{"outside the fork", wf(simple("x", ""), fork, join(`["a","x"]`)), ErrUnknownRef, "j", "joinOn[1]"},
		{"a later task", wf(fork, join(`["a","y"]`), simple("y", "")), ErrUnknownRef, "j", "joinOn[1]"},
		{"reading a branch not joined", wf(fork, join(`["a"]`), simple("y", `{"b":"${b.output}"}`)), ErrForwardRef, "y", "inputParameters.b"},
		{"the JOIN reading a branch not joined", wf(fork, `{"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["a"],"inputParameters":{"b":"${b.output}"}}`), ErrForwardRef, "j", "inputParameters.b"},
		{"reading the joined branch", wf(fork, join(`["a"]`), simple("y", `{"a":"${a.output}"}`)), nil, "", ""},
		{"the run's output reads every branch", `{"name":"w","tasks":[` + fork + `,` + join(`[]`) + `],"outputParameters":{"b":"${b.output}"}}`, nil, "", ""},
		{"a dynamic fork's joinOn is not used", wf(`{"name":"d","taskReferenceName":"d","type":"FORK_JOIN_DYNAMIC","dynamicForkTasksParam":"t","dynamicForkTasksInputParamName":"i","inputParameters":{"t":[],"i":{}}}`, join(`["x1"]`)), nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := New(WithWorker("work", echoWorker))
			require.NoError(t, err)
			w, err := rt.Load([]byte(tt.def))
			if tt.sentinel == nil {
				require.NoError(t, err)
				require.NoError(t, w.Close())
				return
			}
			require.ErrorIs(t, err, tt.sentinel)
			var de *DefinitionError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tt.task, de.Task, "%v", err)
			assert.Equal(t, tt.field, de.Field, "%v", err)
		})
	}
}
