package e2e

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/baton-go/baton"
)

// sameResult fails t unless got, a result of the engine, is what want, the in-process
// strategy's result of the same message, says: the value, the error's text, and the log
// (stages, attempts, outcomes, errors' texts).
func sameResult[T any](t *testing.T, what string, got, want baton.Result[T]) {
	t.Helper()
	if !reflect.DeepEqual(got.Value, want.Value) {
		t.Errorf("%s: value %+v, in process %+v", what, got.Value, want.Value)
	}
	if errText(got.Err) != errText(want.Err) {
		t.Errorf("%s: error %q, in process %q", what, errText(got.Err), errText(want.Err))
	}
	if g, w := logText(got.Log), logText(want.Log); g != w {
		t.Errorf("%s: log\n%s\nin process\n%s", what, g, w)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func logText(log []baton.StepRecord) string {
	s := ""
	for _, r := range log {
		s += fmt.Sprintf("  %s ×%d %v %s\n", r.Stage, r.Attempts, r.Outcome, errText(r.Err))
	}
	return s
}
