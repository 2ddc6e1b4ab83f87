package engines

import (
	"maps"
	"regexp"
	"slices"

	"github.com/dop251/goja"
)

// javaMethods gives the arrays and objects of a script's input the methods of Java's List and
// Map that Conductor's scripts call on them (GraalJS exposes the input as Java objects). The
// List methods are non-enumerable properties of Array.prototype (so every array has them); the
// Map methods are non-enumerable own properties of each object of the input (not of
// Object.prototype, where "get" and "set" would turn every property descriptor and Proxy
// handler into accessors), unless the object has a key of that name. They never show in a
// script's result, in JSON.stringify or in for…in. Lists: get(i), size(), isEmpty(),
// contains(x), subList(from, to), add(x) (appends, returns true), set(i, x) (returns the old
// value), toArray(); indexOf and lastIndexOf are JavaScript's. Maps: get(k), getOrDefault(k, d),
// containsKey(k), containsValue(v), keySet(), values(), entrySet() ({key, value} pairs, with
// getKey() and getValue()), size(), isEmpty(), put(k, v) and remove(k) (return the old value).
const javaMethods = `(function () {
  var def = function (o, name, fn) {
    var d = Object.create(null);
    d.value = fn; d.writable = true; d.configurable = true; d.enumerable = false;
    Object.defineProperty(o, name, d);
  };
  var has = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };
  var eq = function (a, b) { return a === b || (a !== a && b !== b); };
  def(Array.prototype, "get", function (i) { return this[i]; });
  def(Array.prototype, "size", function () { return this.length; });
  def(Array.prototype, "isEmpty", function () { return this.length === 0; });
  def(Array.prototype, "contains", function (x) { return this.some(function (y) { return eq(x, y); }); });
  def(Array.prototype, "subList", function (from, to) { return this.slice(from, to); });
  def(Array.prototype, "add", function (x) { this.push(x); return true; });
  def(Array.prototype, "set", function (i, x) { var old = this[i]; this[i] = x; return old; });
  def(Array.prototype, "toArray", function () { return this.slice(); });
  var map = {
    get: function (k) { return has(this, k) ? this[k] : null; },
    getOrDefault: function (k, d) { return has(this, k) ? this[k] : d; },
    containsKey: function (k) { return has(this, k); },
    containsValue: function (v) { var o = this; return Object.keys(o).some(function (k) { return eq(o[k], v); }); },
    keySet: function () { return Object.keys(this); },
    values: function () { var o = this; return Object.keys(o).map(function (k) { return o[k]; }); },
    entrySet: function () {
      var o = this;
      return Object.keys(o).map(function (k) {
        var e = {key: k, value: o[k]};
        def(e, "getKey", function () { return k; });
        def(e, "getValue", function () { return o[k]; });
        return e;
      });
    },
    size: function () { return Object.keys(this).length; },
    isEmpty: function () { return Object.keys(this).length === 0; },
    put: function (k, v) { var old = has(this, k) ? this[k] : null; this[k] = v; return old; },
    remove: function (k) { var old = has(this, k) ? this[k] : null; delete this[k]; return old; }
  };
  var names = Object.keys(map);
  var walk = function (v, depth) {
    if (v === null || typeof v !== "object" || depth > 64) return;
    if (Array.isArray(v)) { for (var i = 0; i < v.length; i++) walk(v[i], depth + 1); return; }
    for (var k in v) if (has(v, k)) walk(v[k], depth + 1);
    for (var j = 0; j < names.length; j++) if (!has(v, names[j])) def(v, names[j], map[names[j]]);
  };
  walk($, 0);
})();`

// javaMethodCall matches a call of one of the methods of javaMethods.
var javaMethodCall = regexp.MustCompile(`\.\s*(get|size|isEmpty|contains|subList|add|set|toArray|getOrDefault|containsKey|containsValue|keySet|values|entrySet|put|remove)\s*\(`)

// mayCallJavaMethods reports whether src may call one of javaMethods' methods: a call by that
// name appears in it (a cheap over-approximation, checked once at load).
func mayCallJavaMethods(src string) bool { return javaMethodCall.MatchString(src) }

// javaMethodsProgram is javaMethods compiled once.
var javaMethodsProgram = goja.MustCompile("java-methods", javaMethods, true)

// installJavaMethods gives vm's arrays, and the objects of its $ (set before), the methods of
// javaMethods. Cost: a few microseconds per evaluation, and a walk of the input.
func installJavaMethods(vm *goja.Runtime) error {
	_, err := vm.RunProgram(javaMethodsProgram)
	return err
}

// toJS makes a JSON value a native JavaScript value of vm (objects and arrays the script can
// change and extend, as GraalJS's host objects can be), rather than goja's wrapper of a Go map.
// Keys are set in sorted order (Go maps have none; Conductor keeps the document's). Cost: a walk
// of the value.
func toJS(vm *goja.Runtime, v any) goja.Value {
	switch v := v.(type) {
	case map[string]any:
		o := vm.NewObject()
		for _, k := range slices.Sorted(maps.Keys(v)) { // a stable order for Object.keys and JSON.stringify
			_ = o.Set(k, toJS(vm, v[k]))
		}
		return o
	case []any:
		items := make([]any, len(v))
		for i, x := range v {
			items[i] = toJS(vm, x)
		}
		return vm.NewArray(items...)
	}
	return vm.ToValue(v)
}
