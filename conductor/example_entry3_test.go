package conductor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton/conductor"
)

// Name returns the name of the definition a workflow was loaded from.
func ExampleWorkflow_Name() {
	rt, _ := conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	fmt.Println(wf.Name())
	// Output: encode_and_deploy
}

// Definition returns the parsed definition a workflow was loaded or compiled from.
func ExampleWorkflow_Definition() {
	rt, _ := conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	def := wf.Definition()
	fmt.Println(def.Name, def.Version, def.OutputParameters["cdn_url"])
	for _, t := range def.Tasks {
		fmt.Println(t.TaskReferenceName, t.Type, t.InputParameters["fileLocation"])
	}
	// Output:
	// encode_and_deploy 1 ${d1.output.location}
	// encode SIMPLE ${workflow.input.fileLocation}
	// d1 SIMPLE ${encode.output.encodeLocation}
}

// Close stops a workflow: later runs fail with ErrClosed, and its pipelines' names are free
// again for a workflow of the same name and version.
func ExampleWorkflow_Close() {
	rt, _ := conductor.New(conductor.WithEcho())
	first, _ := rt.Load([]byte(encodeAndDeploy))
	second, _ := rt.Load([]byte(encodeAndDeploy))
	fmt.Println(first.Stats().Levels[0].Pipeline, second.Stats().Levels[0].Pipeline)

	fmt.Println(first.Close(), first.Close()) // twice is fine
	_, err := first.Run(context.Background(), map[string]any{"fileLocation": "f.mov"})
	fmt.Println(errors.Is(err, conductor.ErrClosed))

	third, _ := rt.Load([]byte(encodeAndDeploy))
	fmt.Println(third.Stats().Levels[0].Pipeline)
	_ = second.Close()
	_ = third.Close()
	// Output:
	// encode_and_deploy/v1 encode_and_deploy/v1#2
	// <nil> <nil>
	// true
	// encode_and_deploy/v1
}

// Stats counts each task's steps since the workflow was loaded, in definition order, with
// one entry per sub-workflow.
func ExampleWorkflow_Stats() {
	rt, _ := conductor.New(conductor.WithEcho(), conductor.WithDefinitions(&conductor.WorkflowDef{
		Name: "notify", Version: 1, Tasks: []*conductor.WorkflowTask{{Name: "send", TaskReferenceName: "send"}}}))
	wf, _ := rt.Load([]byte(`{"name": "order", "version": 3, "tasks": [
	  {"name": "charge", "taskReferenceName": "charge", "inputParameters": {"amount": "${workflow.input.amount}"}},
	  {"name": "notify", "taskReferenceName": "notify", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "notify"}}]}`))
	defer wf.Close()
	for _, amount := range []int{10, 20} {
		_, _ = wf.Run(context.Background(), map[string]any{"amount": amount})
	}
	st := wf.Stats()
	fmt.Println(st.Name, st.Version, st.Strategy, st.InFlight)
	for _, t := range st.Tasks {
		fmt.Println(" ", t.Ref, t.Type, t.Processed, t.Failed)
	}
	for _, sub := range st.SubWorkflows {
		fmt.Println(sub.Name, "run by", sub.ParentTask, sub.Tasks[0].Ref, sub.Tasks[0].Processed)
	}
	// Output:
	// order 3 orchestrated 0
	//   charge SIMPLE 2 0
	//   notify SUB_WORKFLOW 2 0
	// notify run by notify send 2
}

// Task finds one task's counters by its reference name.
func ExampleWorkflowStats_Task() {
	rt, _ := conductor.New(conductor.WithEcho())
	wf, _ := rt.Load([]byte(encodeAndDeploy))
	defer wf.Close()
	for range 3 {
		_, _ = wf.Run(context.Background(), map[string]any{"fileLocation": "f.mov"})
	}
	st := wf.Stats()
	d1, ok := st.Task("d1")
	fmt.Println(d1.Name, d1.Processed, ok)
	_, ok = st.Task("deploy") // a task name, not a reference name
	fmt.Println(ok)
	// Output:
	// deploy 3 true
	// false
}
