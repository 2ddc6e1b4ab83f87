package baton

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton/internal/rate"
)

// Stats is a snapshot of a pipeline's counters. Each counter is read atomically but the snapshot
// as a whole is not: while messages run, counters of different stages may be a step apart.
//
// Once the pipeline has stopped — Close, or Shutdown, has seen its last message finish — the
// snapshot is frozen at that moment: Elapsed, the throughputs and the rates no longer change.
type Stats struct {
	Strategy Strategy
	// Timed reports whether the pipeline times its steps (WithTiming, WithObserver): then
	// StageStats.Running and Latency are kept, and Processed moves as each step succeeds.
	Timed bool
	// InFlight is the number of messages accepted and not yet finished.
	InFlight int
	// Elapsed is the time from the pipeline's first message to now, or to the moment the
	// pipeline stopped (when Close or Shutdown saw its last message finish), where it stays.
	Elapsed time.Duration
	// Rate1s and Rate1m are the messages finished (with or without an error) per second over
	// the last second and the last minute, as of now or of the moment the pipeline stopped.
	// Each counts whole seconds of the pipeline's clock (seconds since its first message) and
	// the share of the oldest, partly covered second that falls in the window, supposing its
	// messages spread evenly over it; over a window longer than the pipeline has run, the
	// messages finished are divided by the time it has run. So that counting a message reads
	// no clock, its second is the one a timer ticking at each second (while messages finish)
	// last set: a message finishing within the timer's lateness after a second begins counts
	// in the second before.
	Rate1s, Rate1m float64
	// ObserverPanics counts panics of the Observer, contained by the pipeline.
	ObserverPanics int64
	// Stages holds one entry per stage, in declaration order.
	Stages []StageStats
}

// StageStats counts one stage's work since New.
type StageStats struct {
	Name string
	// Processed counts the stage's steps that succeeded. When the pipeline times steps
	// (WithTiming, WithObserver) each is counted as it succeeds; otherwise all of a message's
	// steps are counted together when the message finishes, which keeps the counting off the
	// step path, so a message still travelling adds nothing yet.
	Processed          int64
	Failed             int64 // steps that failed after their attempts (optional ones included), counted as they fail
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
	// Throughput is Processed per second of Elapsed: the average over the pipeline's life.
	Throughput float64
	// Rate1s and Rate1m are the steps counted in Processed per second over the last second and
	// the last minute, beside the lifetime Throughput; they are estimated like Stats.Rate1s,
	// and count each step when Processed does: untimed, when its message finishes (in the
	// timer's second); timed, as it succeeds (in the second its end was timed).
	Rate1s, Rate1m float64
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
	_                                                                    [16]byte // to 64 bytes: see TestCacheLinePadding
	// recent counts the steps counted in processed per second of the pipeline's clock, but for
	// the messages counted in Pipeline.untouchedDone (see liveStats.untouched).
	recent rate.Ring
}

// liveStats is what Stats needs besides the counters: the pipeline's clock for the rates, the
// moment it stopped, and the rates of messages finished.
type liveStats struct {
	// origin is the pipeline's first message (begun) on the monotonic clock: second 0 of the
	// rings. Set by the first message counted, from begun.
	origin atomic.Pointer[time.Time]
	// stopped is when the pipeline stopped: Stats reads its clock there from then on.
	stopped atomic.Pointer[time.Time]
	// second is 1 + the current second of the pipeline's clock, kept by tick while messages
	// finish, so that counting one reads no clock; 0 while tick is not armed.
	second atomic.Int64
	_      [40]byte
	// untouched counts the messages counted in untouchedDone (untimed, the default itinerary completed
	// unrevised at first attempts): each is also a step of every stage. other counts every
	// other message finished.
	untouched, other rate.Ring

	mu      sync.Mutex  // guards the fields below, and arming
	timer   *time.Timer // runs tick at each second while armed
	bubbled bool        // timer was made in a testing/synctest bubble
	armed   bool
	halted  bool // stopped: tick is never armed again
}

// freeze records the moment the pipeline stopped and stops tick; called once, by stop, when no
// message is left in flight.
func (l *liveStats) freeze() {
	now := time.Now()
	l.stopped.CompareAndSwap(nil, &now)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.halted, l.armed = true, false
	l.second.Store(0)
	// A timer made in a synctest bubble must not be stopped from outside it (the runtime
	// would abort): left alone, it finds the pipeline halted when it fires, if ever.
	if l.timer != nil && l.bubbled == inBubble(now) {
		l.timer.Stop()
	}
}

// inBubble reports whether now, just read by time.Now, was read in a testing/synctest bubble,
// where time.Now carries no monotonic clock reading. (== compares the monotonic readings too,
// which Round(0) strips.)
func inBubble(now time.Time) bool { return now == now.Round(0) }

// clockOrigin returns the pipeline's second 0 on the monotonic clock, setting it at the first
// call (one allocation in the pipeline's life) from begun, the first message's wall time.
func (p *Pipeline[T]) clockOrigin() *time.Time {
	if o := p.live.origin.Load(); o != nil {
		return o
	}
	now := time.Now()
	o := now.Add(-time.Duration(now.UnixNano() - p.begun.Load())) // keeps now's monotonic reading
	if !p.live.origin.CompareAndSwap(nil, &o) {
		return p.live.origin.Load()
	}
	return &o
}

// second returns the second of the pipeline's clock that now falls in.
func (p *Pipeline[T]) second(now time.Time) int64 {
	return max(0, int64(now.Sub(*p.clockOrigin())/time.Second))
}

