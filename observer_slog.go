package baton

import (
	"context"
	"log/slog"
)

// SlogObserver returns an Observer that logs events through logger: failed messages at Error;
// failed steps, failed compensations and retries at Warn; finished messages and compensations
// at Info; accepted messages, step starts and ends, and slip revisions at Debug. Attributes
// carry the pipeline's name (WithName), the strategy, the message's ID and key (WithKey), the
// stage, attempt, outcome, error and durations.
//
// Records are logged with the message's context (Event.Context: the one given to Process or
// Stream), so a context-aware handler can add what it carries, a trace or request ID.
//
// Logging every event is not free: a handler that discards Debug costs little for those, but
// Info and above are formatted per message.
func SlogObserver(logger *slog.Logger) Observer {
	return ObserverFunc(func(e Event) {
		level := slog.LevelDebug
		switch e.Kind {
		case MessageFinished:
			level = slog.LevelInfo
			if e.Err != nil {
				level = slog.LevelError
			}
		case RetryScheduled:
			level = slog.LevelWarn
		case StepEnded:
			if e.Outcome == Failed || e.Outcome == Tolerated {
				level = slog.LevelWarn
			}
		case CompensationEnded:
			level = slog.LevelInfo
			if e.Outcome == CompensationFailed {
				level = slog.LevelWarn
			}
		}
		ctx := e.Context
		if ctx == nil {
			ctx = context.Background()
		}
		if !logger.Enabled(ctx, level) {
			return
		}
		attrs := make([]slog.Attr, 0, 10)
		if e.Pipeline != "" {
			attrs = append(attrs, slog.String("pipeline", e.Pipeline))
		}
		attrs = append(attrs, slog.String("strategy", e.Strategy.String()), slog.Uint64("message", e.Message))
		if e.Key != "" {
			attrs = append(attrs, slog.String("key", e.Key))
		}
		if e.Stage != "" {
			attrs = append(attrs, slog.String("stage", e.Stage))
		}
		if e.Attempt != 0 {
			attrs = append(attrs, slog.Int("attempt", e.Attempt))
		}
		if e.Outcome != 0 {
			attrs = append(attrs, slog.String("outcome", e.Outcome.String()))
		}
		if e.Duration != 0 {
			attrs = append(attrs, slog.Duration("duration", e.Duration))
		}
		if e.Backoff != 0 {
			attrs = append(attrs, slog.Duration("backoff", e.Backoff))
		}
		if e.Remaining != nil {
			attrs = append(attrs, slog.Any("remaining", e.Remaining))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("error", e.Err.Error()))
		}
		logger.LogAttrs(ctx, level, "baton: "+e.Kind.String(), attrs...)
	})
}
