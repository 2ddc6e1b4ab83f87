package conductor

import (
	"context"
	"errors"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var strategies = []baton.Strategy{baton.Orchestrated, baton.Choreographed}

// fakeJS is a JavaScript engine for tests: each known source is a Go function of $.
type fakeJS map[string]func(in map[string]any) any

func (f fakeJS) CompileJavaScript(src string) (Program, error) {
	fn, ok := f[src]
	if !ok {
		return nil, errors.New("SyntaxError: unknown test script")
	}
	return programFunc(func(_ context.Context, in any) (any, error) { return fn(in.(map[string]any)), nil }), nil
}

type programFunc func(context.Context, any) (any, error)

func (p programFunc) Run(ctx context.Context, in any) (any, error) { return p(ctx, in) }

// run loads def with opts under strategy s and runs it on input with a fixed workflow id.
func run(t *testing.T, s baton.Strategy, def string, input map[string]any, opts ...Option) *Execution {
	t.Helper()
	rt, err := New(append([]Option{WithStrategy(s)}, opts...)...)
	require.NoError(t, err)
	w, err := rt.Load([]byte(def))
	require.NoError(t, err)
	defer w.Close()
	e, err := w.Run(context.Background(), input, WithWorkflowID("wf-1"))
	require.NotNil(t, e, "Run: %v", err)
	require.Equal(t, e.Err, err)
	return e
}

// runBoth runs def under both strategies, checks that they agree on status, output, variables
// and log, and returns the orchestrated run.
func runBoth(t *testing.T, def string, input map[string]any, opts ...Option) *Execution {
	t.Helper()
	a := run(t, baton.Orchestrated, def, input, opts...)
	b := run(t, baton.Choreographed, def, input, opts...)
	require.Equal(t, a.Status, b.Status, "status")
	require.Equal(t, a.Output, b.Output, "output")
	require.Equal(t, a.Variables, b.Variables, "variables")
	require.Equal(t, summary(a), summary(b), "task log")
	return a
}

// summary is a run's log as "ref:STATUS" items.
func summary(e *Execution) []string {
	var out []string
	for _, t := range e.Tasks {
		out = append(out, t.Ref+":"+string(t.Status))
	}
	return out
}
