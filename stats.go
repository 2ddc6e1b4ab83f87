package baton

import "sync/atomic"

// Stats is a snapshot of a pipeline's counters. Each counter is read atomically but the snapshot
// as a whole is not: while messages run, counters of different stages may be a step apart.
type Stats struct {
	Strategy Strategy
	// InFlight is the number of messages accepted and not yet finished.
	InFlight int
	// Stages holds one entry per stage, in declaration order.
	Stages []StageStats
}

// StageStats counts one stage's work since New.
type StageStats struct {
	Name               string
	Processed          int64 // steps that succeeded
	Failed             int64 // steps that failed after their attempts (optional ones included)
	Retried            int64 // retries made (of steps and of compensations)
	Compensated        int64 // compensations that succeeded
	CompensationFailed int64 // compensations that failed after their attempts
	// Inbox is the number of messages waiting in the stage's inbox; always 0 under orchestration.
	Inbox int
}

// stageCounters are a stage's counters, padded so that stages never share a cache line.
type stageCounters struct {
	processed, failed, retried, compensated, compensationFailed atomic.Int64
	_                                                           [24]byte
}

// Stats returns a snapshot of the pipeline's counters. It is safe to call at any time, also
// after Close, and costs one allocation and a few atomic loads per stage.
func (p *Pipeline[T]) Stats() Stats {
	st := Stats{
		Strategy: p.cfg.strategy,
		InFlight: int(p.state.Load() >> 1),
		Stages:   make([]StageStats, len(p.stages)),
	}
	for i := range p.stages {
		c := &p.stages[i].stats
		st.Stages[i] = StageStats{
			Name:               p.stages[i].name,
			Processed:          c.processed.Load(),
			Failed:             c.failed.Load(),
			Retried:            c.retried.Load(),
			Compensated:        c.compensated.Load(),
			CompensationFailed: c.compensationFailed.Load(),
			Inbox:              p.strat.inbox(i),
		}
	}
	return st
}
