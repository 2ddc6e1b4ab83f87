package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
	"go.temporal.io/sdk/client"
)

// TestBadInput: a message whose state a worker cannot read, or naming a stage the worker does
// not have, or a message workflow whose input is not a message, ends at once with a clear error (matching ErrBadInput and baton.ErrEngine); it is
// not retried, and the worker goes on with other messages.
func TestBadInput(t *testing.T) {
	queue := newQueue("badinput")
	eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(queue))
	if err != nil {
		t.Fatal(err)
	}
	p, err := baton.New([]baton.Stage[job]{baton.Func("a", func(_ context.Context, j job) (job, error) { return j, nil })}, baton.WithEngine(eng))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, input := range map[string]any{
		"undecodable state": map[string]any{"Env": baton.Envelope{ID: 1, Stage: "a", Step: 1, State: []byte("{not json")}},
		"unknown stage": map[string]any{"Env": baton.Envelope{ID: 2, Stage: "nope", Step: 1,
			State: []byte(`{"v":1,"id":2,"value":{},"route":[{"stage":"nope"}],"pos":0,"hops":0}`)}},
		"undecodable input": "not a message",
		"no message":        map[string]any{"Deadline": "2026-01-01T00:00:00Z"},
	} {
		t.Run(name, func(t *testing.T) {
			run, err := defaultClient().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, batontemporal.WorkflowName, input)
			if err != nil {
				t.Fatal(err)
			}
			err = run.Get(ctx, nil)
			if err == nil {
				t.Fatal("the workflow succeeded")
			}
			if werr := batontemporal.WorkflowError(err); !errors.Is(werr, batontemporal.ErrBadInput) || !errors.Is(werr, baton.ErrEngine) {
				t.Fatalf("error %v: want ErrBadInput and baton.ErrEngine", werr)
			}
			t.Log(batontemporal.WorkflowError(err))
		})
	}
	// The worker is still serving.
	if _, err := p.Process(ctx, job{N: 1}); err != nil {
		t.Fatal(err)
	}
}
