package dashboard

import (
	"cmp"
	"slices"
	"time"

	"github.com/baton-go/baton"
)

// This file is the snapshot the page shows and the live stream sends: State.

// State is a snapshot of everything the dashboard shows, as its JSON (api/state) carries it.
type State struct {
	Title     string          `json:"title"`
	Time      time.Time       `json:"time"`
	Actions   bool            `json:"actions"`
	Pipelines []PipelineState `json:"pipelines"`
	Workflows []WorkflowState `json:"workflows"`
	// Untraced counts events of pipelines past the dashboard's bound of 1024 names.
	Untraced int64 `json:"untraced,omitempty"`
}

// PipelineState is one pipeline: its Stats and the hand-offs its messages took.
type PipelineState struct {
	Name           string       `json:"name"`
	Strategy       string       `json:"strategy"`
	Timed          bool         `json:"timed"`
	InFlight       int          `json:"inFlight"`
	Elapsed        float64      `json:"elapsed"` // seconds
	Rate1s         float64      `json:"rate1s"`
	Rate1m         float64      `json:"rate1m"`
	ObserverPanics int64        `json:"observerPanics"`
	Events         int64        `json:"events"` // events the observer has seen of the pipeline
	Stages         []StageState `json:"stages"`
	Edges          []Edge       `json:"edges"`
}

// StageState is one stage's counters; latencies in seconds.
type StageState struct {
	Name               string  `json:"name"`
	Processed          int64   `json:"processed"`
	Failed             int64   `json:"failed"`
	Retried            int64   `json:"retried"`
	Compensated        int64   `json:"compensated"`
	CompensationFailed int64   `json:"compensationFailed"`
	Running            int64   `json:"running"`
	Inbox              int     `json:"inbox"`
	Throughput         float64 `json:"throughput"`
	Rate1s             float64 `json:"rate1s"`
	Rate1m             float64 `json:"rate1m"`
	P50                float64 `json:"p50"`
	P90                float64 `json:"p90"`
	P99                float64 `json:"p99"`
}

// Edge is a hand-off taken Count times: a message that ended a step of From began one of To.
// From is "▶ in" for a message's first step; To is "✓ done" or "✗ failed" for its end.
type Edge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int64  `json:"count"`
}

// State returns a snapshot of every registered pipeline and workflow. It is safe to call at any
// time. Cost: per pipeline its Stats (see baton's Pipeline.Stats) and a pass over its 32 shards'
// hand-off maps; per workflow its Stats. It reads no message's timeline.
func (d *Dashboard) State() State {
	st := State{Title: d.cfg.title, Time: time.Now(), Actions: d.cfg.actions, Untraced: d.untraced.Load(),
		Pipelines: []PipelineState{}, Workflows: []WorkflowState{}}
	for _, e := range d.pipelineEntries() {
		st.Pipelines = append(st.Pipelines, pipelineState(e.name, e.src.Stats(), e.t))
	}
	for _, w := range d.workflowEntries() {
		st.Workflows = append(st.Workflows, d.workflowState(w))
	}
	return st
}

func pipelineState(name string, s baton.Stats, t *tracker) PipelineState {
	ps := PipelineState{Name: name, Strategy: s.Strategy.String(), Timed: s.Timed, InFlight: s.InFlight,
		Elapsed: s.Elapsed.Seconds(), Rate1s: s.Rate1s, Rate1m: s.Rate1m, ObserverPanics: s.ObserverPanics,
		Stages: make([]StageState, 0, len(s.Stages)), Edges: []Edge{}}
	for _, ss := range s.Stages {
		ps.Stages = append(ps.Stages, StageState{Name: ss.Name, Processed: ss.Processed, Failed: ss.Failed,
			Retried: ss.Retried, Compensated: ss.Compensated, CompensationFailed: ss.CompensationFailed,
			Running: ss.Running, Inbox: ss.Inbox, Throughput: ss.Throughput, Rate1s: ss.Rate1s, Rate1m: ss.Rate1m,
			P50: ss.Latency.P50.Seconds(), P90: ss.Latency.P90.Seconds(), P99: ss.Latency.P99.Seconds()})
	}
	if t != nil {
		ps.Events = t.events.Load()
		for k, v := range t.edges() {
			ps.Edges = append(ps.Edges, Edge{From: k.from, To: k.to, Count: v})
		}
		slices.SortFunc(ps.Edges, func(a, b Edge) int {
			return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
		})
	}
	return ps
}

// Messages is the messages of one pipeline the dashboard holds (api/messages).
type Messages struct {
	Pipeline string    `json:"pipeline"`
	InFlight []Message `json:"inFlight"`
	Recent   []Message `json:"recent"`
	Failed   []Message `json:"failed"`
}

// Messages returns up to limit messages of each kind (in flight, recent, failed) of pipeline
// name, newest first (those in flight in no order), with their timelines, or an error matching
// ErrUnknown. Cost: copying them, under the locks of the shards and the rings.
func (d *Dashboard) Messages(name string, limit int) (Messages, error) {
	e, ok := d.pipeline(name)
	if !ok {
		return Messages{}, errUnknown("pipeline", name)
	}
	m := Messages{Pipeline: name, InFlight: e.t.inFlight(limit)}
	if m.InFlight == nil {
		m.InFlight = []Message{}
	}
	m.Recent, m.Failed = e.t.rings.list(limit)
	return m, nil
}

// Find returns the messages of pipeline name with the given ID (0: any) and key ("": any),
// in flight first, then failed, then recent, at most limit, or an error matching ErrUnknown
// for an unknown pipeline.
func (d *Dashboard) Find(name string, id uint64, key string, limit int) ([]Message, error) {
	e, ok := d.pipeline(name)
	if !ok {
		return nil, errUnknown("pipeline", name)
	}
	out := e.t.find(id, key, limit)
	if out == nil {
		out = []Message{}
	}
	return out, nil
}
