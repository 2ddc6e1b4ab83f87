package dashboard

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/baton-go/baton"
)

// Errors of the Dashboard's methods, for errors.Is.
var (
	// ErrInvalid: New was given an invalid option, or a method an empty name or a nil value.
	ErrInvalid = errors.New("dashboard: invalid argument")
	// ErrDuplicate: a pipeline or workflow of that name is registered already.
	ErrDuplicate = errors.New("dashboard: name registered already")
	// ErrUnknown: no pipeline, workflow, execution or message of that name or id.
	ErrUnknown = errors.New("dashboard: not found")
	// ErrClosed: the dashboard was closed.
	ErrClosed = errors.New("dashboard: closed")
)

// maxTrackers bounds the pipelines the observer follows, registered or not, so that events of
// ever new pipeline names cannot grow memory without end; events past it are only counted.
const maxTrackers = 1024

// Dashboard is a live web view of pipelines and Conductor workflows. It is an http.Handler:
// mount it on the program's own server, like net/http/pprof, under any path prefix with
// http.StripPrefix (see ServeHTTP). Its Observer feeds it the pipelines' events.
//
// A Dashboard is safe for concurrent use: registering, observing, serving and Close may run at
// once. Close ends the live streams of open pages; a program that stops serving should call it.
type Dashboard struct {
	cfg config

	// trackers maps pipeline names to their trackers: read by every event without a lock,
	// replaced whole (copy on write) when a name is first seen.
	trackers atomic.Pointer[map[string]*tracker]
	untraced atomic.Int64 // events of pipelines past maxTrackers

	mu        sync.Mutex // guards the fields below, and replacing trackers
	pipelines []*pipelineEntry
	workflows []*workflowEntry

	closed    chan struct{}
	closeOnce sync.Once
	streams   sync.WaitGroup
}

// pipelineEntry is a registered pipeline.
type pipelineEntry struct {
	name string
	src  StatsSource
	t    *tracker
}

// StatsSource is what the dashboard reads of a pipeline: *baton.Pipeline[T] is one, for any T.
type StatsSource interface {
	Stats() baton.Stats
}

// New returns a Dashboard. Invalid options give an error matching ErrInvalid.
func New(opts ...Option) (*Dashboard, error) {
	cfg := newConfig(opts)
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(cfg.errs...))
	}
	d := &Dashboard{cfg: cfg, closed: make(chan struct{})}
	d.trackers.Store(&map[string]*tracker{})
	return d, nil
}

// Observer returns the observer that feeds the dashboard: install it with baton.WithObserver
// (and for Conductor workflows with conductor.WithPipelineOptions(baton.WithObserver(...))).
// One observer serves every pipeline: it tells them apart by name (baton.WithName), so give
// each pipeline its own name, the one passed to AddPipeline.
//
// Cost per event: a map lookup by pipeline name, a lock of one of 32 shards and a map lookup by
// message ID; a step's first StepStarted adds a map increment (the hand-off). A message costs
// one record, recycled from the rings once they are full, and its timeline's entries. The
// package doc, "Cost", gives the measured figures. Like any observer it also turns on step
// timing (baton.WithTiming), which Stats needs for latencies and Running.
func (d *Dashboard) Observer() baton.Observer { return baton.ObserverFunc(d.observe) }

func (d *Dashboard) observe(e baton.Event) {
	t := (*d.trackers.Load())[e.Pipeline]
	if t == nil {
		if t = d.tracker(e.Pipeline); t == nil {
			d.untraced.Add(1)
			return
		}
	}
	t.observe(e)
}

// tracker returns the tracker of pipeline name, making it if need be; nil past maxTrackers.
func (d *Dashboard) tracker(name string) *tracker {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := *d.trackers.Load()
	if t := old[name]; t != nil {
		return t
	}
	if len(old) >= maxTrackers {
		return nil
	}
	m := make(map[string]*tracker, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	t := newTracker(name, d.cfg.recent, d.cfg.failed)
	m[name] = t
	d.trackers.Store(&m)
	return t
}

// AddPipeline shows p under name, which must be the name p was built with (baton.WithName),
// so that the events the Observer receives are joined to it. A pipeline built without the
// Observer shows its Stats only: no hand-offs, no messages. An empty name or a nil p gives an
// error matching ErrInvalid; a name already added, one matching ErrDuplicate.
func (d *Dashboard) AddPipeline(name string, p StatsSource) error {
	if name == "" || p == nil {
		return fmt.Errorf("%w: AddPipeline needs a name (the pipeline's WithName) and a pipeline", ErrInvalid)
	}
	t := d.tracker(name)
	d.mu.Lock()
	defer d.mu.Unlock()
	if slices.ContainsFunc(d.pipelines, func(e *pipelineEntry) bool { return e.name == name }) {
		return fmt.Errorf("%w: pipeline %q", ErrDuplicate, name)
	}
	if t == nil {
		return fmt.Errorf("%w: more than %d pipelines", ErrInvalid, maxTrackers)
	}
	d.pipelines = append(d.pipelines, &pipelineEntry{name: name, src: p, t: t})
	return nil
}

// RecordResult attaches r's value, as fmt's %v prints it (cut at 1 KiB), to the message r.ID of
// pipeline name, if the dashboard still holds it, so that its page shows the message's value.
// It reports whether it found the message. Cost: a pass over the pipeline's rings under their
// lock, and formatting the value.
func RecordResult[T any](d *Dashboard, name string, r baton.Result[T]) bool {
	t := (*d.trackers.Load())[name]
	if t == nil || r.ID == 0 {
		return false
	}
	v := fmt.Sprintf("%v", r.Value)
	if len(v) > 1024 {
		n := 1024
		for n > 0 && !utf8.RuneStart(v[n]) {
			n--
		}
		v = v[:n] + "…"
	}
	return t.rings.describe(r.ID, v)
}

// pipelineEntries returns the registered pipelines, in the order they were added.
func (d *Dashboard) pipelineEntries() []*pipelineEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.pipelines)
}

// pipeline returns the registered pipeline name, or the tracker of an unregistered pipeline
// the observer has seen (a Conductor workflow's), with no stats.
func (d *Dashboard) pipeline(name string) (*pipelineEntry, bool) {
	for _, e := range d.pipelineEntries() {
		if e.name == name {
			return e, true
		}
	}
	if t := (*d.trackers.Load())[name]; t != nil {
		return &pipelineEntry{name: name, t: t}, true
	}
	return nil, false
}

// Close ends the live streams of the pages open on the dashboard and waits for their handlers
// to return; later stream requests are refused. The rest of the dashboard keeps working.
// Close is idempotent.
func (d *Dashboard) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock() // stream's Add happens under it, before or after this, never during Wait
		close(d.closed)
		d.mu.Unlock()
	})
	d.streams.Wait()
	return nil
}
