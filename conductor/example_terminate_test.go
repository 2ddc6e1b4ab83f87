package conductor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton/conductor"
)

// Terminate a run while its HUMAN task waits: the task is CANCELED and the run TERMINATED with
// the reason given.
func ExampleHandle_Terminate() {
	rt, _ := conductor.New()
	wf, _ := rt.Load([]byte(approval))
	defer wf.Close()
	ctx := context.Background()
	h, _ := wf.Start(ctx, nil)
	_, _ = h.AwaitTask(ctx, "review")
	_ = h.Terminate("withdrawn")
	run, err := h.Wait(ctx)
	fmt.Println(run.Status, run.Reason, errors.Is(err, conductor.ErrTerminated))
	fmt.Println(run.Tasks[0].Ref, run.Tasks[0].Status)
	// Output:
	// TERMINATED withdrawn true
	// review CANCELED
}
