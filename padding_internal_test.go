package baton

import (
	"testing"
	"unsafe"
)

// The cache-line padding of the structs written on every message or step relies on offsets
// computed by hand: this checks them, so that a field added in the wrong place fails here
// rather than slowing every step unnoticed.
func TestCacheLinePadding(t *testing.T) {
	const line = 64
	var p Pipeline[int]
	readEnd := unsafe.Offsetof(p.abort) + unsafe.Sizeof(p.abort) // the last field every step reads
	if gap := unsafe.Offsetof(p.state) - readEnd; gap < line {
		t.Errorf("the per-message counters are %d bytes after the fields every step reads, want at least %d", gap, line)
	}
	written := unsafe.Offsetof(p.begun) - unsafe.Offsetof(p.state) // state, ids, untouchedDone and their pad
	if written != line {
		t.Errorf("the per-message counters and their pad take %d bytes, want one cache line (%d)", written, line)
	}
	var c stageCounters
	if off := unsafe.Offsetof(c.recent); off != line {
		t.Errorf("a stage's counters take %d bytes before its rate ring, want %d", off, line)
	}
	if size := unsafe.Sizeof(c); size%line != 0 {
		t.Errorf("stageCounters is %d bytes, not a multiple of %d: stages would share cache lines", size, line)
	}
}
