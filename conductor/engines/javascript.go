package engines

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton/conductor"
	"github.com/dop251/goja"
)

// DefaultMaxCallStackSize caps JavaScript's call depth when JavaScript.MaxCallStackSize is 0.
const DefaultMaxCallStackSize = 1024

// JavaScript is a conductor.JavaScript on goja. The zero value is ready to use; it is safe for
// concurrent use. Cost: compiling happens once, at load; each evaluation makes a fresh goja
// runtime (tens of microseconds) so that no state leaks between runs. Arrays and objects have
// the Java List and Map methods that Conductor's scripts call (see the package doc).
type JavaScript struct {
	// MaxCallStackSize caps the call depth (DefaultMaxCallStackSize when 0).
	MaxCallStackSize int
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
	return &jsProgram{prog: p, stack: stack}, nil
}

type jsProgram struct {
	prog  *goja.Program
	stack int
}

// Run evaluates the program with $ bound to input, in a fresh runtime, until ctx is done.
func (p *jsProgram) Run(ctx context.Context, input any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(p.stack)
	if err := vm.Set("$", toJS(vm, input)); err != nil {
		return nil, err
	}
	if err := installJavaMethods(vm); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { vm.Interrupt(ctx.Err()) })
	defer stop()
	v, err := vm.RunProgram(p.prog)
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
