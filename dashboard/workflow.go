package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
)

// This file is the dashboard's side of Conductor workflows: definitions, recorded executions,
// and the executions running now, seen through the Observer.

// workflowEntry is a registered workflow and the executions recorded of it.
type workflowEntry struct {
	w    *conductor.Workflow
	def  *conductor.WorkflowDef
	name string // name/vN, as the page names it

	mu      sync.Mutex
	ring    []recorded                   // newest last, at most cfg.executions
	handles map[string]*conductor.Handle // started by Start and not yet seen done, by workflow id
}

// recorded is a finished execution and when the dashboard was told of it.
type recorded struct {
	e  *conductor.Execution
	at time.Time
}

// WorkflowState is one workflow: its definition's identity, its Stats per task, and its
// executions, running and recorded (newest first), without their tasks' data.
type WorkflowState struct {
	Name     string             `json:"name"` // name/vN: how the page and the API name it
	Workflow string             `json:"workflow"`
	Version  int                `json:"version"`
	Strategy string             `json:"strategy"`
	InFlight int                `json:"inFlight"`
	Tasks    []TaskState        `json:"tasks"`
	Levels   []string           `json:"levels"` // the pipelines' names, one per fork level
	Running  []ExecutionSummary `json:"running"`
	Recent   []ExecutionSummary `json:"recent"`
}

// TaskState is one task's counters (conductor.TaskStats); latencies in seconds.
type TaskState struct {
	Ref       string  `json:"ref"`
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Level     int     `json:"level"`
	Processed int64   `json:"processed"`
	Failed    int64   `json:"failed"`
	Retried   int64   `json:"retried"`
	Running   int64   `json:"running"`
	P50       float64 `json:"p50"`
	P99       float64 `json:"p99"`
}

// ExecutionSummary names one execution.
type ExecutionSummary struct {
	WorkflowID string `json:"workflowId"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
}

// Execution is one execution as the page shows it, finished or running: the path it took and
// each task's status, input and output (for a running one, seen through events: no input and
// output yet).
type Execution struct {
	Workflow   string         `json:"workflow"` // name/vN
	WorkflowID string         `json:"workflowId"`
	Status     string         `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	Running    bool           `json:"running"`
	Recorded   time.Time      `json:"recorded,omitzero"`
	Input      map[string]any `json:"input,omitempty"`
	Output     map[string]any `json:"output,omitempty"`
	Variables  map[string]any `json:"variables,omitempty"`
	Path       []string       `json:"path"`
	Tasks      []Task         `json:"tasks"`
	// Pending is the tasks of a running execution started by Start that wait for an update
	// (WAIT, HUMAN …): the page completes or fails them when actions are enabled.
	Pending []Pending `json:"pending,omitempty"`
}

// Pending is a task waiting for an update (conductor.PendingTask).
type Pending struct {
	Ref    string         `json:"ref"`
	TaskID string         `json:"taskId"`
	Type   string         `json:"type"`
	Input  map[string]any `json:"input,omitempty"`
	Output map[string]any `json:"output,omitempty"`
}

// Task is one task execution of an Execution.
type Task struct {
	Ref       string         `json:"ref"`
	Name      string         `json:"name,omitempty"`
	Type      string         `json:"type,omitempty"`
	TaskID    string         `json:"taskId,omitempty"`
	Status    string         `json:"status"`
	Iteration int            `json:"iteration,omitempty"`
	Attempts  int            `json:"attempts"`
	Reason    string         `json:"reason,omitempty"`
	Input     map[string]any `json:"input,omitempty"`
	Output    map[string]any `json:"output,omitempty"`
}

// AddWorkflow shows w: its definition as a diagram, its Stats, and its executions. Executions
// running now show when w's pipelines have the dashboard's Observer (give the Runtime
// conductor.WithPipelineOptions(baton.WithObserver(d.Observer()))); finished ones show when
// they are recorded (Run, RecordExecution). A nil w gives an error matching ErrInvalid, a
// workflow of the same name and version added already one matching ErrDuplicate.
func (d *Dashboard) AddWorkflow(w *conductor.Workflow) error {
	if w == nil {
		return fmt.Errorf("%w: AddWorkflow(nil)", ErrInvalid)
	}
	def := w.Definition()
	name := fmt.Sprintf("%s/v%d", def.Name, def.Version)
	d.mu.Lock()
	defer d.mu.Unlock()
	if slices.ContainsFunc(d.workflows, func(e *workflowEntry) bool { return e.name == name }) {
		return fmt.Errorf("%w: workflow %q", ErrDuplicate, name)
	}
	d.workflows = append(d.workflows, &workflowEntry{w: w, def: def, name: name})
	return nil
}

