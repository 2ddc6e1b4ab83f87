package engines

import (
	"fmt"
	"runtime/metrics"
	"sync"
	"time"
)

// This file bounds the memory of script and jq evaluations. Neither goja nor gojq accounts
// for the memory a program allocates, and Go has no per-goroutine accounting, so the bound is
// on the process's heap: while evaluations run, a watchdog samples the heap's object bytes
// (runtime/metrics, which stops nothing) every watchInterval, and stops each evaluation during
// which the heap grew by more than its limit since its lowest point — goja's through
// Runtime.Interrupt, gojq's through its context. A garbage collection during an evaluation
// lowers its baseline, so that an evaluation is charged for what is alive and what it left
// to collect, not for what others freed.
//
// The bound is approximate by design: an evaluation is stopped between two of its
// instructions, after the sample that shows the growth, so a program can exceed its limit by
// what it allocates in one sampling interval, or in one built-in call (guarded separately for
// the string built-ins that allocate their result at once: see guardStrings); and the heap
// grows with the whole process's allocations, so an evaluation running beside others that
// allocate much may be stopped for their growth — a limit well above what scripts need keeps
// that from happening.

// watchInterval is how often the watchdog samples the heap while evaluations run.
const watchInterval = time.Millisecond

const heapMetric = "/memory/classes/heap/objects:bytes"

// watchdog is the process's one heap sampler: it runs while at least one evaluation is
// watched, and stops (its goroutine ends) when none is.
var watchdog = &memWatch{watched: map[*watched]struct{}{}}

type memWatch struct {
	mu      sync.Mutex
	watched map[*watched]struct{}
	running bool
}

// watched is one evaluation under watch.
type watched struct {
	limit uint64
	base  uint64
	stop  func(grew uint64) // called once, from the watchdog's goroutine
	fired bool
}

// heapBytes samples the heap's object bytes.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// watch watches an evaluation that may grow the heap by limit bytes, calling stop with the
// growth when it grows more, and returns its release. limit 0: no watch.
func (m *memWatch) watch(limit uint64, stop func(grew uint64)) (release func()) {
	if limit == 0 {
		return func() {}
	}
	w := &watched{limit: limit, base: heapBytes(), stop: stop}
	m.mu.Lock()
	m.watched[w] = struct{}{}
	if !m.running {
		m.running = true
		go m.loop()
	}
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		delete(m.watched, w)
		m.mu.Unlock()
	}
}

// idleTicks is how many samples the watchdog waits with nothing watched before it stops, so
// that back-to-back evaluations do not each start it (50ms: goleak-style checks, which retry
// for longer, still see it end).
const idleTicks = 50

// loop samples the heap until nothing has been watched for idleTicks samples.
func (m *memWatch) loop() {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	idle := 0
	for range t.C {
		cur := heapBytes()
		var fire []*watched
		m.mu.Lock()
		if len(m.watched) == 0 {
			if idle++; idle >= idleTicks {
				m.running = false
				m.mu.Unlock()
				return
			}
			m.mu.Unlock()
			continue
		}
		idle = 0
		for w := range m.watched {
			if cur < w.base {
				w.base = cur
			}
			if !w.fired && cur-w.base > w.limit {
				w.fired = true
				fire = append(fire, w)
			}
		}
		m.mu.Unlock()
		for _, w := range fire {
			w.stop(cur - w.base)
		}
	}
}

// memoryExceeded is why the watchdog stopped an evaluation.
type memoryExceeded struct{ grew, limit uint64 }

func (e *memoryExceeded) Error() string {
	return fmt.Sprintf("memory limit: the heap grew by %d MiB while it ran (limit %d MiB)", e.grew>>20, e.limit>>20)
}
