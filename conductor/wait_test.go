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

// start loads def under strategy s and starts it on input with workflow id "wf-1".
func start(t *testing.T, s baton.Strategy, def string, input map[string]any, opts ...Option) (*Runtime, *Workflow, *Handle) {
	t.Helper()
	rt, err := New(append([]Option{WithStrategy(s)}, opts...)...)
	require.NoError(t, err)
	w, err := rt.Load([]byte(def))
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	h, err := w.Start(context.Background(), input, WithWorkflowID("wf-1"))
	require.NoError(t, err)
	return rt, w, h
}

func wait(t *testing.T, h *Handle) *Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := h.Wait(ctx)
	require.NotNil(t, e, "Wait: %v", err)
	require.Equal(t, e.Err, err)
	return e
}

const humanDef = `{"name": "approval", "version": 1, "tasks": [
  {"name": "review", "taskReferenceName": "review", "type": "HUMAN", "inputParameters": {"doc": "${workflow.input.doc}"}},
  {"name": "after", "taskReferenceName": "after", "type": "NOOP"}
], "outputParameters": {"approved": "${review.output.approved}", "by": "${review.output.by}"}}`

func TestHumanCompletedFromOutside(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			rt, _, h := start(t, s, humanDef, map[string]any{"doc": "d1"})
			ctx := context.Background()
			p, err := h.AwaitTask(ctx, "review")
			require.NoError(t, err)
			assert.Equal(t, PendingTask{Ref: "review", TaskID: "wf-1/review", Type: TypeHuman, Input: map[string]any{"doc": "d1"}, Output: map[string]any{}}, p)
			found, err := rt.Lookup("wf-1")
			require.NoError(t, err)
			assert.Same(t, h, found)
			require.NoError(t, h.UpdateTask(ctx, TaskUpdate{Ref: "review", Status: UpdateInProgress, Output: map[string]any{"by": "ann"}}))
			assert.Equal(t, map[string]any{"by": "ann"}, h.Pending()[0].Output)
			require.NoError(t, h.CompleteTask(ctx, "review", map[string]any{"approved": true}))
			e := wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, map[string]any{"approved": true, "by": "ann"}, e.Output)
			assert.Equal(t, []string{"review:COMPLETED", "after:COMPLETED"}, summary(e))
			assert.ErrorIs(t, h.CompleteTask(ctx, "review", nil), ErrNotWaiting)
			assert.Empty(t, h.Pending())
			_, err = h.AwaitTask(ctx, "review")
			assert.ErrorIs(t, err, ErrNotWaiting)
			again, err := rt.Lookup("wf-1") // retained after its end
			require.NoError(t, err)
			assert.Same(t, h, again)
			_, err = rt.Lookup("nope")
			assert.ErrorIs(t, err, ErrNoExecution)
		})
	}
}

