package dashboard

import (
	"sync"
	"sync/atomic"

	"github.com/baton-go/baton"
)

// This file is the per-pipeline half of the observer: messages in flight, hand-offs taken, and
// the rings of finished messages.

// nshards spreads the messages in flight over locks, so that concurrent messages rarely meet.
const nshards = 32

// Pseudo-stages of the hand-off graph: where messages enter and how they leave.
const (
	edgeIn     = "▶ in"
	edgeDone   = "✓ done"
	edgeFailed = "✗ failed"
)

// edge is a hand-off: a message that ended a step of from began one of to.
type edge struct{ from, to string }

// tracker follows one pipeline's messages from its events. It is safe for concurrent use.
type tracker struct {
	name   string
	shards [nshards]shard
	rings  *rings
	pool   sync.Pool // of *record, recycled from the rings
	events atomic.Int64
}

// shard holds some of the messages in flight and the hand-offs they made.
type shard struct {
	mu       sync.Mutex
	inflight map[uint64]*record
	edges    map[edge]int64
	_        [40]byte // keep shards' locks on separate cache lines
}

func newTracker(name string, recent, failed int) *tracker {
	t := &tracker{name: name, rings: newRings(recent, failed)}
	for i := range t.shards {
		t.shards[i].inflight = map[uint64]*record{}
		t.shards[i].edges = map[edge]int64{}
	}
	return t
}

func (t *tracker) newRecord() *record {
	if r, ok := t.pool.Get().(*record); ok {
		return r
	}
	return &record{timeline: make([]entry, 0, 16)}
}

// observe records e. Cost: a shard lock and a map lookup; a StepStarted that begins a step
// adds a map increment (the hand-off); MessageAccepted takes a record (recycled from the
// rings in steady state) and MessageFinished moves it to a ring under the rings' lock.
func (t *tracker) observe(e baton.Event) {
	t.events.Add(1)
	sh := &t.shards[e.Message%nshards]
	sh.mu.Lock()
	r := sh.inflight[e.Message]
	if r == nil {
		// MessageAccepted, or the first event seen of a message accepted before the dashboard
		// was told of the pipeline.
		r = t.newRecord()
		r.id, r.key, r.accepted, r.last = e.Message, e.Key, e.Time, edgeIn
		sh.inflight[e.Message] = r
	}
	if e.Kind != baton.MessageAccepted {
		r.add(e)
	}
	switch {
	case e.Kind == baton.StepStarted && e.Attempt == 1:
		sh.edges[edge{r.last, e.Stage}]++
		r.last = e.Stage
		r.steps++
	case e.Kind == baton.MessageFinished:
		to := edgeDone
		if e.Err != nil {
			to = edgeFailed
		}
		sh.edges[edge{r.last, to}]++
		delete(sh.inflight, e.Message)
		r.done, r.err, r.finished = true, e.Err, e.Time
		sh.mu.Unlock()
		if old := t.rings.push(r); old != nil {
			old.reset()
			t.pool.Put(old)
		}
		return
	}
	sh.mu.Unlock()
}

// inFlight returns copies of the messages in flight, at most limit of them.
func (t *tracker) inFlight(limit int) []Message {
	var out []Message
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for _, r := range sh.inflight {
			if len(out) >= limit {
				break
			}
			out = append(out, r.message())
		}
		sh.mu.Unlock()
	}
	return out
}

// edges returns the hand-offs taken so far, summed over the shards.
func (t *tracker) edges() map[edge]int64 {
	out := map[edge]int64{}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, v := range sh.edges {
			out[k] += v
		}
		sh.mu.Unlock()
	}
	return out
}

// find returns the message with the given id or key ("" for no key), in flight first, then
// in the rings, newest first, at most limit of them.
func (t *tracker) find(id uint64, key string, limit int) []Message {
	match := func(r *record) bool {
		return (id == 0 || r.id == id) && (key == "" || r.key == key)
	}
	var out []Message
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for _, r := range sh.inflight {
			if match(r) && len(out) < limit {
				out = append(out, r.message())
			}
		}
		sh.mu.Unlock()
	}
	return append(out, t.rings.find(match, limit-len(out))...)
}
