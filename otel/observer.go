package batonotel

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the Observer's tracer and meter.
const ScopeName = "github.com/baton-go/baton/otel"

// Attribute keys of the Observer's spans and metrics.
const (
	KeyPipeline  = attribute.Key("baton.pipeline") // the pipeline's name, when it has one
	KeyMessage   = attribute.Key("baton.message")  // the message's ID (baton.Result.ID)
	KeyKey       = attribute.Key("baton.key")      // the message's own key (baton.WithKey), when it has one
	KeyStrategy  = attribute.Key("baton.strategy")
	KeyStage     = attribute.Key("baton.stage")
	KeyAttempt   = attribute.Key("baton.attempt")
	KeyOutcome   = attribute.Key("baton.outcome")
	KeyBackoff   = attribute.Key("baton.backoff")
	KeyRemaining = attribute.Key("baton.remaining")
)

// Span names; a step's span is SpanStep+"/"+stage, a compensation's SpanCompensate+"/"+stage.
const (
	SpanMessage    = "baton.message"
	SpanStep       = "baton.step"
	SpanCompensate = "baton.compensate"
)

// OutcomeRetried is the baton.outcome of an attempt that failed and is followed by another.
const OutcomeRetried = "retried"

// Observer is a baton.Observer that emits OpenTelemetry spans and metrics (see the package
// documentation). Make one with NewObserver. It is safe for concurrent use, and may serve
// several pipelines if they have distinct names (baton.WithName): it tells messages apart by
// pipeline name and message number. Under an engine, install one in every process, with
// Propagation: a message's spans are then one trace across processes (see the package doc,
// "Across processes").
type Observer struct {
	tracer trace.Tracer

	stepDuration    metric.Float64Histogram
	messageDuration metric.Float64Histogram
	processed       metric.Int64Counter
	failed          metric.Int64Counter
	retried         metric.Int64Counter
	compensations   metric.Int64Counter

	// Made once per stage and attribute set, read without locks, copied on write (see cached).
	cache   atomic.Pointer[caches]
	cacheMu sync.Mutex

	shards [shards]shard
}

var (
	_ baton.Observer        = (*Observer)(nil)
	_ baton.ContextObserver = (*Observer)(nil)
	_ baton.SendObserver    = (*Observer)(nil)
)

// shards spreads open messages over maps with their own locks, so that concurrent messages
// rarely meet on one.
const shards = 32

type shard struct {
	mu     sync.Mutex
	open   map[msgKey]*spans
	remote map[remoteKey]*spans // steps run here for messages submitted elsewhere: see remote.go
	_      [40]byte             // 64 bytes a shard: shards never share a cache line
}

// msgKey identifies a message among those of every pipeline the Observer serves: message
// numbers are per pipeline.
type msgKey struct {
	pipeline string
	message  uint64
}

// spans are one open message's spans. A message's events come one at a time, in order (from
// whichever goroutine holds the message), so only the map needs a lock.
type spans struct {
	ctx     context.Context // carries the message span, parent of the others
	message trace.Span
	step    trace.Span // the attempt running
	start   time.Time  // of the attempt running or the compensation running
	retry   trace.Span // an attempt that failed, kept open for its RetryScheduled event
	retryAt time.Time  // when it ended
	comp    trace.Span // the compensation running
	// recording: the message span records (see accept)
	recording bool
	// engine: the message was sent to an engine (see SendContext), so this process may also
	// run steps of another process's message of the same number; parent, the span context of
	// the message's own context, tells them apart (see owns).
	engine bool
	parent trace.SpanContext
}

