// Package e2e tests the Temporal engine end to end against a real Temporal server, started in
// the test process (go.temporal.io/server/temporaltest: SQLite in memory, ready in about a
// second). It is a module of its own so that the engine's module does not depend on the
// server. Worker processes for the crash tests are this test binary re-run (see worker_test.go).
package e2e

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"
)

// srv is the server every test of the package shares; each pipeline has a task queue of its own.
var srv *temporaltest.TestServer

func TestMain(m *testing.M) {
	flag.Parse()
	if role := os.Getenv(workerEnv); role != "" {
		os.Exit(runWorkerProcess(role))
	}
	if f := flag.Lookup("test.skip"); f != nil && f.Value.String() == "" {
		_ = flag.Set("test.skip", "^TestConformance$/^("+strings.Join(slices.Collect(maps.Keys(declaredDifferences)), "|")+")$")
	}
	srv = startServer(timerShift)
	code := m.Run()
	srv.Stop()
	if natsSrv != nil {
		natsNC.Close()
		natsSrv.Shutdown()
	}
	os.Exit(code)
}

// timerShift is the server's history.timerProcessorMaxTimeShift in these tests. By default it
// is 1 s, and it is what sets Temporal's timer granularity: a timer, an activity's retry or
// heartbeat timeout — any scheduled task — due sooner than now + the shift is postponed to it
// (go.temporal.io/server service/history/shard/task_key_generator.go, setTaskMinScheduledTime).
// TestTimerGranularity measures both.
const timerShift = 10 * time.Millisecond

// startServer starts a Temporal server in this process with the given timer shift (0: the
// server's default).
func startServer(shift time.Duration) *temporaltest.TestServer {
	dc := dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
	}
	if shift > 0 {
		dc[dynamicconfig.TimerProcessorMaxTimeShift.Key()] = []dynamicconfig.ConstrainedValue{{Value: shift}}
	}
	return temporaltest.NewServer(temporaltest.WithBaseServerOptions(temporal.WithDynamicConfigClient(dc)))
}

// queues numbers the task queues of the tests' pipelines.
var queues atomic.Int64

// newQueue returns a task queue no other pipeline of this test binary uses.
func newQueue(name string) string {
	return fmt.Sprintf("%s-%d-%d", name, os.Getpid(), queues.Add(1))
}

// defaultClient is the shared server's client.
func defaultClient() client.Client { return srv.GetDefaultClient() }
