package batontest

import (
	"bytes"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TB is the part of testing.TB the kit uses. *testing.T and *testing.B implement it; tests of
// the kit pass a fake to capture failures.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// goroutines is a snapshot of the goroutines running, for the leak checks of the tests that
// Conformance runs on the real clock. Those in a testing/synctest bubble leave it to synctest:
// synctest.Test waits for every goroutine of its bubble to exit, and panics when they are stuck.
type goroutines struct{ ids map[int]bool }

// takeGoroutines records the goroutines running now.
func takeGoroutines() goroutines {
	g := goroutines{ids: map[int]bool{}}
	for _, s := range stacks() {
		g.ids[s.id] = true
	}
	return g
}

// leaked waits up to settle for every goroutine started since the snapshot, whose stack shows a
// frame of module github.com/baton-go/baton (the pipeline's own goroutines and those of tests of
// it), to exit, and returns the stacks of those still running. Goroutines unrelated to Baton are
// ignored, so that runtime and testing helpers do not count.
func (g goroutines) leaked(settle time.Duration) []string {
	deadline := time.Now().Add(settle)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 50*time.Millisecond) {
		var leaked []string
		for _, s := range stacks() {
			if !g.ids[s.id] && strings.Contains(s.text, "github.com/baton-go/baton") && !s.self {
				leaked = append(leaked, s.text)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(wait)
	}
}

// verifyNoLeaks fails t, listing their stacks, when goroutines of Baton started since g are
// still running after a settle time of a few seconds. Call it after closing every pipeline.
func (g goroutines) verifyNoLeaks(t TB) {
	t.Helper()
	if leaked := g.leaked(5 * time.Second); len(leaked) > 0 {
		t.Errorf("batontest: %d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
}

type stack struct {
	id   int
	text string
	self bool
}

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) `)

func stacks() []stack {
	buf := dumpStacks()
	self := bytes.Split(currentStack(), []byte("\n"))[0]
	var out []stack
	for chunk := range strings.SplitSeq(string(buf), "\n\n") {
		m := goroutineHeader.FindStringSubmatch(chunk)
		if m == nil {
			continue
		}
		id, _ := strconv.Atoi(m[1])
		out = append(out, stack{id: id, text: chunk, self: strings.HasPrefix(chunk, string(goroutineHeaderOf(self)))})
	}
	return out
}

func goroutineHeaderOf(line []byte) []byte {
	if m := goroutineHeader.Find(line); m != nil {
		return m
	}
	return line
}

func currentStack() []byte {
	buf := make([]byte, 1<<10)
	return buf[:runtime.Stack(buf, false)]
}

// dumpStacks returns the stacks of all goroutines, as a failing hang check prints them.
func dumpStacks() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return slices.Clip(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
