package baton

import "context"

// This file is how an engine ends a running step from outside: by marking the context it
// gives Host.Step.

// stepCancellationKey marks a context given to Host.Step as one whose end ends the step.
type stepCancellationKey struct{}

// WithStepCancellation returns ctx marked for Host.Step and Host.Fail: when ctx ends, the
// context of the step they run ends too, with ctx's cause, as a cancelled Process context cuts
// a step short in process — the stage sees it, its error matches the cause, and the step is not
// retried. Without the mark a Host joins only ctx's values, never its cancellation: an engine
// whose context ends because its worker shuts down must not cut the steps it lets finish. An
// engine marks the context of a step that its message's own cancellation should reach (the
// temporal module does, when a message's workflow is cancelled).
//
// It costs one context value; Host.Step then costs one more context and an AfterFunc. It is
// safe for concurrent use.
func WithStepCancellation(ctx context.Context) context.Context {
	return context.WithValue(ctx, stepCancellationKey{}, true)
}

// cancelsStep reports whether ctx was marked by WithStepCancellation.
func cancelsStep(ctx context.Context) bool {
	v, _ := ctx.Value(stepCancellationKey{}).(bool)
	return v
}

// linkCancellation returns base, ended also when the engine's ctx ends, with ctx's cause, and
// the function that releases the link. A ctx ended already ends base before it returns, so
// that the step stops before it starts: AfterFunc would end it only later, from a goroutine of
// its own, while the step ran.
func linkCancellation(base, ctx context.Context) (context.Context, context.CancelFunc) {
	linked, cancel := context.WithCancelCause(base)
	if ctx.Err() != nil {
		cancel(context.Cause(ctx))
		return linked, func() {}
	}
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	return linked, func() { stop(); cancel(nil) }
}