func TestHumanFailedFromOutside(t *testing.T) {
	retried := `{"name": "approval", "version": 1, "tasks": [
	  {"name": "review", "taskReferenceName": "review", "type": "HUMAN", "retryCount": 1}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ctx := context.Background()
			_, _, h := start(t, s, humanDef, nil)
			_, err := h.AwaitTask(ctx, "review")
			require.NoError(t, err)
			require.NoError(t, h.FailTask(ctx, "review", "rejected"))
			e := wait(t, h)
			assert.Equal(t, StatusFailed, e.Status)
			assert.ErrorIs(t, e.Err, ErrTaskFailed)
			assert.Contains(t, e.Reason, "rejected")

			// With a retry, the second attempt waits again and may complete.
			_, _, h = start(t, s, retried, nil)
			_, err = h.AwaitTask(ctx, "review")
			require.NoError(t, err)
			require.NoError(t, h.FailTask(ctx, "review", "first"))
			_, err = h.AwaitTask(ctx, "review")
			require.NoError(t, err)
			require.NoError(t, h.CompleteTask(ctx, "review", map[string]any{"ok": true}))
			e = wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			require.Len(t, e.Tasks, 2) // the failed attempt is an entry of its own, as in Conductor
			assert.Equal(t, TaskFailed, e.Tasks[0].Status)
			assert.Equal(t, 2, e.Tasks[1].Attempts)

			// A terminal failure is not retried.
			_, _, h = start(t, s, retried, nil)
			_, err = h.AwaitTask(ctx, "review")
			require.NoError(t, err)
			require.NoError(t, h.UpdateTask(ctx, TaskUpdate{Ref: "review", Status: UpdateFailedWithTerminalError, Reason: "no"}))
			e = wait(t, h)
			assert.Equal(t, StatusFailed, e.Status)
		})
	}
}

func TestTaskUpdateErrors(t *testing.T) {
	ctx := context.Background()
	_, _, h := start(t, baton.Orchestrated, humanDef, nil)
	_, err := h.AwaitTask(ctx, "review")
	require.NoError(t, err)
	err = h.CompleteTask(ctx, "after", nil)
	assert.ErrorIs(t, err, ErrNotWaiting)
	assert.Contains(t, err.Error(), `task "after" of execution "wf-1" (waiting: review)`)
	assert.Error(t, h.UpdateTask(ctx, TaskUpdate{Ref: "review", Status: "DONE"}))
	assert.Error(t, h.CompleteTask(ctx, "review", map[string]any{"c": make(chan int)}))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = h.AwaitTask(cancelled, "after")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = h.Wait(cancelled)
	assert.ErrorIs(t, err, context.Canceled)
	require.NoError(t, h.CompleteTask(ctx, "review", nil))
	assert.Equal(t, StatusCompleted, wait(t, h).Status)
}

// Run blocks on a waiting task; another goroutine finds the run by its id and completes it.
func TestRunCompletedThroughLookup(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			rt, err := New(WithStrategy(s))
			require.NoError(t, err)
			w, err := rt.Load([]byte(humanDef))
			require.NoError(t, err)
			defer w.Close()
			done := make(chan error, 1)
			go func() {
				ctx := context.Background()
				for {
					h, err := rt.Lookup("run-7")
					if err == nil {
						if _, err = h.AwaitTask(ctx, "review"); err == nil {
							done <- h.CompleteTask(ctx, "review", map[string]any{"approved": "yes"})
							return
						}
					}
					time.Sleep(time.Millisecond)
				}
			}()
			e, err := w.Run(context.Background(), nil, WithWorkflowID("run-7"))
			require.NoError(t, err)
			require.NoError(t, <-done)
			assert.Equal(t, "yes", e.Output["approved"])
		})
	}
}

// Closing the workflow stops its waiting tasks: the runs end, nothing leaks.
func TestCloseStopsWaits(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			_, w, h := start(t, s, humanDef, nil)
			_, err := h.AwaitTask(context.Background(), "review")
			require.NoError(t, err)
			require.NoError(t, w.Close())
			e := wait(t, h)
			assert.Equal(t, StatusFailed, e.Status)
			assert.ErrorIs(t, e.Err, ErrClosed)
			_, err = w.Start(context.Background(), nil)
			assert.ErrorIs(t, err, ErrClosed)
		})
	}
}

// Cancelling Start's context terminates the run, as for Run.
func TestStartCancelled(t *testing.T) {
	rt, err := New()
	require.NoError(t, err)
	w, err := rt.Load([]byte(humanDef))
	require.NoError(t, err)
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := w.Start(ctx, nil)
	require.NoError(t, err)
	_, err = h.AwaitTask(context.Background(), "review")
	require.NoError(t, err)
	cancel()
	e := wait(t, h)
	assert.Equal(t, StatusTerminated, e.Status)
	_, err = w.Start(context.Background(), map[string]any{"c": make(chan int)})
	assert.Error(t, err)
}

func TestWaitDuration(t *testing.T) {
	def := `{"name": "w", "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "${workflow.input.d}"}}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				e := run(t, s, def, map[string]any{"d": "1 hour 2 mins 3s"})
				require.Equal(t, StatusCompleted, e.Status, e.Reason)
				assert.Equal(t, time.Hour+2*time.Minute+3*time.Second, time.Since(t0))
				assert.Equal(t, map[string]any{}, e.Tasks[0].Output)

				e = run(t, s, def, map[string]any{"d": "soon"})
				assert.Equal(t, StatusFailed, e.Status)
				assert.Contains(t, e.Reason, `duration "soon"`)
			})
		})
	}
}

