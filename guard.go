package baton

// contain calls f, which runs user code, and tells how it ended — the one place in Baton that
// tells a return, a panic and a runtime.Goexit apart, as x/sync/singleflight's doCall does:
//
//   - f returned: contain returns true;
//   - f panicked: the panic is recovered, onPanic gets it as a *PanicError — its value (nil
//     for a legacy GODEBUG=panicnil=1 panic(nil), which recover cannot tell from nothing) and
//     the stack where it happened — and contain returns false;
//   - f called runtime.Goexit: onExit runs, then the goroutine ends, as Goexit says. So it does
//     when onPanic itself calls Goexit (an observer told of the failed step may).
//
// A panic is told from a Goexit by whether the frame below f returns, not by what recover
// returns. The callers keep only what differs: how to carry the message on.
func contain(f func(), onPanic func(*PanicError), onExit func()) (returned bool) {
	recovered := false
	defer func() {
		if !returned && !recovered {
			onExit()
		}
	}()
	var pe *PanicError
	func() {
		defer func() {
			if !returned { // the stack is the panicking one's while this runs
				pe = newPanicError(recover()) // recover is nil during a Goexit, which goes on past this frame
			}
		}()
		f()
		returned = true
	}()
	if !returned {
		recovered = true
		exited := true
		defer func() {
			if exited {
				onExit()
			}
		}()
		onPanic(pe)
		exited = false
	}
	return returned
}
