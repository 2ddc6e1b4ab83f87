package conductor_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
)

const encodeAndDeploy = `{
  "name": "encode_and_deploy", "version": 1, "schemaVersion": 2,
  "tasks": [
    {"name": "encode", "taskReferenceName": "encode", "type": "SIMPLE",
     "inputParameters": {"fileLocation": "${workflow.input.fileLocation}"}},
    {"name": "deploy", "taskReferenceName": "d1", "type": "SIMPLE",
     "inputParameters": {"fileLocation": "${encode.output.encodeLocation}"}}
  ],
  "outputParameters": {"cdn_url": "${d1.output.location}"}
}`

func encode(_ context.Context, in map[string]any) (map[string]any, error) {
	return map[string]any{"encodeLocation": strings.Replace(in["fileLocation"].(string), ".mov", ".mp4", 1)}, nil
}

func deploy(_ context.Context, in map[string]any) (map[string]any, error) {
	return map[string]any{"location": "https://cdn.example.com/" + strings.TrimPrefix(in["fileLocation"].(string), "s3://")}, nil
}

// A whole program: register workers, load a definition, run it under each strategy.
func Example() {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		rt, err := conductor.New(
			conductor.WithStrategy(s),
			conductor.WithWorker("encode", encode),
			conductor.WithWorker("deploy", deploy),
		)
		if err != nil {
			panic(err)
		}
		wf, err := rt.Load([]byte(encodeAndDeploy))
		if err != nil {
			panic(err)
		}
		run, err := wf.Run(context.Background(), map[string]any{"fileLocation": "s3://videos/cat.mov"})
		wf.Close()
		fmt.Println(s, run.Status, run.Output["cdn_url"], err)
	}
	// Output:
	// orchestrated COMPLETED https://cdn.example.com/videos/cat.mp4 <nil>
	// choreographed COMPLETED https://cdn.example.com/videos/cat.mp4 <nil>
}

func ExampleNew() {
	rt, err := conductor.New(conductor.WithEcho(), conductor.WithStrictExpressions())
	fmt.Println(rt != nil, err)
	_, err = conductor.New(conductor.WithMaxIterations(0))
	fmt.Println(err)
	// Output:
	// true <nil>
	// conductor: invalid options: WithMaxIterations(0): must be at least 1
}

// Load reports every problem of a definition, each naming its task and field.
func ExampleRuntime_Load() {
	rt, _ := conductor.New(conductor.WithWorker("encode", encode))
	_, err := rt.Load([]byte(`{"name": "broken", "tasks": [
	  {"name": "encode", "taskReferenceName": "e", "inputParameters": {"f": "${later.output.x}"}},
	  {"name": "deploy", "taskReferenceName": "later"},
	  {"name": "x", "taskReferenceName": "h", "type": "KAFKA_PUBLISH"}]}`))
	fmt.Println(err)
	var de *conductor.DefinitionError
	fmt.Println(errors.Is(err, conductor.ErrForwardRef), errors.As(err, &de), de.Task, de.Field)
	// Output:
	// conductor: workflow "broken": task "later": name: no worker registered for task name "deploy"
	// conductor: workflow "broken": task "h": type: unknown task type "KAFKA_PUBLISH": no handler registered for it (register one with WithTaskHandler("KAFKA_PUBLISH", ...); built-in types: SIMPLE, SWITCH, DECISION, FORK_JOIN, JOIN, DO_WHILE, SET_VARIABLE, TERMINATE, SUB_WORKFLOW, DYNAMIC, FORK_JOIN_DYNAMIC, JSON_JQ_TRANSFORM, INLINE, LAMBDA, NOOP, WAIT, HUMAN, HTTP, HTTP_POLL, EVENT, START_WORKFLOW, EXCLUSIVE_JOIN)
	// conductor: workflow "broken": task "e": inputParameters.f: reference to a task that has not run yet: ${later.output.x} names "later", which does not run before "e"
	// true true later name
}

func ExampleRuntime_Compile() {
	def := &conductor.WorkflowDef{Name: "hello", Tasks: []*conductor.WorkflowTask{{
		Name: "greet", TaskReferenceName: "g", Type: "SIMPLE",
		InputParameters: map[string]any{"text": "hello, ${workflow.input.who}"},
	}}, OutputParameters: map[string]any{"text": "${g.output.text}"}}
	rt, _ := conductor.New(conductor.WithEcho())
	wf, err := rt.Compile(def)
	if err != nil {
		panic(err)
	}
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"who": "world"})
	fmt.Println(run.Output["text"])
	// Output: hello, world
}

