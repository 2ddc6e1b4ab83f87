package conductor

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/baton-go/baton"
)

// state is the message of a compiled workflow's pipelines: one run's view of the workflow. It
// is copy-on-write: a stage never changes the state it receives, it returns a new one that
// shares everything it did not change. That keeps retries sound (each attempt starts from the
// same state), lets fork branches read their parent's state concurrently, and makes a failed
// attempt leave no trace.
type state struct {
	run   *runInfo              // fixed for the run
	tasks map[string]*taskState // latest execution of each task ref; never written in place
	vars  map[string]any        // workflow variables; never written in place
	log   *logNode              // per-task log, newest first; persistent
	end   *termination          // set by TERMINATE: the run ends
	route []string              // the itinerary this message starts with (the router reads it)
	loops map[string]int        // current iteration of each running DO_WHILE; never written in place
	depth int                   // fork nesting of this message: which pipeline carries it

	// A dynamic-fork branch: the task the dynamic stage runs, its input and iteration, and the
	// policy of its step (see planOf).
	dyn     *WorkflowTask
	dynIn   map[string]any
	dynIter int
	dynPol  baton.StepPolicy
}

// runInfo is what a run knows from its start.
type runInfo struct {
	wf            *Workflow
	workflowID    string
	correlationID string
	input         map[string]any
	parentID      string
	parentTaskID  string
	created       time.Time
	subDepth      int // sub-workflow nesting of the run

	// Set by Workflow.run: the run's context, under which fork branches run, and its cancel.
	ctx    context.Context
	cancel context.CancelCauseFunc

	handle *Handle // the run's, set before it starts (see handle.go)
	waits  waitSet // its tasks waiting for an update (see wait.go)

	mu        sync.Mutex
	detached  []*batch             // forks' branches their JOINs did not wait for, in the order the forks went on
	stopped   bool                 // the run is ending: a branch failing now did not end it
	stopErr   error                // the error of the branch left to the run that ended it ...
	stopEnd   *termination         // ... or its termination
	attempts  map[string][]TaskRun // the failed attempts of its tasks, by task id (see retries.go)
	terminate *terminateRequest    // set by Handle.Terminate
}

// taskState is one execution of a task: what ${ref.…} expressions see. Immutable once stored.
type taskState struct {
	ref, name, typ string
	taskID         string
	status         TaskStatus
	input          map[string]any
	output         map[string]any
	iteration      int
	reason         string
	err            error // the last attempt's error, for COMPLETED_WITH_ERRORS
	// scheduled, started and ended are the task's times in epoch milliseconds (0: not yet).
	scheduled, started, ended int64
	attempts                  int // attempts made, when known (0: one)
}

// termination is what a TERMINATE task decided.
type termination struct {
	status Status
	reason string
	output map[string]any
	task   string // its reference name
	taskID string
}

// logNode is a persistent list of task log entries: appending shares the tail, so a state can
// be copied in O(1) however long its log.
type logNode struct {
	entry TaskRun
	prev  *logNode
}

// clone returns a shallow copy to change.
func (s *state) clone() *state {
	c := *s
	return &c
}

// withTask records ts as the latest execution of its ref and logs it, after attempts attempts
// (the slip's Attempt: the state is made by the attempt that ends the step).
func (s *state) withTask(ts *taskState, attempts int) *state {
	c := s.clone()
	c.tasks = make(map[string]*taskState, len(s.tasks)+1)
	maps.Copy(c.tasks, s.tasks)
	c.tasks[ts.ref] = ts
	e := ts.entry()
	e.Attempts = max(attempts, 1)
	c.log = &logNode{entry: e, prev: s.log}
	return c
}

// withLoop sets the current iteration of loop ref and its task state, without logging.
func (s *state) withLoop(ts *taskState, iter int) *state {
	c := s.clone()
	c.tasks = make(map[string]*taskState, len(s.tasks)+1)
	maps.Copy(c.tasks, s.tasks)
	c.tasks[ts.ref] = ts
	c.loops = make(map[string]int, len(s.loops)+1)
	maps.Copy(c.loops, s.loops)
	c.loops[ts.ref] = iter
	return c
}

// iteration is the iteration of ct's innermost loop (0 outside loops).
func (s *state) iteration(ct *ctask) int {
	if ct.loop == nil {
		return 0
	}
	return s.loops[ct.loop.ref]
}

// entry is the task log entry of ts.
func (ts *taskState) entry() TaskRun {
	return TaskRun{
		Ref: ts.ref, Name: ts.name, Type: ts.typ, TaskID: ts.taskID, Status: ts.status,
		Input: ts.input, Output: ts.output, Iteration: ts.iteration, Reason: ts.reason, Err: ts.err, Attempts: 1,
	}
}

// logSlice returns the log oldest first.
func (n *logNode) slice() []TaskRun {
	var out []TaskRun
	for ; n != nil; n = n.prev {
		out = append(out, n.entry)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
