package batontest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Small assertions for the suite: the kit must not depend on testify. The must* forms stop the
// test (Fatalf), the others record the failure and go on, as testify's require and assert.

func msgOf(args []any) string {
	if len(args) == 0 {
		return ""
	}
	if f, ok := args[0].(string); ok {
		return ": " + fmt.Sprintf(f, args[1:]...)
	}
	return ": " + fmt.Sprint(args...)
}

func report(t TB, fatal bool, text string) {
	t.Helper()
	if fatal {
		t.Fatalf("%s", text)
	} else {
		t.Errorf("%s", text)
	}
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.String, reflect.Chan, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return rv.IsZero()
}

func checkNoError(t TB, fatal bool, err error, args ...any) bool {
	t.Helper()
	if err != nil {
		report(t, fatal, fmt.Sprintf("unexpected error: %v%s", err, msgOf(args)))
		return false
	}
	return true
}

func mustNoError(t TB, err error, args ...any) { t.Helper(); checkNoError(t, true, err, args...) }
func noError(t TB, err error, args ...any) bool {
	t.Helper()
	return checkNoError(t, false, err, args...)
}

func checkErrorIs(t TB, fatal bool, err, target error, args ...any) bool {
	t.Helper()
	if !errors.Is(err, target) {
		report(t, fatal, fmt.Sprintf("error %v does not match %q%s", errOrNil(err), target, msgOf(args)))
		return false
	}
	return true
}

func mustErrorIs(t TB, err, target error, args ...any) {
	t.Helper()
	checkErrorIs(t, true, err, target, args...)
}
func errorIs(t TB, err, target error, args ...any) bool {
	t.Helper()
	return checkErrorIs(t, false, err, target, args...)
}

func notErrorIs(t TB, err, target error, args ...any) {
	t.Helper()
	if errors.Is(err, target) {
		t.Errorf("error %v matches %q, it should not%s", err, target, msgOf(args))
	}
}

// mustErrorAs is errors.As that stops the test when err has no error of target's type.
func mustErrorAs(t TB, err error, target any, args ...any) {
	t.Helper()
	if !errors.As(err, target) {
		t.Fatalf("error %v has no %s in its chain%s", errOrNil(err), reflect.TypeOf(target).Elem(), msgOf(args))
	}
}

func errorContains(t TB, err error, sub string, args ...any) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("error %v does not contain %q%s", errOrNil(err), sub, msgOf(args))
	}
}

func errOrNil(err error) string {
	if err == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", err.Error())
}

func equal(t TB, want, got any, args ...any) bool {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("not equal%s\n    want: %#v\n     got: %#v", msgOf(args), want, got)
		return false
	}
	return true
}

func mustEqual(t TB, want, got any, args ...any) {
	t.Helper()
	if !equal(t, want, got, args...) {
		t.Fatalf("stopping: the rest depends on it")
	}
}

func empty(t TB, v any, args ...any) {
	t.Helper()
	if !isEmpty(v) {
		t.Errorf("want empty, got %#v%s", v, msgOf(args))
	}
}

func isTrue(t TB, ok bool, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf("want true%s", msgOf(args))
	}
}

func mustTrue(t TB, ok bool, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf("want true%s", msgOf(args))
	}
}

func lessOrEqual[N int | int32 | int64](t TB, got, limit N, args ...any) {
	t.Helper()
	if got > limit {
		t.Errorf("%v > %v%s", got, limit, msgOf(args))
	}
}
