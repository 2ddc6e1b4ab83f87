package dashboard

import "sync"

// rings keep a pipeline's finished messages: the most recent ones, and apart from them the
// most recent failed ones, so that a burst of successes does not push failures out of sight.
// Each is bounded (WithRecent, WithFailed); a record pushed out is returned for reuse.
type rings struct {
	mu     sync.Mutex
	recent ring
	failed ring
}

// ring is a bounded FIFO of records: buf holds up to len(buf), next is where the next goes.
type ring struct {
	buf  []*record
	next int
	full bool
}

func newRings(recent, failed int) *rings {
	return &rings{recent: ring{buf: make([]*record, recent)}, failed: ring{buf: make([]*record, failed)}}
}

// put adds r, returning the record it pushed out (nil while the ring is not full).
func (g *ring) put(r *record) (old *record) {
	if len(g.buf) == 0 {
		return r
	}
	old = g.buf[g.next]
	g.buf[g.next] = r
	g.next++
	if g.next == len(g.buf) {
		g.next, g.full = 0, true
	}
	return old
}

// each calls f on the records, newest first, until f returns false.
func (g *ring) each(f func(*record) bool) {
	n := len(g.buf)
	if !g.full {
		n = g.next
	}
	for i := 1; i <= n; i++ {
		if !f(g.buf[(g.next-i+len(g.buf))%len(g.buf)]) {
			return
		}
	}
}

// push files a finished record: into the failed ring if it failed, else the recent one. It
// returns the record pushed out, which nothing references any more, for reuse.
func (rs *rings) push(r *record) *record {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r.err != nil {
		return rs.failed.put(r)
	}
	return rs.recent.put(r)
}

// list returns copies of the newest messages of the recent ring and the failed ring, at most
// limit of each.
func (rs *rings) list(limit int) (recent, failed []Message) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	recent, failed = []Message{}, []Message{}
	rs.recent.each(func(r *record) bool {
		recent = append(recent, r.message())
		return len(recent) < limit
	})
	rs.failed.each(func(r *record) bool {
		failed = append(failed, r.message())
		return len(failed) < limit
	})
	return recent, failed
}

// find returns copies of the records match accepts, failed ones first, newest first.
func (rs *rings) find(match func(*record) bool, limit int) []Message {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var out []Message
	for _, g := range []*ring{&rs.failed, &rs.recent} {
		g.each(func(r *record) bool {
			if len(out) >= limit {
				return false
			}
			if match(r) {
				out = append(out, r.message())
			}
			return true
		})
	}
	return out
}

// describe sets the value of the finished message id, if a ring still holds it.
func (rs *rings) describe(id uint64, value string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	found := false
	for _, g := range []*ring{&rs.recent, &rs.failed} {
		g.each(func(r *record) bool {
			if r.id == id {
				r.value, found = value, true
				return false
			}
			return true
		})
		if found {
			break
		}
	}
	return found
}
