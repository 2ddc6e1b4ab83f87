package engines

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton/conductor"
	"github.com/dop251/goja"
)

// Defaults of JavaScript's limits.
const (
	// DefaultMaxCallStackSize caps the call depth when JavaScript.MaxCallStackSize is 0.
	DefaultMaxCallStackSize = 1024
	// DefaultMaxMemory bounds an evaluation's heap growth when JavaScript.MaxMemory is 0.
	DefaultMaxMemory = 64 << 20
	// DefaultMaxStringLength caps the strings String.prototype.repeat, padStart, padEnd and
	// Array.prototype.join may make when JavaScript.MaxStringLength is 0.
	DefaultMaxStringLength = 1 << 24
)

// JavaScript is a conductor.JavaScript on goja. The zero value is ready to use; it is safe for
// concurrent use. Cost: compiling happens once, at load; each evaluation makes a fresh goja
// runtime (a few microseconds for a small script) so that no state leaks between runs, with
// its string built-ins guarded when the script could reach them (tens of microseconds, as
// goja then builds the String and Array prototypes: see mayReachGuarded), and is watched by
// the memory watchdog (memory.go: a heap sample and a map insertion, under a microsecond; the
// watchdog samples every millisecond, about 0.4µs a sample, while evaluations run). A script
// that calls one of the Java List or Map methods Conductor's scripts use (see javaMethods) gets
// its input as native JavaScript values that have them (a walk of the input, and tens of
// microseconds for the prototypes); the others get goja's view of the Go values, as before.
type JavaScript struct {
	// MaxCallStackSize caps the call depth (DefaultMaxCallStackSize when 0).
	MaxCallStackSize int
	// MaxMemory bounds, in bytes, how much the heap may grow while one evaluation runs
	// (DefaultMaxMemory when 0; no bound when negative); an evaluation that grows it more
	// stops with an error matching conductor.ErrLimit. See memory.go for how it is measured
	// and how far a program can go past it.
	MaxMemory int64
	// MaxStringLength caps the length of the strings that String.prototype.repeat, padStart,
	// padEnd and Array.prototype.join make at once (DefaultMaxStringLength when 0; no cap
	// when negative): a longer one throws a RangeError before it is allocated.
	MaxStringLength int
}

var _ conductor.JavaScript = (*JavaScript)(nil)

// CompileJavaScript compiles src, whose completion value is its result.
func (j *JavaScript) CompileJavaScript(src string) (conductor.Program, error) {
	p, err := goja.Compile("script", src, false)
	if err != nil {
		return nil, fmt.Errorf("javascript: %w", err)
	}
	stack := j.MaxCallStackSize
	if stack <= 0 {
		stack = DefaultMaxCallStackSize
	}
	mem := j.MaxMemory
	if mem == 0 {
		mem = DefaultMaxMemory
	}
	strLen := j.MaxStringLength
	if strLen == 0 {
		strLen = DefaultMaxStringLength
	}
	if strLen > 0 && !mayReachGuarded(src) {
		strLen = -1 // the guards cannot be reached: spare their cost
	}
	return &jsProgram{prog: p, stack: stack, mem: uint64(max(mem, 0)), strLen: strLen, java: mayCallJavaMethods(src)}, nil
}

type jsProgram struct {
	prog   *goja.Program
	stack  int
	mem    uint64 // 0: no bound
	strLen int    // < 0: no cap
	java   bool   // the script may call Java methods on its input (see installJavaMethods)
}

// Run evaluates the program with $ bound to input, in a fresh runtime, until ctx is done.
func (p *jsProgram) Run(ctx context.Context, input any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(p.stack)
	if p.strLen >= 0 {
		if err := guardStrings(vm, p.strLen); err != nil {
			return nil, err
		}
	}
	if p.java {
		if err := vm.Set("$", toJS(vm, input)); err != nil {
			return nil, err
		}
		if err := installJavaMethods(vm); err != nil {
			return nil, err
		}
	} else if err := vm.Set("$", input); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { vm.Interrupt(ctx.Err()) })
	defer stop()
	release := watchdog.watch(p.mem, func(grew uint64) { vm.Interrupt(&memoryExceeded{grew: grew, limit: p.mem}) })
	v, err := vm.RunProgram(p.prog)
	release()
	if err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) {
			return nil, fmt.Errorf("%w: javascript stopped: %v", conductor.ErrLimit, ie.Value())
		}
		var so *goja.StackOverflowError
		if errors.As(err, &so) {
			return nil, fmt.Errorf("%w: javascript: %v", conductor.ErrLimit, err)
		}
		return nil, fmt.Errorf("javascript: %w", err)
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	return v.Export(), nil
}
