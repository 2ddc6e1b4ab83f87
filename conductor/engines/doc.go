// Package engines gives the conductor package its JavaScript, jq and JSONPath engines: goja
// (github.com/dop251/goja), gojq (github.com/itchyny/gojq) and github.com/theory/jsonpath
// (RFC 9535), all pure Go. It is a module of its own so that the core of Baton depends on
// nothing.
//
//	rt, err := conductor.New(append(engines.Options(), conductor.WithWorker("encode", encode))...)
//
// # Safety
//
// Scripts and jq programs come from definitions, which may come from someone else. Each
// evaluation runs in a fresh, bare interpreter: JavaScript gets the language's built-ins and
// $ (no require, console, timers, file system, network or environment); jq gets no $ENV or env
// (empty), no modules and no input files. Each evaluation stops when its context is done —
// conductor.WithScriptTimeout sets that deadline — with an error matching conductor.ErrLimit.
// JavaScript's call depth is capped (MaxCallStackSize) and jq's number of results
// (MaxResults). Memory is bounded too (MaxMemory, default DefaultMaxMemory, 64 MiB): a
// watchdog stops an evaluation during which the process's heap grows by more than its limit,
// and JavaScript's string built-ins that allocate their result at once (repeat, padStart,
// padEnd, join) refuse a result longer than MaxStringLength with a RangeError. A string
// doubling loop, which reached 2.1 GB of resident memory before its time limit without the
// bound, stops at about 112 MiB of heap growth (TestHostileScripts). The bound is on the
// process's heap, not the evaluation's own allocations, which Go cannot count: see memory.go
// for how far a program can go past it, and why evaluations beside others that allocate much
// need a limit well above what they use.
//
// # Scripts written for Conductor
//
// Conductor runs JavaScript on GraalJS, where $ and what it holds are Java objects: scripts
// call Java's List and Map methods on them ($.items.size(), $.items.get(0), $.m.containsKey('k'),
// $.m.keySet()). Here every array and object has those methods too (see JavaScript), so such
// scripts run unchanged; JavaScript's own ($.items.length, $.items[0]) work as well.
package engines

import "github.com/baton-go/baton/conductor"

// Options returns the conductor options that install the engines with their defaults:
// JavaScript, jq and JSONPath.
func Options() []conductor.Option {
	return []conductor.Option{conductor.WithJavaScript(&JavaScript{}), conductor.WithJQ(&JQ{}), conductor.WithJSONPath(JSONPath{})}
}