func TestWaitUntil(t *testing.T) {
	def := `{"name": "w", "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"until": "${workflow.input.u}"}}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // the bubble's clock starts at 2000-01-01 00:00 UTC
				day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
				for _, tt := range []struct {
					until string
					at    time.Time // when the run ends: the time, or now when it has passed
				}{
					{"2000-01-01 02:30 GMT+02:00", day.Add(30 * time.Minute)},
					{"2000-01-01 02:30 +0100", day.Add(90 * time.Minute)},
					{"2000-01-01 02:30", day.Add(150 * time.Minute)},
					{"2000-01-02", day.Add(24 * time.Hour)},
					{"1999-12-31 10:00", day.Add(24 * time.Hour)}, // passed: at once
				} {
					e := run(t, s, def, map[string]any{"u": tt.until})
					require.Equal(t, StatusCompleted, e.Status, e.Reason)
					assert.Equal(t, tt.at, time.Now().UTC(), tt.until)
				}
				e := run(t, s, def, map[string]any{"u": "tomorrow"})
				assert.Equal(t, StatusFailed, e.Status)
			})
		})
	}
}

// A WAIT without duration or until waits for an update; one with a duration may be completed
// before its time.
func TestWaitCompletedFromOutside(t *testing.T) {
	def := `{"name": "w", "tasks": [
	  {"name": "signal", "taskReferenceName": "signal", "type": "WAIT"},
	  {"name": "long", "taskReferenceName": "long", "type": "WAIT", "inputParameters": {"duration": "30 days"}}],
	  "outputParameters": {"s": "${signal.output.s}", "l": "${long.output.l}"}}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ctx := context.Background()
			_, _, h := start(t, s, def, nil)
			_, err := h.AwaitTask(ctx, "signal")
			require.NoError(t, err)
			require.NoError(t, h.CompleteTask(ctx, "signal", map[string]any{"s": 1}))
			_, err = h.AwaitTask(ctx, "long")
			require.NoError(t, err)
			require.NoError(t, h.CompleteTask(ctx, "long", map[string]any{"l": 2}))
			e := wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, map[string]any{"s": float64(1), "l": float64(2)}, e.Output)
		})
	}
}

// Waiting tasks in a case never taken load and never wait; bad literal inputs are load errors.
func TestWaitingTasksLoad(t *testing.T) {
	def := `{"name": "w", "tasks": [{"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "value-param",
	  "expression": "c", "inputParameters": {"c": "${workflow.input.c}"},
	  "decisionCases": {"never": [
	    {"name": "h", "taskReferenceName": "h", "type": "HUMAN"},
	    {"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "5s"}},
	    {"name": "n", "taskReferenceName": "n", "type": "NOOP"},
	    {"name": "x", "taskReferenceName": "x", "type": "HTTP", "inputParameters": {"uri": "http://x", "method": "GET"}},
	    {"name": "e", "taskReferenceName": "e", "type": "EVENT", "sink": "conductor"},
	    {"name": "s", "taskReferenceName": "s", "type": "START_WORKFLOW", "inputParameters": {"startWorkflow": {"name": "${workflow.input.n}"}}}]}}]}`
	e := runBoth(t, def, map[string]any{"c": "other"}, WithEventSink(func(context.Context, *Event) error { return nil }))
	assert.Equal(t, StatusCompleted, e.Status)
	assert.Equal(t, []string{"sw:COMPLETED"}, summary(e))

	rt, err := New()
	require.NoError(t, err)
	for _, in := range []string{`{"duration": "5s", "until": "2020-01-01"}`, `{"duration": "5 parsecs"}`, `{"until": "next week"}`} {
		_, err := rt.Load([]byte(`{"name": "w", "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": ` + in + `}]}`))
		assert.ErrorIs(t, err, ErrMalformed, in)
		var de *DefinitionError
		require.True(t, errors.As(err, &de), in)
		assert.Equal(t, "w", de.Task)
	}
}

func TestParseWaitDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30 seconds": 30 * time.Second, "10m20s": 10*time.Minute + 20*time.Second, "1d": 24 * time.Hour,
		"2 hours 30 minutes": 150 * time.Minute, "1 day 1 hr 1 min 1 sec": 25*time.Hour + time.Minute + time.Second,
		" 5 S ": 5 * time.Second, "": 0,
	} {
		got, err := parseWaitDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"5", "1 week", "s5", "5s 1m"} {
		_, err := parseWaitDuration(in)
		assert.Error(t, err, in)
	}
}

