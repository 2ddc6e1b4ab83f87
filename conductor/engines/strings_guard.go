package engines

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dop251/goja"
)

// mayReachGuarded reports whether the JavaScript src could call one of the guarded built-ins:
// it names one, reaches objects' properties by computed names or reflection, or evaluates
// code. Scripts that cannot (most conditions and small INLINE scripts) skip the guards, whose
// cost — goja builds the String and Array prototypes on first use — is tens of microseconds.
// The test is conservative: a false "yes" only costs time.
func mayReachGuarded(src string) bool {
	for _, word := range []string{"repeat", "padStart", "padEnd", "join", "prototype", "__proto__", "Reflect",
		"Object", "eval", "Function", "apply", "call", "bind", "with", "import", "constructor"} {
		if strings.Contains(src, word) {
			return true
		}
	}
	return computedMember.MatchString(src)
}

// computedMember matches a bracket whose content does not start with a digit or a quote: a
// property reached by a computed name (or an array literal, counted too).
var computedMember = regexp.MustCompile(`\[\s*[^\s\]0-9'"]`)

// guardStrings replaces, in vm, the string built-ins that allocate a result of a length their
// arguments choose, at once and without an interrupt check — String.prototype.repeat, padStart
// and padEnd, Array.prototype.join — with versions that first check that length against max
// and throw a RangeError when it is over, then call the original. The watchdog (memory.go)
// cannot stop one call; these checks stop it before it allocates. Cost: four function objects
// per runtime.
func guardStrings(vm *goja.Runtime, max int) error {
	proto := func(name string) (*goja.Object, error) {
		ctor := vm.Get(name)
		if ctor == nil {
			return nil, fmt.Errorf("javascript: no %s", name)
		}
		return ctor.ToObject(vm).Get("prototype").ToObject(vm), nil
	}
	str, err := proto("String")
	if err != nil {
		return err
	}
	arr, err := proto("Array")
	if err != nil {
		return err
	}
	rangeError, _ := goja.AssertConstructor(vm.Get("RangeError"))
	tooLong := func(method string, n float64) {
		if n <= float64(max) {
			return
		}
		msg := vm.ToValue(fmt.Sprintf("%s would make a string of %.0f characters (MaxStringLength %d)", method, n, max))
		if rangeError != nil {
			if e, err := rangeError(nil, msg); err == nil {
				panic(e) // thrown in JavaScript
			}
		}
		panic(vm.NewTypeError(msg.String()))
	}
	guard := func(obj *goja.Object, method string, length func(this goja.Value, args []goja.Value) float64) {
		orig, ok := goja.AssertFunction(obj.Get(method))
		if !ok {
			return
		}
		_ = obj.Set(method, func(call goja.FunctionCall) goja.Value {
			tooLong(method, length(call.This, call.Arguments))
			v, err := orig(call.This, call.Arguments...)
			if err != nil {
				panic(err)
			}
			return v
		})
	}
	arg := func(args []goja.Value, i int) float64 {
		if i >= len(args) {
			return 0
		}
		return args[i].ToFloat()
	}
	strLen := func(v goja.Value) float64 { return float64(len(v.String())) }
	guard(str, "repeat", func(this goja.Value, args []goja.Value) float64 { return strLen(this) * arg(args, 0) })
	guard(str, "padStart", func(_ goja.Value, args []goja.Value) float64 { return arg(args, 0) })
	guard(str, "padEnd", func(_ goja.Value, args []goja.Value) float64 { return arg(args, 0) })
	guard(arr, "join", func(this goja.Value, args []goja.Value) float64 {
		n := this.ToObject(vm).Get("length").ToFloat()
		sep := 1.0
		if len(args) > 0 && !goja.IsUndefined(args[0]) {
			sep = strLen(args[0])
		}
		return (n - 1) * sep
	})
	return nil
}
