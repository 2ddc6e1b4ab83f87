package temporal

import (
	"context"

	"errors"
	"fmt"
	"github.com/baton-go/baton"

	sdktemporal "go.temporal.io/sdk/temporal"
)

// ErrBadInput is matched by the error of a message that a worker could not run: its state did
// not decode, or it named a stage the worker does not host. Such a message ends with this
// error at once (it is not retried, and never loops).
var ErrBadInput = errors.New("baton/temporal: bad input")

// errBadInputType is the Temporal application error type of bad input: not retried.
const errBadInputType = "baton.BadInput"

// badInput is err as the non-retryable application error a workflow or an activity fails with.
func badInput(err error) error {
	return sdktemporal.NewNonRetryableApplicationError(err.Error(), errBadInputType, nil)
}

// WorkflowError turns the error a message's workflow ended with (client.WorkflowRun.Get's)
// into the error its message gets: matching ErrBadInput and baton.ErrEngine for a message
// that could not be run, baton.ErrEngine otherwise. The engine calls it itself; it is exported
// for programs that run a message's workflow by its ID.
func WorkflowError(err error) error {
	var app *sdktemporal.ApplicationError
	if errors.As(err, &app) && app.Type() == errBadInputType {
		return fmt.Errorf("%w: %w: %s", baton.ErrEngine, ErrBadInput, app.Error())
	}
	return fmt.Errorf("%w: the message's workflow failed: %w", baton.ErrEngine, err)
}

// The reasons an action fails with when it is not run (baton.Host.Fail).
var (
	errCancelled = fmt.Errorf("%w: the message's workflow was cancelled", context.Canceled)
	errLost      = fmt.Errorf("%w: the step's activity failed on every attempt (its workers kept dying)", baton.ErrEngine)
)
