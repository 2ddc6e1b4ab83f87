package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/require"
)

// hostile is put wherever a user's text can go: stage names, keys, errors, values, workflow
// task names. It must always come back as the same text, never as markup or script.
const hostile = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'"&amp;]]></svg>` + "\u2028</script>"

var strategies = []baton.Strategy{baton.Orchestrated, baton.Choreographed}

// errBad is the failure of the "charge" stage for values divisible by 5.
var errBad = errors.New("card declined: " + hostile)

// shop builds a pipeline named name with stages validate, reserve (compensable), hostile
// (the hostile stage name) and charge (fails on multiples of 5, so reserve is compensated),
// keyed by "order-N".
func shop(t testing.TB, d *Dashboard, name string, s baton.Strategy, opts ...baton.Option) *baton.Pipeline[int] {
	t.Helper()
	stages := []baton.Stage[int]{
		baton.Func("validate", func(_ context.Context, v int) (int, error) { return v, nil }),
		baton.Compensable(baton.Func("reserve", func(_ context.Context, v int) (int, error) { return v, nil }),
			func(context.Context, int) error { return nil }),
		baton.Func(hostile, func(_ context.Context, v int) (int, error) { return v, nil }),
		baton.Func("charge", func(_ context.Context, v int) (int, error) {
			if v%5 == 0 {
				return v, errBad
			}
			return v, nil
		}),
	}
	all := append([]baton.Option{baton.WithName(name), baton.WithStrategy(s), baton.WithObserver(d.Observer()),
		baton.WithKey(func(v int) string { return "order-" + strconv.Itoa(v) })}, opts...)
	p, err := baton.New(stages, all...)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	require.NoError(t, d.AddPipeline(name, p))
	return p
}

// runAll processes values 1..n through p, returning the failures.
func runAll(t testing.TB, d *Dashboard, name string, p *baton.Pipeline[int], n int) int {
	t.Helper()
	failed := 0
	for i := 1; i <= n; i++ {
		r := p.ProcessResult(context.Background(), i)
		if r.Err != nil {
			failed++
		}
		RecordResult(d, name, r)
	}
	return failed
}

func get(t testing.TB, h http.Handler, url string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func newDashboard(t testing.TB, opts ...Option) *Dashboard {
	t.Helper()
	d, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func name(s baton.Strategy) string { return fmt.Sprintf("shop-%s", s) }

func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
