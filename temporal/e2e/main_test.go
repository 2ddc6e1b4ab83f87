// Package e2e tests the Temporal engine end to end against a real Temporal server, started in
// the test process (go.temporal.io/server/temporaltest: SQLite in memory, ready in about a
// second). It is a module of its own so that the engine's module does not depend on the
// server. Worker processes for the crash tests are this test binary re-run (see worker_test.go).
package e2e

import (
	"flag"
	"fmt"
	"os"
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

// Three more of the server's settings differ from its defaults in these tests (unless
// BATON_SERVER_DEFAULTS is set, to measure the defaults), each found by TestStepTimeline and the
// server's own metrics; see the README's "Across processes".
const (
	// transferRPS is history.transferProcessorMaxPollRPS: how often a second a history shard
	// reads its transfer queue, where a workflow task waits between being scheduled (an
	// activity completed, say) and being sent to a worker. By default it is 20 a shard, and
	// temporaltest runs one shard: beyond a burst, each workflow task — one per step — waited
	// about 35 ms for a read (the server's task_latency_load of TransferActiveTaskWorkflowTask;
	// in the history, between WorkflowTaskScheduled and WorkflowTaskStarted), most of a step's
	// 61 ms. A cluster with many shards reads each at that rate. The shard's timer queue has
	// the same limit (history.timerProcessorMaxPollRPS), and it is raised as well: a 50 ms
	// workflow timer took about 150 ms with it, 74–111 ms without (BenchmarkTimer).
	transferRPS = 1000
	// longPoll is history.longPollExpirationInterval (20 s by default): how long the server
	// holds a long poll for a workflow's history — the submitter's wait for a message's result
	// — before it answers "nothing yet" and the client polls again. The server sometimes misses
	// the wake-up of a poll when the workflow closes (about one message in a few hundred here,
	// with go.temporal.io/server v1.32.1): that message's result then came 20 s after its
	// workflow ended. A fresh poll reads the workflow's state first, so a shorter interval
	// bounds the delay. (A client-side bound does not work: the server answers at once when
	// less than a second is left of the caller's deadline, and the SDK polls again at once.)
	longPoll = 2 * time.Second
)

// serverDefaultsEnv names the variable that keeps the server's defaults for the settings above.
const serverDefaultsEnv = "BATON_SERVER_DEFAULTS"

// startServer starts a Temporal server in this process with the given timer shift (0: the
// server's default).
func startServer(shift time.Duration) *temporaltest.TestServer {
	dc := dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
	}
	if shift > 0 {
		dc[dynamicconfig.TimerProcessorMaxTimeShift.Key()] = []dynamicconfig.ConstrainedValue{{Value: shift}}
	}
	if os.Getenv(serverDefaultsEnv) == "" {
		dc[dynamicconfig.TransferProcessorMaxPollRPS.Key()] = []dynamicconfig.ConstrainedValue{{Value: transferRPS}}
		dc[dynamicconfig.TimerProcessorMaxPollRPS.Key()] = []dynamicconfig.ConstrainedValue{{Value: transferRPS}}
		dc[dynamicconfig.HistoryLongPollExpirationInterval.Key()] = []dynamicconfig.ConstrainedValue{{Value: longPoll}}
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
