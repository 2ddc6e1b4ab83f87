package conductor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// WorkflowDef is a Conductor workflow definition, as JSON. Fields Baton does not use (ownerEmail,
// restartable, createTime …) are accepted and ignored, so definitions exported from a Conductor
// server load unchanged.
type WorkflowDef struct {
	Name             string          `json:"name"`
	Description      string          `json:"description,omitempty"`
	Version          int             `json:"version,omitempty"`
	Tasks            []*WorkflowTask `json:"tasks"`
	InputParameters  []string        `json:"inputParameters,omitempty"`
	OutputParameters map[string]any  `json:"outputParameters,omitempty"`
	SchemaVersion    int             `json:"schemaVersion,omitempty"`
	// TimeoutSeconds bounds a whole run when > 0; a run that overruns ends TIMED_OUT.
	TimeoutSeconds int64          `json:"timeoutSeconds,omitempty"`
	TimeoutPolicy  string         `json:"timeoutPolicy,omitempty"`
	Variables      map[string]any `json:"variables,omitempty"`
	// InputTemplate holds default inputs: each key the run's input lacks is added from it.
	InputTemplate map[string]any `json:"inputTemplate,omitempty"`
	// FailureWorkflow names the workflow (registered with WithDefinitions) started when a run
	// fails, times out or is TERMINATEd, as in Conductor (see failure.go); "${workflow.input.x}"
	// takes the name from the run's input. FailureWorkflowVersion picks its version (0: latest).
	FailureWorkflow        string `json:"failureWorkflow,omitempty"`
	FailureWorkflowVersion int    `json:"failureWorkflowVersion,omitempty"`
}

// WorkflowTask is one task of a workflow definition: its type, its reference name (unique in
// the workflow), its inputParameters, and the fields of its type.
type WorkflowTask struct {
	Name              string         `json:"name"`
	TaskReferenceName string         `json:"taskReferenceName"`
	Type              string         `json:"type,omitempty"` // default SIMPLE
	Description       string         `json:"description,omitempty"`
	InputParameters   map[string]any `json:"inputParameters,omitempty"`
	Optional          bool           `json:"optional,omitempty"`
	// Permissive lets the run go on when the task fails (after its retries), as an optional
	// task does, but fails the run when it ends (a JOIN waiting for the task fails), as in
	// Conductor. The task's status stays FAILED.
	Permissive bool `json:"permissive,omitempty"`
	// RetryCount, when set, overrides the task definition's retryCount.
	RetryCount     *int     `json:"retryCount,omitempty"`
	TaskDefinition *TaskDef `json:"taskDefinition,omitempty"`

	// SWITCH and DECISION.
	EvaluatorType  string                     `json:"evaluatorType,omitempty"`
	Expression     string                     `json:"expression,omitempty"`
	CaseValueParam string                     `json:"caseValueParam,omitempty"`
	CaseExpression string                     `json:"caseExpression,omitempty"`
	DecisionCases  map[string][]*WorkflowTask `json:"decisionCases,omitempty"`
	DefaultCase    []*WorkflowTask            `json:"defaultCase,omitempty"`

	// FORK_JOIN and JOIN. A JOIN waits for the branches holding its joinOn tasks (after a
	// FORK_JOIN_DYNAMIC: for every forked task); see the package doc.
	ForkTasks [][]*WorkflowTask `json:"forkTasks,omitempty"`
	JoinOn    []string          `json:"joinOn,omitempty"`

	// DO_WHILE.
	LoopCondition string          `json:"loopCondition,omitempty"`
	LoopOver      []*WorkflowTask `json:"loopOver,omitempty"`
	// Items makes a DO_WHILE iterate over a list (an expression, or the input parameter
	// _items): one iteration per item, ${ref.output.loopItem} and loopIndex the current one;
	// a loopCondition, if any, can stop it earlier.
	Items string `json:"items,omitempty"`

	// SUB_WORKFLOW.
	SubWorkflowParam *SubWorkflowParams `json:"subWorkflowParam,omitempty"`

	// DYNAMIC and FORK_JOIN_DYNAMIC.
	DynamicTaskNameParam           string `json:"dynamicTaskNameParam,omitempty"`
	DynamicForkTasksParam          string `json:"dynamicForkTasksParam,omitempty"`
	DynamicForkTasksInputParamName string `json:"dynamicForkTasksInputParamName,omitempty"`
	// DynamicForkJoinTasksParam is Conductor's legacy dynamic fork, refused at load.
	DynamicForkJoinTasksParam string `json:"dynamicForkJoinTasksParam,omitempty"`

	// EVENT: where the event goes ("conductor", "conductor:name", or the EventSink's own).
	Sink string `json:"sink,omitempty"`
	// HTTP and EVENT: the task waits, after its request or event, until an update from outside
	// completes it (see Handle.UpdateTask).
	AsyncComplete bool `json:"asyncComplete,omitempty"`
	// EXCLUSIVE_JOIN: the tasks to take the output of when none of joinOn ran.
	DefaultExclusiveJoinTask []string `json:"defaultExclusiveJoinTask,omitempty"`
}

// SubWorkflowParams names the child of a SUB_WORKFLOW task. Name may be an expression, resolved
// when the task runs; a literal name is checked at load.
type SubWorkflowParams struct {
	Name    string `json:"name"`
	Version int    `json:"version,omitempty"`
	// WorkflowDefinition, when set, is the child itself (an inline definition).
	WorkflowDefinition *WorkflowDef `json:"workflowDefinition,omitempty"`
	// WorkflowDefinitionExpr is a workflowDefinition given as a string: an expression
	// ("${builder.output.definition}") whose value, when the task runs, is the child's
	// definition, as in Conductor. It is compiled at each run.
	WorkflowDefinitionExpr string `json:"-"`
}

