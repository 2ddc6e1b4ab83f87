package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The example runs, small and fast, in both display modes, and prints its table.
func TestRun(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var buf bytes.Buffer
		if err := run(&buf, 300, 100*time.Microsecond, tty); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{
			"orchestrated  300 messages in", "choreographed 300 messages in",
			"stage    |    done  fail retry      p50      p90      p99 |",
			"decode   |     300     0     0", "notify", "300/300 100%",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("tty=%v: output lacks %q:\n%s", tty, want, out)
			}
		}
		if got := strings.Contains(out, "\033["); got != tty {
			t.Errorf("tty=%v: escape sequences in output: %v", tty, got)
		}
	}
}