// Option configures an Observer.
type Option func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider sets the provider of the Observer's tracer (default otel.GetTracerProvider
// at NewObserver).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the provider of the Observer's meter (default otel.GetMeterProvider at
// NewObserver).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// NewObserver returns an Observer, for one pipeline or for several with distinct names. It fails
// only when the meter provider refuses to create an instrument.
func NewObserver(opts ...Option) (*Observer, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	o := &Observer{tracer: c.tp.Tracer(ScopeName)}
	for i := range o.shards {
		o.shards[i].open = make(map[msgKey]*spans)
		o.shards[i].remote = make(map[remoteKey]*spans)
	}
	o.cache.Store(&caches{sets: map[attrKey]*measure{}, stages: map[stageKey]*stageInfo{}})

	m := c.mp.Meter(ScopeName)
	// Buckets from 10µs to 10s: Baton's steps range from in-memory transforms to remote calls.
	buckets := metric.WithExplicitBucketBoundaries(1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3,
		2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
	var err, e error
	o.stepDuration, e = m.Float64Histogram("baton.step.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of each attempt of a step."), buckets)
	err = first(err, e)
	o.messageDuration, e = m.Float64Histogram("baton.message.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of each message, from acceptance to result."), buckets)
	err = first(err, e)
	o.processed, e = m.Int64Counter("baton.step.processed", metric.WithUnit("{step}"),
		metric.WithDescription("Steps that succeeded."))
	err = first(err, e)
	o.failed, e = m.Int64Counter("baton.step.failed", metric.WithUnit("{step}"),
		metric.WithDescription("Steps that failed after their attempts, optional ones included."))
	err = first(err, e)
	o.retried, e = m.Int64Counter("baton.step.retried", metric.WithUnit("{retry}"),
		metric.WithDescription("Retries scheduled, of steps and of compensations."))
	err = first(err, e)
	o.compensations, e = m.Int64Counter("baton.compensations", metric.WithUnit("{compensation}"),
		metric.WithDescription("Compensations of completed steps, by outcome."))
	err = first(err, e)
	if err != nil {
		return nil, fmt.Errorf("batonotel: creating instruments: %w", err)
	}
	return o, nil
}

func first(err, e error) error {
	if err != nil {
		return err
	}
	return e
}

// Observe turns e into spans and measurements. Baton calls it; see baton.Observer.
func (o *Observer) Observe(e baton.Event) {
	// Pipelines number their messages alike, so the number alone picks the shard: messages of
	// different pipelines may share one, and are told apart by the key.
	sh := &o.shards[e.Message%shards]
	if e.Kind == baton.MessageAccepted {
		s := o.accept(e)
		sh.mu.Lock()
		sh.open[msgKey{e.Pipeline, e.Message}] = s
		sh.mu.Unlock()
		return
	}
	s := sh.find(e, true)
	if s == nil {
		return // not accepted while observed
	}
	if s.retry != nil && (e.Kind != baton.RetryScheduled || e.Compensation) {
		s.retry.End(trace.WithTimestamp(s.retryAt))
		s.retry = nil
	}
	ctx := context.Background()
	switch e.Kind {
	case baton.StepStarted:
		if s.recording {
			st := o.stage(e.Pipeline, e.Stage, e.Strategy)
			s.start = e.Time
			_, s.step = o.tracer.Start(s.ctx, st.stepName, trace.WithTimestamp(e.Time),
				trace.WithAttributes(st.with(KeyAttempt.Int(e.Attempt))...))
		}
	case baton.StepEnded:
		o.stepEnded(s, e)
	case baton.RetryScheduled:
		// Retries of compensations too, as the pipeline's Stats count them.
		o.retried.Add(ctx, 1, o.measure(e.Pipeline, e.Stage, e.Strategy, "").add...)
		if e.Compensation {
			// One span covers all the compensation's attempts: each failed one is an exception
			// event on it, followed by the retry.
			if s.comp != nil {
				if e.Err != nil {
					s.comp.RecordError(e.Err, trace.WithTimestamp(e.Time))
				}
				s.comp.AddEvent("retry scheduled", trace.WithTimestamp(e.Time),
					trace.WithAttributes(KeyAttempt.Int(e.Attempt), KeyBackoff.String(e.Backoff.String())))
			}
		} else if s.retry != nil {
			s.retry.AddEvent("retry scheduled", trace.WithTimestamp(e.Time),
				trace.WithAttributes(KeyBackoff.String(e.Backoff.String())))
			s.retry.End(trace.WithTimestamp(s.retryAt))
			s.retry = nil
		}
	case baton.SlipRevised:
		if s.recording {
			s.message.AddEvent("slip revised", trace.WithTimestamp(e.Time),
				trace.WithAttributes(KeyStage.String(e.Stage), KeyRemaining.StringSlice(e.Remaining)))
		}
	case baton.CompensationStarted:
		if s.recording {
			st := o.stage(e.Pipeline, e.Stage, e.Strategy)
			s.start = e.Time
			_, s.comp = o.tracer.Start(s.ctx, st.compName, trace.WithTimestamp(e.Time),
				trace.WithAttributes(st.attrs...))
		}
	case baton.CompensationEnded:
		o.compensationEnded(s, e)
	case baton.MessageFinished:
		o.finish(s, e)
	}
}