// Run returns the run's status, output and per-task log.
func ExampleWorkflow_Run() {
	rt, _ := conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(`{"name": "route", "tasks": [
	  {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param",
	   "expression": "kind", "inputParameters": {"kind": "${workflow.input.kind}"},
	   "decisionCases": {"video": [{"name": "transcode", "taskReferenceName": "transcode"}]},
	   "defaultCase": [{"name": "stop", "taskReferenceName": "stop", "type": "TERMINATE",
	     "inputParameters": {"terminationStatus": "FAILED", "terminationReason": "unsupported kind"}}]}]}`))
	defer wf.Close()
	for _, kind := range []string{"video", "text"} {
		run, err := wf.Run(context.Background(), map[string]any{"kind": kind}, conductor.WithWorkflowID("wf-"+kind))
		fmt.Println(kind, run.Status, errors.Is(err, conductor.ErrTerminated))
		for _, t := range run.Tasks {
			fmt.Printf("  %s %s %s\n", t.Ref, t.Type, t.Status)
		}
	}
	// Output:
	// video COMPLETED false
	//   route SWITCH COMPLETED
	//   transcode SIMPLE COMPLETED
	// text FAILED true
	//   route SWITCH COMPLETED
	//   stop TERMINATE COMPLETED
}

func ExampleWithStrictExpressions() {
	def := `{"name": "w", "tasks": [{"name": "t", "taskReferenceName": "t", "inputParameters": {"x": "${workflow.input.typo}"}}]}`
	for _, strict := range []bool{false, true} {
		opts := []conductor.Option{conductor.WithEcho()}
		if strict {
			opts = append(opts, conductor.WithStrictExpressions())
		}
		rt, _ := conductor.New(opts...)
		wf, _ := rt.Load([]byte(def))
		run, err := wf.Run(context.Background(), nil)
		wf.Close()
		fmt.Println(run.Status, errors.Is(err, conductor.ErrUnresolved))
	}
	// Output:
	// COMPLETED false
	// FAILED true
}

func ExamplePolicy() {
	opts, err := conductor.Policy(&conductor.TaskDef{
		Name: "encode", RetryCount: 3, RetryLogic: "EXPONENTIAL_BACKOFF", RetryDelaySeconds: 2, TimeoutSeconds: 60,
	}, nil, false, time.Second)
	fmt.Println(len(opts), err)
	_, err = conductor.Policy(&conductor.TaskDef{RetryLogic: "SOMETIMES"}, nil, false, time.Second)
	fmt.Println(err)
	// Output:
	// 2 <nil>
	// malformed definition: retryLogic "SOMETIMES" (want FIXED, LINEAR_BACKOFF or EXPONENTIAL_BACKOFF)
}

func ExampleParseWorkflow() {
	def, err := conductor.ParseWorkflow([]byte(encodeAndDeploy))
	fmt.Println(def.Name, len(def.Tasks), def.Tasks[1].TaskReferenceName, err)
	// Output: encode_and_deploy 2 d1 <nil>
}

func ExampleParseTaskDefs() {
	defs, err := conductor.ParseTaskDefs([]byte(`[{"name": "encode", "retryCount": 2, "retryLogic": "FIXED", "retryDelaySeconds": 5}]`))
	fmt.Println(len(defs), defs[0].Name, defs[0].RetryCount, err)
	// Output: 1 encode 2 <nil>
}

func ExampleExecution_Task() {
	rt, _ := conductor.New(conductor.WithWorker("encode", encode), conductor.WithWorker("deploy", deploy))
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	run, _ := wf.Run(context.Background(), map[string]any{"fileLocation": "s3://a.mov"}, conductor.WithWorkflowID("42"))
	t, _ := run.Task("encode")
	fmt.Println(t.TaskID, t.Output["encodeLocation"], t.Attempts)
	// Output: 42/encode s3://a.mp4 1
}

// Pipeline options make a workflow observable: here a slog observer logs each run's end
// (Info; its steps are at Debug) naming the workflow's pipeline and the run's workflowId, and
// Stats counts each task's steps, timed because an observer times them.
func ExampleWithPipelineOptions() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{} // vary from run to run
			}
			return a
		},
	}))
	rt, err := conductor.New(
		conductor.WithWorker("encode", encode),
		conductor.WithWorker("deploy", deploy),
		conductor.WithPipelineOptions(baton.WithObserver(baton.SlogObserver(logger))),
	)
	if err != nil {
		panic(err)
	}
	wf, _ := rt.Load([]byte(strings.Replace(encodeAndDeploy, `"encode_and_deploy"`, `"observed"`, 1)))
	defer wf.Close()
	_, err = wf.Run(context.Background(), map[string]any{"fileLocation": "s3://videos/cat.mov"},
		conductor.WithWorkflowID("run-1"))
	fmt.Println(err)
	st := wf.Stats()
	fmt.Println(st.Levels[0].Pipeline)
	for _, t := range st.Tasks {
		fmt.Println(t.Ref, t.Processed, t.Failed, t.Latency.P50 > 0)
	}

	// The engine routes and keys the messages itself, and the strategy is the Runtime's.
	_, err = conductor.New(conductor.WithPipelineOptions(baton.WithStrategy(baton.Choreographed)))
	fmt.Println(err)
	// Output:
	// level=INFO msg="baton: message finished" pipeline=observed/v1 strategy=orchestrated message=1 key=run-1
	// <nil>
	// observed/v1
	// encode 1 0 true
	// d1 1 0 true
	// conductor: invalid options: WithPipelineOptions: baton.WithStrategy is refused: use conductor.WithStrategy
}
