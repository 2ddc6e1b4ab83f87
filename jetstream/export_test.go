package jetstream

import "github.com/baton-go/baton"

// SetAfterPublish makes e call f after each next hand-off is stored and before the hand-off
// it came from is acknowledged: where the crash tests kill a worker.
func SetAfterPublish(e *Engine, f func(stage string, out baton.Envelope)) { e.afterPublish = f }