// RecordExecution keeps e, a finished execution of a workflow added with AddWorkflow, among its
// recent executions (WithExecutions bounds them). An execution of no added workflow gives an
// error matching ErrUnknown. The dashboard keeps e as it is: do not change it afterwards.
func (d *Dashboard) RecordExecution(e *conductor.Execution) error {
	if e == nil {
		return fmt.Errorf("%w: RecordExecution(nil)", ErrInvalid)
	}
	w, ok := d.workflowEntry(fmt.Sprintf("%s/v%d", e.Name, e.Version))
	if !ok {
		return errUnknown("workflow", fmt.Sprintf("%s/v%d", e.Name, e.Version))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if d.cfg.executions == 0 {
		return nil
	}
	if len(w.ring) == d.cfg.executions {
		w.ring = slices.Delete(w.ring, 0, 1)
	}
	w.ring = append(w.ring, recorded{e: e, at: time.Now()})
	return nil
}

// Run runs w (see conductor.Workflow.Run) and records the execution it returns, which it
// returns with Run's error. w must have been added with AddWorkflow.
func (d *Dashboard) Run(ctx context.Context, w *conductor.Workflow, input map[string]any, opts ...conductor.RunOption) (*conductor.Execution, error) {
	e, err := w.Run(ctx, input, opts...)
	if e != nil {
		if rerr := d.RecordExecution(e); rerr != nil && err == nil {
			err = rerr
		}
	}
	return e, err
}

// Start starts w (see conductor.Workflow.Start) and follows the execution: while it runs, its
// waiting tasks show on the page (and with WithActions can be completed there); once it ends
// it is recorded as by RecordExecution. w must have been added with AddWorkflow, else Start
// starts nothing and returns an error matching ErrUnknown.
func (d *Dashboard) Start(ctx context.Context, w *conductor.Workflow, input map[string]any, opts ...conductor.RunOption) (*conductor.Handle, error) {
	def := w.Definition()
	e, ok := d.workflowEntry(fmt.Sprintf("%s/v%d", def.Name, def.Version))
	if !ok || e.w != w {
		return nil, errUnknown("workflow", fmt.Sprintf("%s/v%d", def.Name, def.Version))
	}
	h, err := w.Start(ctx, input, opts...)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.handles == nil {
		e.handles = map[string]*conductor.Handle{}
	}
	e.handles[h.ID()] = h
	e.mu.Unlock()
	return h, nil
}

// sweep records the executions started by Start that have ended.
func (d *Dashboard) sweep(e *workflowEntry) {
	e.mu.Lock()
	var ended []*conductor.Handle
	for id, h := range e.handles {
		select {
		case <-h.Done():
			ended = append(ended, h)
			delete(e.handles, id)
		default:
		}
	}
	e.mu.Unlock()
	for _, h := range ended {
		if x, _ := h.Wait(context.Background()); x != nil { // done: returns at once
			d.RecordExecution(x)
		}
	}
}

// handle returns the running execution id started by Start.
func (e *workflowEntry) handle(id string) *conductor.Handle {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.handles[id]
}

func (d *Dashboard) workflowEntries() []*workflowEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.workflows)
}

func (d *Dashboard) workflowEntry(name string) (*workflowEntry, bool) {
	for _, w := range d.workflowEntries() {
		if w.name == name {
			return w, true
		}
	}
	return nil, false
}

// levelTracker returns the tracker of the workflow's top pipeline, if the observer has seen it.
func (d *Dashboard) levelTracker(ws conductor.WorkflowStats) *tracker {
	if len(ws.Levels) == 0 {
		return nil
	}
	return (*d.trackers.Load())[ws.Levels[0].Pipeline]
}

func (d *Dashboard) workflowState(w *workflowEntry) WorkflowState {
	d.sweep(w)
	ws := w.w.Stats()
	st := WorkflowState{Name: w.name, Workflow: ws.Name, Version: ws.Version, Strategy: ws.Strategy.String(),
		InFlight: ws.InFlight, Tasks: []TaskState{}, Levels: []string{}, Running: []ExecutionSummary{}, Recent: []ExecutionSummary{}}
	for _, t := range ws.Tasks {
		st.Tasks = append(st.Tasks, TaskState{Ref: t.Ref, Name: t.Name, Type: t.Type, Level: t.Level,
			Processed: t.Processed, Failed: t.Failed, Retried: t.Retried, Running: t.Running,
			P50: t.Latency.P50.Seconds(), P99: t.Latency.P99.Seconds()})
	}
	for _, l := range ws.Levels {
		st.Levels = append(st.Levels, l.Pipeline)
	}
	if t := d.levelTracker(ws); t != nil {
		for _, m := range t.inFlight(50) {
			st.Running = append(st.Running, ExecutionSummary{WorkflowID: m.Key, Status: string(conductor.StatusRunning)})
		}
		slices.SortFunc(st.Running, func(a, b ExecutionSummary) int { return strings.Compare(a.WorkflowID, b.WorkflowID) })
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.ring) - 1; i >= 0; i-- {
		e := w.ring[i].e
		st.Recent = append(st.Recent, ExecutionSummary{WorkflowID: e.WorkflowID, Status: string(e.Status), Reason: e.Reason})
	}
	return st
}

