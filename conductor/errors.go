package conductor

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of loading. Every error Compile returns matches ErrInvalidDefinition and, for
// each problem, one of the more specific sentinels below; errors.As finds a *DefinitionError
// naming the task and field.
var (
	// ErrInvalidDefinition matches every error of loading a definition.
	ErrInvalidDefinition = errors.New("conductor: invalid workflow definition")
	// ErrMalformed reports JSON that is not a definition, or a required field missing or empty.
	ErrMalformed = errors.New("malformed definition")
	// ErrUnknownTaskType reports a task type Baton does not know, or one a dynamic fork
	// cannot run.
	ErrUnknownTaskType = errors.New("unknown task type")
	// ErrDuplicateRef reports a taskReferenceName used twice.
	ErrDuplicateRef = errors.New("duplicate taskReferenceName")
	// ErrUnknownRef reports an expression or joinOn naming a task the workflow does not have,
	// or a joinOn naming a task outside its fork's branches.
	ErrUnknownRef = errors.New("reference to an unknown task")
	// ErrForwardRef reports an expression naming a task that runs later (or the task itself),
	// or a task in a fork branch that the fork's JOIN does not wait for.
	ErrForwardRef = errors.New("reference to a task that has not run yet")
	// ErrNoWorker reports a SIMPLE task whose name has no registered worker (without WithEcho).
	ErrNoWorker = errors.New("no worker registered")
	// ErrBadExpression reports an expression that does not parse: ${…} syntax, a JSONPath,
	// a script or a jq program.
	ErrBadExpression = errors.New("malformed expression")
	// ErrNoEngine reports a task that needs a JavaScript or jq engine none was given for, or
	// an expression that needs a JSONPath engine.
	ErrNoEngine = errors.New("no engine (see WithJavaScript, WithJQ, WithJSONPath)")
	// ErrUnknownWorkflow reports a SUB_WORKFLOW naming a definition that is not registered.
	ErrUnknownWorkflow = errors.New("unknown sub-workflow")
	// ErrUnsupported reports a Conductor feature Baton does not support; the error says
	// "Conductor feature X is not supported", and its DefinitionError names the task and field.
	ErrUnsupported = errors.New("unsupported Conductor feature")
	// ErrNoHandler reports a task whose type needs a handler the Runtime was not given: a
	// user-provided type without WithTaskHandler (the error also matches ErrUnknownTaskType),
	// or an EVENT task without WithEventSink.
	ErrNoHandler = errors.New("no handler registered")
)

// unsupported is the error of a Conductor feature Baton does not support; it matches
// ErrUnsupported and also, when given, the sentinel of the kind of problem (ErrMalformed,
// ErrUnknownTaskType), so that errors.Is finds either.
func unsupported(feature string, also ...error) error {
	return &unsupportedError{feature: feature, also: also}
}

type unsupportedError struct {
	feature string
	also    []error
}

func (e *unsupportedError) Error() string {
	return "Conductor feature " + e.feature + " is not supported"
}

func (e *unsupportedError) Is(target error) bool {
	if target == ErrUnsupported {
		return true
	}
	for _, a := range e.also {
		if target == a {
			return true
		}
	}
	return false
}

// Sentinel errors of running. A run that does not complete returns an error matching one of
// these; a failed task's error is also a *TaskError.
var (
	// ErrTaskFailed matches a run that failed because a task failed after its retries.
	ErrTaskFailed = errors.New("conductor: task failed")
	// ErrTerminated matches a run ended by a TERMINATE task with status FAILED or TERMINATED,
	// or cancelled by the caller's context.
	ErrTerminated = errors.New("conductor: workflow terminated")
	// ErrTimedOut matches a run that ran out of its timeoutSeconds, or whose task timed out
	// under the TIME_OUT_WF policy.
	ErrTimedOut = errors.New("conductor: workflow timed out")
	// ErrUnresolved matches an expression whose path resolved to nothing, under
	// WithStrictExpressions (by default such a path is null, as in Conductor).
	ErrUnresolved = errors.New("conductor: unresolved expression")
	// ErrLimit matches a run stopped by a safety limit: a loop past WithMaxIterations, a script
	// or jq program past its time limit or its engine's memory limit, an output past
	// WithMaxOutputSize, a dynamic fork wider than WithMaxForkWidth, a sub-workflow nesting
	// past WithMaxDepth.
	ErrLimit = errors.New("conductor: limit exceeded")
	// ErrClosed is returned by Run after Close.
	ErrClosed = errors.New("conductor: workflow closed")
	// ErrNoExecution is returned by Runtime.Lookup for a workflow id that names no execution
	// running or retained (see WithRetainedRuns).
	ErrNoExecution = errors.New("conductor: no such execution")
	// ErrNotWaiting is returned by a Handle's task updates when the task named is not waiting
	// for one: it is not running, has ended, or is not of a type that waits (WAIT, HUMAN, an
	// asyncComplete HTTP or EVENT, an EXCLUSIVE_JOIN with nothing to join).
	ErrNotWaiting = errors.New("conductor: task is not waiting for an update")
)

// DefinitionError is one problem of a definition found at load: the workflow, the task (by
// reference name, empty for the workflow itself), the field, and what is wrong. It matches
// ErrInvalidDefinition and unwraps to the specific sentinel.
type DefinitionError struct {
	Workflow string // workflow name
	Task     string // taskReferenceName; "" for workflow-level fields
	Field    string // the field, as a JSON path within the task: "inputParameters.p1"
	Err      error
}

func (e *DefinitionError) Error() string {
	var b strings.Builder
	b.WriteString("conductor: ")
	if e.Workflow != "" {
		fmt.Fprintf(&b, "workflow %q: ", e.Workflow)
	}
	if e.Task != "" {
		fmt.Fprintf(&b, "task %q: ", e.Task)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "%s: ", e.Field)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns ErrInvalidDefinition and the specific error.
func (e *DefinitionError) Unwrap() []error { return []error{ErrInvalidDefinition, e.Err} }

// TaskError is the error of a task that failed when run: its reference name, type, attempts
// made, and the cause (a worker's error, a script's, an unresolved expression …).
type TaskError struct {
	Task     string // taskReferenceName
	Type     string // task type
	Attempts int
	Err      error

	timeoutWF bool // a task of a dynamic fork with a timeoutSeconds, whose timeout times the workflow out
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("conductor: task %q (%s) failed after %d attempt(s): %s", e.Task, e.Type, e.Attempts, bare(e.Err))
}

// Unwrap returns the cause.
func (e *TaskError) Unwrap() error { return e.Err }

// Is reports whether target is ErrTaskFailed.
func (e *TaskError) Is(target error) bool { return target == ErrTaskFailed }

// onceError is a sentinel's error with its cause: its text names the package once, not once per
// layer ("conductor: workflow timed out: task ... : attempt ..."), and it matches both.
type onceError struct {
	text string
	errs []error
}

func (e *onceError) Error() string   { return e.text }
func (e *onceError) Unwrap() []error { return e.errs }

// wrapOnce wraps cause with sentinel, whose text comes first, then detail, then cause's text
// without its package prefix.
func wrapOnce(sentinel error, detail string, cause error) error {
	return &onceError{text: sentinel.Error() + detail + ": " + bare(cause), errs: []error{sentinel, cause}}
}

// bare is err's text without the "conductor: " or "baton: " prefix, for an error that wraps it
// and names the package itself.
func bare(err error) string {
	s := err.Error()
	for _, prefix := range []string{"conductor: ", "baton: "} {
		s = strings.TrimPrefix(s, prefix)
	}
	return s
}
