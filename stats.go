package baton

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a pipeline's counters. Each counter is read atomically but the snapshot
// as a whole is not: while messages run, counters of different stages may be a step apart.
type Stats struct {
	Strategy Strategy
	// InFlight is the number of messages accepted and not yet finished.
	InFlight int
	// Elapsed is the time since the pipeline's first message.
	Elapsed time.Duration
	// ObserverPanics counts panics of the Observer, contained by the pipeline.
	ObserverPanics int64
	// Stages holds one entry per stage, in declaration order.
	Stages []StageStats
}

// StageStats counts one stage's work since New.
type StageStats struct {
	Name               string
	Processed          int64 // steps that succeeded, counted when their message finishes
	Failed             int64 // steps that failed after their attempts (optional ones included)
	Retried            int64 // retries made (of steps and of compensations)
	Compensated        int64 // compensations that succeeded
	CompensationFailed int64 // compensations that failed after their attempts
	// Inbox is the number of messages waiting for the stage: in its inbox under choreography;
	// under orchestration, streamed messages parked for a worker slot of a stage with Workers
	// (Process callers waiting for one are not counted).
	Inbox int
	// Running is the number of steps of the stage running now; counted only when the pipeline
	// times steps (WithTiming, WithObserver), else 0.
	Running int64
	// Throughput is Processed per second of Elapsed.
	Throughput float64
	// Latency holds quantiles of the stage's step durations (all attempts included); zero
	// unless the pipeline times steps (WithTiming, WithObserver). Each is within 12.5% above
	// the true quantile.
	Latency Latency
}

// Latency is a latency distribution's quantiles.
type Latency struct {
	P50, P90, P99 time.Duration
}

// stageCounters are a stage's counters, padded so that stages never share a cache line.
type stageCounters struct {
	processed, failed, retried, compensated, compensationFailed, running atomic.Int64
	_                                                                    [16]byte
}

// Stats returns a snapshot of the pipeline's counters. It is safe to call at any time, also
// while messages run and after Close. It costs a few atomic loads per stage, and with timing a
// pass over each stage's histogram (about a microsecond per stage): cheap enough to poll every
// 100 ms.
func (p *Pipeline[T]) Stats() Stats {
	st := Stats{
		Strategy: p.cfg.strategy,
		InFlight: int(p.state.Load() >> 1),
		Stages:   make([]StageStats, len(p.stages)),
	}
	if b := p.begun.Load(); b != 0 {
		st.Elapsed = time.Since(time.Unix(0, b))
	}
	if p.obs != nil {
		st.ObserverPanics = p.obs.panics.Load()
	}
	plain := p.plainDone.Load()
	for i := range p.stages {
		c := &p.stages[i].stats
		st.Stages[i] = StageStats{
			Name:               p.stages[i].name,
			Processed:          c.processed.Load() + plain,
			Failed:             c.failed.Load(),
			Retried:            c.retried.Load(),
			Compensated:        c.compensated.Load(),
			CompensationFailed: c.compensationFailed.Load(),
			Inbox:              p.strat.inbox(i),
			Running:            c.running.Load(),
		}
		if st.Elapsed > 0 {
			st.Stages[i].Throughput = float64(st.Stages[i].Processed) / st.Elapsed.Seconds()
		}
		if p.timing {
			q := p.stages[i].latency.Quantiles(0.5, 0.9, 0.99)
			st.Stages[i].Latency = Latency{P50: q[0], P90: q[1], P99: q[2]}
		}
	}
	return st
}