// Execution returns the execution workflowID of workflow name ("name/vN"): a running one, as
// events show it, else the newest recorded one; or an error matching ErrUnknown.
func (d *Dashboard) Execution(name, workflowID string) (Execution, error) {
	w, ok := d.workflowEntry(name)
	if !ok {
		return Execution{}, errUnknown("workflow", name)
	}
	d.sweep(w)
	if t := d.levelTracker(w.w.Stats()); t != nil {
		if ms := t.find(0, workflowID, 1); len(ms) == 1 && !ms[0].Done {
			x := runningExecution(name, ms[0])
			if h := w.handle(workflowID); h != nil {
				for _, p := range h.Pending() {
					x.Pending = append(x.Pending, Pending{Ref: p.Ref, TaskID: p.TaskID, Type: p.Type, Input: p.Input, Output: p.Output})
					for i := range x.Tasks {
						if x.Tasks[i].Ref == p.Ref && x.Tasks[i].Status == "IN_PROGRESS" {
							x.Tasks[i].Type, x.Tasks[i].Input, x.Tasks[i].Output = p.Type, p.Input, p.Output
						}
					}
				}
			}
			return x, nil
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.ring) - 1; i >= 0; i-- {
		if r := w.ring[i]; r.e.WorkflowID == workflowID {
			return recordedExecution(name, r), nil
		}
	}
	return Execution{}, errUnknown("execution", workflowID)
}

func recordedExecution(name string, r recorded) Execution {
	e := r.e
	x := Execution{Workflow: name, WorkflowID: e.WorkflowID, Status: string(e.Status), Reason: e.Reason,
		Recorded: r.at, Input: e.Input, Output: e.Output, Variables: e.Variables, Path: []string{}, Tasks: []Task{}}
	for _, t := range e.Tasks {
		x.Path = append(x.Path, t.Ref)
		x.Tasks = append(x.Tasks, Task{Ref: t.Ref, Name: t.Name, Type: t.Type, TaskID: t.TaskID, Status: string(t.Status),
			Iteration: t.Iteration, Attempts: t.Attempts, Reason: t.Reason, Input: t.Input, Output: t.Output})
	}
	return x
}

// runningExecution reads a running execution from its message's timeline: each step of a
// task's stage (hidden stages, "~…", left out) is a task, IN_PROGRESS until its step ends.
func runningExecution(name string, m Message) Execution {
	x := Execution{Workflow: name, WorkflowID: m.Key, Status: string(conductor.StatusRunning), Running: true,
		Path: []string{}, Tasks: []Task{}}
	open := map[string]int{} // stage -> index in Tasks of its step going on
	for _, s := range m.Timeline {
		if strings.HasPrefix(s.Stage, "~") {
			continue
		}
		switch s.Kind {
		case baton.StepStarted.String():
			if s.Attempt == 1 {
				x.Path = append(x.Path, s.Stage)
				x.Tasks = append(x.Tasks, Task{Ref: s.Stage, Status: "IN_PROGRESS"})
				open[s.Stage] = len(x.Tasks) - 1
			}
			if i, ok := open[s.Stage]; ok {
				x.Tasks[i].Attempts = s.Attempt
			}
		case baton.StepEnded.String():
			i, ok := open[s.Stage]
			if !ok || s.Outcome == "" {
				continue
			}
			switch s.Outcome {
			case baton.Succeeded.String():
				x.Tasks[i].Status = string(conductor.TaskCompleted)
			case baton.Tolerated.String():
				x.Tasks[i].Status = string(conductor.TaskCompletedWithErrors)
			default:
				x.Tasks[i].Status = string(conductor.TaskFailed)
			}
			x.Tasks[i].Reason = s.Error
			delete(open, s.Stage)
		}
	}
	return x
}

func errUnknown(what, name string) error { return fmt.Errorf("%w: %s %q", ErrUnknown, what, name) }