// UnmarshalJSON decodes the params, with a workflowDefinition given as a definition or as an
// expression (a string: WorkflowDefinitionExpr).
func (p *SubWorkflowParams) UnmarshalJSON(data []byte) error {
	type plain SubWorkflowParams
	var probe struct {
		Def json.RawMessage `json:"workflowDefinition"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return err
	}
	var expr string
	if len(probe.Def) > 0 && probe.Def[0] == '"' {
		if err := json.Unmarshal(probe.Def, &expr); err != nil {
			return err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		delete(m, "workflowDefinition")
		data, _ = json.Marshal(m)
	}
	if err := json.Unmarshal(data, (*plain)(p)); err != nil {
		return err
	}
	p.WorkflowDefinitionExpr = expr
	return nil
}

// MarshalJSON encodes the params, with WorkflowDefinitionExpr as the workflowDefinition.
func (p SubWorkflowParams) MarshalJSON() ([]byte, error) {
	type plain SubWorkflowParams
	if p.WorkflowDefinitionExpr == "" || p.WorkflowDefinition != nil {
		return json.Marshal(plain(p))
	}
	return json.Marshal(struct {
		plain
		Def string `json:"workflowDefinition"`
	}{plain(p), p.WorkflowDefinitionExpr})
}

// TaskDef is a Conductor task definition: the policies of the tasks of one name. Its fields map
// onto Baton's stage options (see Policy).
type TaskDef struct {
	Name               string `json:"name"`
	RetryCount         int    `json:"retryCount,omitempty"`
	RetryLogic         string `json:"retryLogic,omitempty"` // FIXED (default), LINEAR_BACKOFF, EXPONENTIAL_BACKOFF
	RetryDelaySeconds  int64  `json:"retryDelaySeconds,omitempty"`
	BackoffScaleFactor int    `json:"backoffScaleFactor,omitempty"`
	TimeoutSeconds     int64  `json:"timeoutSeconds,omitempty"`
	// TimeoutPolicy TIME_OUT_WF (default) makes a timed-out task time the workflow out;
	// RETRY and ALERT_ONLY fail the task (after its retries) instead.
	TimeoutPolicy          string `json:"timeoutPolicy,omitempty"`
	ResponseTimeoutSeconds int64  `json:"responseTimeoutSeconds,omitempty"`
	// InputTemplate holds default inputs of the tasks of this name: a key their
	// inputParameters lack is added from it (and resolved), and one that resolves to null
	// takes its value from it, as in Conductor.
	InputTemplate map[string]any `json:"inputTemplate,omitempty"`
}

// UnmarshalJSON decodes a task, naming it in the errors of its fields (encoding/json's alone
// name no task).
func (t *WorkflowTask) UnmarshalJSON(data []byte) error {
	type plain WorkflowTask
	err := json.Unmarshal(data, (*plain)(t))
	if err == nil {
		return nil
	}
	var named *taskJSONError
	if errors.As(err, &named) {
		return err // a task inside this one
	}
	var probe struct {
		Ref  any `json:"taskReferenceName"`
		Name any `json:"name"`
	}
	_ = json.Unmarshal(data, &probe)
	ref, _ := probe.Ref.(string)
	name, _ := probe.Name.(string)
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		err = fmt.Errorf("field %s: a JSON %s where %s is wanted", ute.Field, ute.Value, ute.Type)
	}
	return &taskJSONError{ref: ref, name: name, err: err}
}

// taskJSONError is a JSON error inside one task of a definition.
type taskJSONError struct {
	ref, name string
	err       error
}

func (e *taskJSONError) Error() string {
	switch {
	case e.ref != "":
		return fmt.Sprintf("task %q: %v", e.ref, e.err)
	case e.name != "":
		return fmt.Sprintf("task named %q: %v", e.name, e.err)
	}
	return e.err.Error()
}

func (e *taskJSONError) Unwrap() error { return e.err }

// jsonError is the DefinitionError of a definition's JSON that does not decode, naming the task
// it is in, if any.
func jsonError(err error) error {
	de := &DefinitionError{Field: "json"}
	var te *taskJSONError
	if errors.As(err, &te) {
		de.Task = te.ref
		if te.ref == "" && te.name != "" {
			de.Field = fmt.Sprintf("json (task named %q)", te.name)
		}
		err = te.err
	}
	de.Err = fmt.Errorf("%w: %w", ErrMalformed, err)
	return de
}

// ParseWorkflow decodes a workflow definition from JSON. It checks only that the JSON is a
// workflow definition; Runtime.Compile checks everything else. Numbers decode as float64.
func ParseWorkflow(data []byte) (*WorkflowDef, error) {
	var def WorkflowDef
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&def); err != nil {
		de := jsonError(err).(*DefinitionError)
		de.Workflow = def.Name
		return nil, de
	}
	if dec.More() {
		return nil, &DefinitionError{Field: "json", Err: fmt.Errorf("%w: trailing data after the definition", ErrMalformed)}
	}
	return &def, nil
}

// ParseTaskDefs decodes task definitions from JSON: one object or an array of them.
func ParseTaskDefs(data []byte) ([]*TaskDef, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var defs []*TaskDef
		if err := json.Unmarshal(data, &defs); err != nil {
			return nil, &DefinitionError{Field: "json", Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
		}
		return defs, nil
	}
	var d TaskDef
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, &DefinitionError{Field: "json", Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
	}
	return []*TaskDef{&d}, nil
}