// StepContext returns ctx carrying the span of the step attempt or compensation that e starts,
// so that a span the stage starts from its context is a child of that span. Baton calls it; see
// baton.ContextObserver. Cost: a map lookup under a shard's lock and, for a recorded message, one
// small allocation per attempt.
func (o *Observer) StepContext(ctx context.Context, e baton.Event) context.Context {
	sh := &o.shards[e.Message%shards]
	s := sh.find(e, false)
	if s == nil {
		return ctx
	}
	// s is the message's own: only the goroutine holding the message, which calls this, uses it.
	var sp trace.Span
	switch e.Kind {
	case baton.StepStarted:
		sp = s.step
	case baton.CompensationStarted:
		sp = s.comp
	}
	if sp == nil {
		return ctx
	}
	return trace.ContextWithSpan(ctx, sp)
}

func (o *Observer) accept(e baton.Event) *spans {
	// The message's span is a child of the span in the message's context (the caller's, given
	// to Process or Stream), and a root span when there is none.
	parent := e.Context
	if parent == nil {
		parent = context.Background()
	}
	s := &spans{parent: trace.SpanContextFromContext(parent)}
	attrs := o.stage(e.Pipeline, "", e.Strategy).with(KeyMessage.Int64(int64(e.Message)))
	if e.Key != "" {
		attrs = append(attrs, KeyKey.String(e.Key))
	}
	s.ctx, s.message = o.tracer.Start(parent, SpanMessage, trace.WithTimestamp(e.Time), trace.WithAttributes(attrs...))
	// A message that is not recorded (no-op provider, not sampled) gets no child spans either:
	// they would be dropped, and making them is most of the cost.
	s.recording = s.message.IsRecording()
	return s
}

func (o *Observer) stepEnded(s *spans, e baton.Event) {
	ctx := context.Background()
	outcome := OutcomeRetried
	if e.Outcome != 0 {
		outcome = e.Outcome.String()
	}
	o.stepDuration.Record(ctx, e.Duration.Seconds(), o.measure(e.Pipeline, e.Stage, e.Strategy, outcome).rec...)
	switch e.Outcome {
	case baton.Succeeded:
		o.processed.Add(ctx, 1, o.measure(e.Pipeline, e.Stage, e.Strategy, "").add...)
	case baton.Failed, baton.Tolerated:
		o.failed.Add(ctx, 1, o.measure(e.Pipeline, e.Stage, e.Strategy, outcome).add...)
	}
	sp := s.step
	s.step = nil
	if sp == nil {
		return
	}
	sp.SetAttributes(KeyOutcome.String(outcome))
	if e.Err != nil {
		sp.RecordError(e.Err, trace.WithTimestamp(e.Time))
		sp.SetStatus(codes.Error, e.Err.Error())
	}
	end := s.start.Add(e.Duration)
	if e.Outcome == 0 { // a RetryScheduled event follows: keep the span for it
		s.retry, s.retryAt = sp, end
		return
	}
	sp.End(trace.WithTimestamp(end))
}

func (o *Observer) compensationEnded(s *spans, e baton.Event) {
	o.compensations.Add(context.Background(), 1, o.measure(e.Pipeline, e.Stage, e.Strategy, e.Outcome.String()).add...)
	sp := s.comp
	s.comp = nil
	if sp == nil {
		return
	}
	sp.SetAttributes(KeyAttempt.Int(e.Attempt), KeyOutcome.String(e.Outcome.String()))
	if e.Err != nil {
		sp.RecordError(e.Err, trace.WithTimestamp(e.Time))
		sp.SetStatus(codes.Error, e.Err.Error())
	}
	sp.End(trace.WithTimestamp(s.start.Add(e.Duration)))
}

