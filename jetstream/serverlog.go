package jetstream

import (
	"fmt"
	"io"
	"sync"
)

// warnLog is the embedded server's logger when ServerConfig.Log is set: it writes the server's
// warnings, errors and fatal errors, one line each, and drops its notices, debug and trace
// lines. A server error a client sees only as a generic API error (a stream that could not be
// created, say) has its cause in these lines. Safe for concurrent use.
type warnLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *warnLog) line(level, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "nats-server: %s: %s\n", level, fmt.Sprintf(format, v...))
}

func (l *warnLog) Noticef(string, ...any)         {}
func (l *warnLog) Debugf(string, ...any)          {}
func (l *warnLog) Tracef(string, ...any)          {}
func (l *warnLog) Warnf(format string, v ...any)  { l.line("warning", format, v...) }
func (l *warnLog) Errorf(format string, v ...any) { l.line("error", format, v...) }
func (l *warnLog) Fatalf(format string, v ...any) { l.line("fatal", format, v...) }