// Waiting tasks in fork branches, dynamic forks and sub-workflows: each is found and updated.
func TestWaitsInForksAndSubWorkflows(t *testing.T) {
	child := &WorkflowDef{Name: "child", Version: 1, Tasks: []*WorkflowTask{{Name: "sign", TaskReferenceName: "sign", Type: TypeHuman}},
		OutputParameters: map[string]any{"signed": "${sign.output.by}"}}
	def := `{"name": "many", "tasks": [
	  {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [
	    [{"name": "a", "taskReferenceName": "a", "type": "HUMAN"}],
	    [{"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child"}}]]},
	  {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a", "sub"]},
	  {"name": "d", "taskReferenceName": "d", "type": "FORK_JOIN_DYNAMIC", "dynamicForkTasksParam": "t", "dynamicForkTasksInputParamName": "i",
	   "inputParameters": {"t": [{"name": "w", "taskReferenceName": "w1", "type": "WAIT"}, {"name": "h", "taskReferenceName": "h1", "type": "HUMAN"}], "i": {}}},
	  {"name": "dj", "taskReferenceName": "dj", "type": "JOIN"}],
	  "outputParameters": {"a": "${a.output.v}", "signed": "${sub.output.signed}", "joined": "${dj.output}"}}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ctx := context.Background()
			rt, _, h := start(t, s, def, nil, WithDefinitions(child))
			_, err := h.AwaitTask(ctx, "a")
			require.NoError(t, err)
			require.NoError(t, h.CompleteTask(ctx, "a", map[string]any{"v": 1}))
			sub := lookup(t, rt, "wf-1/sub") // the sub-workflow's id is its task's id
			_, err = sub.AwaitTask(ctx, "sign")
			require.NoError(t, err)
			require.NoError(t, sub.CompleteTask(ctx, "sign", map[string]any{"by": "bo"}))
			for _, ref := range []string{"w1", "h1"} {
				_, err = h.AwaitTask(ctx, ref)
				require.NoError(t, err, ref)
				require.NoError(t, h.CompleteTask(ctx, ref, map[string]any{"ref": ref}), ref)
			}
			e := wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, map[string]any{"a": float64(1), "signed": "bo",
				"joined": map[string]any{"w1": map[string]any{"ref": "w1"}, "h1": map[string]any{"ref": "h1"}}}, e.Output)
		})
	}
}

// lookup finds the execution id, waiting for it to start.
func lookup(t *testing.T, rt *Runtime, id string) *Handle {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, err := rt.Lookup(id)
		if err == nil {
			return h
		}
		require.True(t, time.Now().Before(deadline), "%v", err)
		time.Sleep(time.Millisecond)
	}
}

// The WAIT and HTTP_POLL input parsers never panic, and a deadline they give is not before now
// for a duration.
func FuzzWaitInput(f *testing.F) {
	for _, s := range []string{"30 seconds", "1d 2h 3m 4s", "2026-12-31 11:59", "2026-12-31 11:59 GMT+04:00", "2026-12-31", "x", "99999999999999999999s", "2026-12-31 11:59 Europe/Paris"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if d, err := waitDeadline(now, map[string]any{"duration": s}); err == nil && !d.IsZero() && d.Before(now) {
			t.Fatalf("duration %q: deadline %v before now", s, d)
		}
		_, _ = waitDeadline(now, map[string]any{"until": s})
		_, _ = readPolling(map[string]any{"terminationCondition": "c", "pollingInterval": s, "maxPollCount": s, "pollingStrategy": s})
		_, _ = readHTTPRequest(map[string]any{"uri": s, "method": s, "accept": s, "connectionTimeOut": s})
	})
}

// Concurrent updates of one waiting task: exactly one completes it, the others get
// ErrNotWaiting; IN_PROGRESS updates sent beside them are applied or refused, never lost
// silently.
func TestConcurrentUpdates(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ctx := context.Background()
			_, _, h := start(t, s, humanDef, nil)
			_, err := h.AwaitTask(ctx, "review")
			require.NoError(t, err)
			type result struct {
				complete bool
				err      error
			}
			results := make(chan result, 20)
			for i := range 20 {
				go func() {
					if i%2 == 0 {
						results <- result{false, h.UpdateTask(ctx, TaskUpdate{Ref: "review", Status: UpdateInProgress, Output: map[string]any{"p": i}})}
						return
					}
					results <- result{true, h.CompleteTask(ctx, "review", map[string]any{"approved": float64(i)})}
				}()
			}
			completed := 0
			for range 20 {
				r := <-results
				if r.err != nil {
					require.ErrorIs(t, r.err, ErrNotWaiting)
				} else if r.complete {
					completed++
				}
			}
			e := wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, 1, completed, "exactly one completion is taken")
			assert.NotNil(t, e.Output["approved"])
		})
	}
}
