package engines

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// peakHeap samples the heap's object bytes while fn runs and returns the highest growth, from
// after a garbage collection (so that an earlier test's garbage does not count).
func peakHeap(fn func()) uint64 {
	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if h := heapBytes(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return max(peak.Load(), base) - base
}

func inlineDef(script string) string {
	return `{"name": "hostile", "tasks": [{"name": "s", "taskReferenceName": "s", "type": "INLINE", "retryCount": 2,
	  "inputParameters": {"evaluatorType": "javascript", "expression": ` + script + `}}], "outputParameters": {"r": "${s.output.result}"}}`
}

// Hostile scripts fail with a clear error matching ErrLimit, long before the heap reaches
// 2 GB (before the memory limit, the doubling loop reached 2.1 GB of resident memory).
func TestHostileScripts(t *testing.T) {
	for _, tt := range []struct {
		name, script, want string
	}{
		{"string doubling", `"var s = 'x'; while (true) { s = s + s; } s"`, "memory limit: the heap grew by"},
		{"string doubling, five lines", `"var s = 'hello';\nfor (var i = 0; i < 64; i++) {\n  s += s;\n}\ns.length"`, "memory limit"},
		{"array growth", `"var a = []; while (true) { a.push('xxxxxxxxxxxxxxxxxxxxxxxx' + a.length); } a"`, "memory limit"},
		{"object growth", `"var o = {}; for (var i = 0; ; i++) { o['k' + i] = [i, i, i]; } o"`, "memory limit"},
		{"one huge repeat", `"'x'.repeat(1 << 30)"`, "RangeError: repeat would make a string of 1073741824 characters"},
		{"one huge padStart", `"''.padStart(2e9, 'ab')"`, "RangeError: padStart"},
		{"one huge join", `"new Array(1e9).join('abc')"`, "RangeError: join"},
		{"repeat by a computed name", `"var f = 'x'['re' + 'peat']; f.call('x', 1 << 30)"`, "RangeError: repeat"},
		{"repeat through the prototype", `"var m = Object.getOwnPropertyNames(String.prototype).filter(function (n) { return n.length === 6 && n[0] === 'r' && n[5] === 't'; })[0]; 'x'[m](1 << 30)"`, "RangeError: repeat"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var e *conductor.Execution
			peak := peakHeap(func() { e = runBoth(t, inlineDef(tt.script), nil, conductor.WithScriptTimeout(time.Minute)) })
			require.Equal(t, conductor.StatusFailed, e.Status)
			assert.Contains(t, e.Reason, tt.want)
			assert.Equal(t, 1, e.Tasks[len(e.Tasks)-1].Attempts, "not retried")
			t.Logf("peak heap growth %d MiB", peak>>20)
			assert.Less(t, peak, uint64(512<<20), "peak heap growth %d MiB", peak>>20)
			if tt.want == "memory limit" || tt.want == "memory limit: the heap grew by" {
				assert.True(t, errors.Is(e.Err, conductor.ErrLimit), "%v", e.Err)
			}
		})
	}
}

// A script within the limits runs; the limits are options.
func TestScriptLimits(t *testing.T) {
	e := runBoth(t, inlineDef(`"var s = 'ab'.repeat(1000); var a = []; for (var i = 0; i < 10000; i++) { a.push(s.length + i); } a.length + ''.padEnd(10, '-').length"`), nil)
	require.Equal(t, conductor.StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, float64(10010), e.Output["r"])

	tight := conductor.WithJavaScript(&JavaScript{MaxStringLength: 10})
	e = runBoth(t, inlineDef(`"'ab'.repeat(6)"`), nil, tight)
	assert.Equal(t, conductor.StatusFailed, e.Status)
	assert.Contains(t, e.Reason, "MaxStringLength 10")
	e = runBoth(t, inlineDef(`"'ab'.repeat(5)"`), nil, tight)
	assert.Equal(t, "ababababab", e.Output["r"])

	small := conductor.WithJavaScript(&JavaScript{MaxMemory: 1 << 20})
	e = runBoth(t, inlineDef(`"var a = []; for (var i = 0; i < 1e7; i++) { a.push('x' + i); } a.length"`), nil, small)
	assert.Equal(t, conductor.StatusFailed, e.Status)
	assert.Contains(t, e.Reason, "(limit 1 MiB)")
}

// A jq program that builds a huge value fails the same way.
func TestHostileJQ(t *testing.T) {
	def := `{"name": "hostile", "tasks": [{"name": "q", "taskReferenceName": "q", "type": "JSON_JQ_TRANSFORM",
	  "inputParameters": {"queryExpression": "[range(100000000)] | length"}}]}`
	var e *conductor.Execution
	peak := peakHeap(func() { e = runBoth(t, def, nil, conductor.WithScriptTimeout(time.Minute)) }) // memory first, however slow the machine
	require.Equal(t, conductor.StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, conductor.ErrLimit)
	assert.Contains(t, e.Reason, "jq stopped: memory limit")
	assert.Less(t, peak, uint64(512<<20), "peak heap growth %d MiB", peak>>20)

	p, err := (&JQ{MaxMemory: -1}).CompileJQ(`[range(1000)] | length`)
	require.NoError(t, err)
	v, err := p.Run(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, []any{1000}, v)
}

func TestMayReachGuarded(t *testing.T) {
	for src, want := range map[string]bool{
		"$.a + $.b": false, "$.list[0].name": false, "$.m['key'] > 2": false, "(function(){ return {half: $.n / 2}; })()": false,
		"'x'.repeat(3)": true, "$.l.join(',')": true, "'x'[k](9)": true, "[1, 2]": false, "[a, b]": true, "eval('1')": true,
	} {
		assert.Equal(t, want, mayReachGuarded(src), src)
	}
}