func (o *Observer) finish(s *spans, e baton.Event) {
	outcome := baton.Succeeded.String()
	if e.Err != nil {
		outcome = baton.Failed.String()
	}
	o.messageDuration.Record(context.Background(), e.Duration.Seconds(), o.measure(e.Pipeline, "", e.Strategy, outcome).rec...)
	// Spans left open by an event that never came are closed with the message.
	if s.step != nil {
		s.step.End(trace.WithTimestamp(e.Time))
	}
	if s.comp != nil {
		s.comp.End(trace.WithTimestamp(e.Time))
	}
	if s.recording {
		s.message.SetAttributes(KeyOutcome.String(outcome))
		if e.Err != nil {
			s.message.RecordError(e.Err, trace.WithTimestamp(e.Time))
			s.message.SetStatus(codes.Error, e.Err.Error())
		}
	}
	s.message.End(trace.WithTimestamp(e.Time))
}

// caches hold what the Observer makes once rather than per event: the attribute sets of its
// measurements and each stage's span names and attributes. They are few (pipelines × stages ×
// strategies × outcomes), and building them per event would allocate on every step.
type caches struct {
	sets   map[attrKey]*measure
	stages map[stageKey]*stageInfo
}

// attrKey names one attribute set of the metrics; pipeline, stage and outcome may be empty.
type attrKey struct {
	pipeline string
	stage    string
	strategy baton.Strategy
	outcome  string
}

type measure struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

type stageKey struct {
	pipeline string
	stage    string
	strategy baton.Strategy
}

type stageInfo struct {
	stepName, compName string
	// attrs are the spans' attributes: baton.stage (for a stage), baton.strategy and
	// baton.pipeline (for a named pipeline).
	attrs []attribute.KeyValue
}

// with returns the stage's span attributes and kv, in a new slice.
func (st *stageInfo) with(kv attribute.KeyValue) []attribute.KeyValue {
	return append(st.attrs[:len(st.attrs):len(st.attrs)], kv)
}

// measure returns the options of the attribute set {pipeline, strategy, stage, outcome}.
func (o *Observer) measure(pipeline, stage string, strategy baton.Strategy, outcome string) *measure {
	k := attrKey{pipeline, stage, strategy, outcome}
	if m, ok := o.cache.Load().sets[k]; ok {
		return m
	}
	kv := []attribute.KeyValue{KeyStrategy.String(strategy.String())}
	if pipeline != "" {
		kv = append(kv, KeyPipeline.String(pipeline))
	}
	if stage != "" {
		kv = append(kv, KeyStage.String(stage))
	}
	if outcome != "" {
		kv = append(kv, KeyOutcome.String(outcome))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kv...))
	m := &measure{add: []metric.AddOption{opt}, rec: []metric.RecordOption{opt}}
	o.cached(func(c *caches) { c.sets[k] = m })
	return m
}

// stage returns the span names and attributes of a stage of a pipeline under a strategy; stage
// "" gives the message span's attributes.
func (o *Observer) stage(pipeline, stage string, strategy baton.Strategy) *stageInfo {
	k := stageKey{pipeline, stage, strategy}
	if st, ok := o.cache.Load().stages[k]; ok {
		return st
	}
	st := &stageInfo{stepName: SpanStep + "/" + stage, compName: SpanCompensate + "/" + stage}
	if stage != "" {
		st.attrs = append(st.attrs, KeyStage.String(stage))
	}
	st.attrs = append(st.attrs, KeyStrategy.String(strategy.String()))
	if pipeline != "" {
		st.attrs = append(st.attrs, KeyPipeline.String(pipeline))
	}
	o.cached(func(c *caches) { c.stages[k] = st })
	return st
}

// cached publishes a copy of the caches changed by add. Entries made twice by racing callers
// are equal, so either may win.
func (o *Observer) cached(add func(*caches)) {
	o.cacheMu.Lock()
	defer o.cacheMu.Unlock()
	old := o.cache.Load()
	c := &caches{sets: maps.Clone(old.sets), stages: maps.Clone(old.stages)}
	add(c)
	o.cache.Store(c)
}

// open counts the messages whose spans are open, and the steps run here for messages submitted
// elsewhere whose spans are.
func (o *Observer) open() int {
	n := 0
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.Lock()
		n += len(sh.open) + len(sh.remote)
		sh.mu.Unlock()
	}
	return n
}