// currentSecond returns the current second of the pipeline's clock for a message that
// finishes: the one tick keeps, so that a message reads no clock (a clock read costs 25-50 ns,
// a third of a one-stage Process), at the price of counting a message that finishes within a
// timer's lateness after a second's start in the second before. The first message after the
// pipeline has been idle for a second reads the clock and arms tick.
func (p *Pipeline[T]) currentSecond() int64 {
	if s := p.live.second.Load(); s != 0 {
		return s - 1
	}
	return p.armTick()
}

// armTick returns the current second of the pipeline's clock, and arms tick unless it is armed
// already or the pipeline has stopped.
func (p *Pipeline[T]) armTick() int64 {
	l := &p.live
	l.mu.Lock()
	defer l.mu.Unlock()
	since := time.Since(*p.clockOrigin())
	sec := max(0, int64(since/time.Second))
	if l.armed || l.halted { // armed by another message meanwhile, or stopped
		return sec
	}
	l.armed = true
	l.second.Store(sec + 1)
	// A new timer (one allocation per busy spell) rather than a Reset: this goroutine may run
	// in another synctest bubble than the last timer's. tick resets its own timer.
	l.timer = time.AfterFunc(time.Duration(sec+1)*time.Second-since, p.tick)
	l.bubbled = inBubble(time.Now())
	return sec
}

// tick runs at the start of each second of the pipeline's clock while messages finish:
// it moves liveStats.second on, and disarms itself after a second in which no message
// finished, so that an idle pipeline has no timer running.
func (p *Pipeline[T]) tick() {
	l := &p.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.armed || l.halted {
		return
	}
	since := time.Since(*p.clockOrigin())
	sec := int64(since / time.Second)
	if l.untouched.Count(sec-1)+l.other.Count(sec-1)+l.untouched.Count(sec)+l.other.Count(sec) == 0 {
		l.armed = false
		l.second.Store(0)
		return
	}
	l.second.Store(sec + 1)
	l.timer.Reset(time.Duration(sec+1)*time.Second - since)
}

// countStep counts a timed step that ended with outcome, at now, in Processed and its rate.
// endStep calls it when the pipeline times steps; countSteps then counts no step again.
func (p *Pipeline[T]) countStep(st *stage[T], outcome Outcome, now time.Time) {
	if outcome != Succeeded {
		return
	}
	st.stats.processed.Add(1)
	st.stats.recent.Add(p.second(now), 1)
}

// countRates counts a finished message in the rates: the message, and, when the pipeline does
// not time steps, its successful steps too (countSteps then adds them to the lifetime
// counters). It reports whether the pipeline times steps, in which case endStep has counted
// them already. Cost: an atomic load and an atomic add, no clock read (see currentSecond), and
// untimed, an atomic add per successful step of a message that is not untouched (see Slip.untouched).
func (p *Pipeline[T]) countRates(m *message[T]) (timed bool) {
	sec := p.currentSecond()
	if p.timing {
		p.live.other.Add(sec, 1)
		return true
	}
	if m.err == nil && m.slip.untouched && p.router == nil { // counted in untouchedDone
		p.live.untouched.Add(sec, 1)
		return false
	}
	p.live.other.Add(sec, 1)
	for i := range m.slip.log {
		if e := &m.slip.log[i]; e.outcome == Succeeded {
			p.stages[e.stage].stats.recent.Add(sec, 1)
		}
	}
	return false
}

// Stats returns a snapshot of the pipeline's counters. It is safe to call at any time, also
// while messages run and after Close. It costs a clock read, one allocation and a pass over
// the pipeline's last minute of one-second buckets (about 0.2 µs in all), then per stage a few
// atomic loads and a pass over its own last minute (about 0.1 µs), and with timing a pass over
// its latency histogram (about 0.6 µs more), as measured by BenchmarkStats on a 2-core
// machine: cheap enough to poll every 100 ms, or far more often.
func (p *Pipeline[T]) Stats() Stats {
	st := Stats{
		Strategy: p.cfg.strategy,
		Timed:    p.timing,
		InFlight: int(p.state.Load() >> 1),
		Stages:   make([]StageStats, len(p.stages)),
	}
	now := time.Now()
	if s := p.live.stopped.Load(); s != nil {
		now = *s
	}
	if b := p.begun.Load(); b != 0 {
		st.Elapsed = max(0, now.Sub(time.Unix(0, b)))
	}
	var clock time.Duration // the pipeline's clock; 0 until a message has been counted
	if o := p.live.origin.Load(); o != nil {
		clock = now.Sub(*o)
	}
	untouched1s, untouched1m := p.live.untouched.Rate(clock, 1), p.live.untouched.Rate(clock, 60)
	st.Rate1s = untouched1s + p.live.other.Rate(clock, 1)
	st.Rate1m = untouched1m + p.live.other.Rate(clock, 60)
	if p.obs != nil {
		st.ObserverPanics = p.obs.panics.Load()
	}
	untouched := p.untouchedDone.Load()
	for i := range p.stages {
		c := &p.stages[i].stats
		st.Stages[i] = StageStats{
			Name:               p.stages[i].name,
			Processed:          c.processed.Load() + untouched,
			Failed:             c.failed.Load(),
			Retried:            c.retried.Load(),
			Compensated:        c.compensated.Load(),
			CompensationFailed: c.compensationFailed.Load(),
			Inbox:              p.strat.inbox(i),
			Running:            c.running.Load(),
			Rate1s:             untouched1s + c.recent.Rate(clock, 1),
			Rate1m:             untouched1m + c.recent.Rate(clock, 60),
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
