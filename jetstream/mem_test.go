package jetstream_test

import (
	"runtime"
	"syscall"
	"time"
)

// runtimeMem reads the process's allocation count and the CPU time it has used (user and
// system, the embedded server's included): on a machine shared with other work, CPU time
// per message is steadier than wall-clock throughput.
type runtimeMem struct {
	mallocs uint64
	cpu     time.Duration
}

func (m *runtimeMem) read() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.mallocs = ms.Mallocs
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
}
