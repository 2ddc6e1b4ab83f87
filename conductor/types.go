package conductor

import (
	"fmt"
	"strings"
)

// The Conductor task types, as WorkflowTask.Type, TaskRun.Type, TaskStats.Type and
// TaskError.Type spell them. This file is the only one that spells them: each type is a kind
// (see kind), whose Go type is in the file task_<type>.go, and kinds below makes it.
const (
	TypeSimple          = "SIMPLE"
	TypeSwitch          = "SWITCH"
	TypeDecision        = "DECISION"
	TypeForkJoin        = "FORK_JOIN"
	TypeJoin            = "JOIN"
	TypeDoWhile         = "DO_WHILE"
	TypeSetVariable     = "SET_VARIABLE"
	TypeTerminate       = "TERMINATE"
	TypeSubWorkflow     = "SUB_WORKFLOW"
	TypeDynamic         = "DYNAMIC"
	TypeForkJoinDynamic = "FORK_JOIN_DYNAMIC"
	TypeJSONJQTransform = "JSON_JQ_TRANSFORM"
	TypeInline          = "INLINE"
	TypeLambda          = "LAMBDA"
	TypeNoop            = "NOOP"
	TypeWait            = "WAIT"
	TypeHuman           = "HUMAN"
	TypeHTTP            = "HTTP"
	TypeHTTPPoll        = "HTTP_POLL"
	TypeEvent           = "EVENT"
	TypeStartWorkflow   = "START_WORKFLOW"
	TypeExclusiveJoin   = "EXCLUSIVE_JOIN"
)

// kinds makes an empty kind of each task type, in the order that errors list the types.
// Adding a type is adding its constant above, its line here and its file.
var kinds = []struct {
	typ  string
	make func() kind
}{
	{TypeSimple, func() kind { return &simpleTask{} }},
	{TypeSwitch, func() kind { return &switchTask{} }},
	{TypeDecision, func() kind { return &decisionTask{} }},
	{TypeForkJoin, func() kind { return &forkJoinTask{} }},
	{TypeJoin, func() kind { return &joinTask{} }},
	{TypeDoWhile, func() kind { return &doWhileTask{} }},
	{TypeSetVariable, func() kind { return &setVariableTask{} }},
	{TypeTerminate, func() kind { return &terminateTask{} }},
	{TypeSubWorkflow, func() kind { return &subWorkflowTask{} }},
	{TypeDynamic, func() kind { return &dynamicTask{} }},
	{TypeForkJoinDynamic, func() kind { return &forkJoinDynamicTask{} }},
	{TypeJSONJQTransform, func() kind { return &jqTransformTask{} }},
	{TypeInline, func() kind { return &inlineTask{} }},
	{TypeLambda, func() kind { return &lambdaTask{} }},
	{TypeNoop, func() kind { return &noopTask{} }},
	{TypeWait, func() kind { return &waitTask{} }},
	{TypeHuman, func() kind { return &humanTask{} }},
	{TypeHTTP, func() kind { return &httpTask{} }},
	{TypeHTTPPoll, func() kind { return &httpPollTask{} }},
	{TypeEvent, func() kind { return &eventTask{} }},
	{TypeStartWorkflow, func() kind { return &startWorkflowTask{} }},
	{TypeExclusiveJoin, func() kind { return &exclusiveJoinTask{} }},
}

// dynamicTypes are the types a dynamic fork can run: those that are one step, whose kinds
// have their own checkDynamic and runDynamic (TestKindsOfDynamicForks checks it). The others
// need stages compiled at load (their cases, bodies, branches). In the order errors list them.
var dynamicTypes = []string{TypeSimple, TypeDynamic, TypeSubWorkflow, TypeInline, TypeLambda,
	TypeJSONJQTransform, TypeSetVariable, TypeTerminate, TypeNoop, TypeWait, TypeHuman, TypeHTTP,
	TypeHTTPPoll, TypeEvent, TypeStartWorkflow}

// supportedTypes are the types, in the order of kinds.
var supportedTypes = func() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.typ
	}
	return out
}()

// prototypes holds an empty kind of each type, for what a kind does without a task compiled at
// load: a dynamic fork's checkDynamic and runDynamic, which do not touch their receiver.
var prototypes = func() map[string]kind {
	m := make(map[string]kind, len(kinds))
	for _, k := range kinds {
		m[k.typ] = k.make()
	}
	return m
}()

// newKind returns an empty kind of type typ, to compile; unknownTask for a type Baton does not
// know, which fails to compile.
func newKind(typ string) kind {
	for _, k := range kinds {
		if k.typ == typ {
			return k.make()
		}
	}
	return &unknownTask{}
}

// kindFor returns an empty kind of type typ for the compiler: a built-in type's, else a
// userTask when a handler is registered for typ (WithTaskHandler), else unknownTask.
func (c *config) kindFor(typ string) kind {
	k := newKind(typ)
	if _, unknown := k.(*unknownTask); unknown {
		if h, ok := c.handlers[typ]; ok {
			return &userTask{handler: h}
		}
	}
	return k
}

// prototype is the kind that runs a task of type typ in a dynamic fork (see prototypes): a
// built-in type's, or a userTask for a type with a registered handler.
func (c *config) prototype(typ string) (kind, bool) {
	if k, ok := prototypes[typ]; ok {
		return k, true
	}
	if h, ok := c.handlers[typ]; ok {
		return &userTask{handler: h}, true
	}
	return nil, false
}

// taskType is the type of wt: SIMPLE when it has none.
func taskType(wt *WorkflowTask) string {
	if wt.Type == "" {
		return TypeSimple
	}
	return wt.Type
}

// unknownTask is a task of a type Baton does not know. It is compiled as far as every task is
// (its reference name, input and policy), so that the rest of the definition is checked as
// usual, and reports its type.
type unknownTask struct{ ctask }

func (t *unknownTask) compile(c *compiler, _ place) {
	c.fail(t.ref, "type", unknownType(t.wt.Type))
}

// unknownType is the error of a task of type typ, which is neither built in nor given a
// handler: it matches ErrUnknownTaskType and ErrNoHandler, and names the type.
func unknownType(typ string) error {
	return fmt.Errorf("%w %q: %w for it (register one with WithTaskHandler(%q, ...); built-in types: %s)",
		ErrUnknownTaskType, typ, ErrNoHandler, typ, strings.Join(supportedTypes, ", "))
}

func (t *unknownTask) process(*Workflow) stageFn { return nil } // never built: it fails to load
