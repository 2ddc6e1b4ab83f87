// Package engines gives the conductor package its JavaScript and jq engines: goja
// (github.com/dop251/goja) and gojq (github.com/itchyny/gojq), both pure Go. It is a module of
// its own so that the core of Baton depends on nothing.
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
// (MaxResults). Memory is not capped: a script can allocate until its time runs out.
package engines

import "github.com/baton-go/baton/conductor"

// Options returns the conductor options that install both engines with their defaults.
func Options() []conductor.Option {
	return []conductor.Option{conductor.WithJavaScript(&JavaScript{}), conductor.WithJQ(&JQ{})}
}
