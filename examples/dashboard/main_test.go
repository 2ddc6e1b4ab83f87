package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/baton-go/baton/dashboard"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The demo serves its dashboard with traffic through both strategies — successes, retries and
// failures — and workflow executions, and stops everything when its context ends.
func TestDemoServesTraffic(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, false, nil) }()
	url := "http://" + ln.Addr().String() + "/debug/baton/api/state"
	var st dashboard.State
	require.Eventually(t, func() bool {
		res, err := http.Get(url)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		st = dashboard.State{}
		if json.NewDecoder(res.Body).Decode(&st) != nil || len(st.Pipelines) != 2 || len(st.Workflows) != 1 {
			return false
		}
		for _, p := range st.Pipelines {
			var failed, retried int64
			for _, s := range p.Stages {
				failed += s.Failed
				retried += s.Retried
			}
			if failed == 0 || retried == 0 {
				return false
			}
		}
		return len(st.Workflows[0].Recent) > 0
	}, 20*time.Second, 100*time.Millisecond, "traffic with failures and retries under both strategies, and executions: %+v", st)
	require.ElementsMatch(t, []string{"orchestrated", "choreographed"}, []string{st.Pipelines[0].Strategy, st.Pipelines[1].Strategy})
	cancel()
	require.NoError(t, <-done)
}
