package jetstream_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/batontest"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"
)

// The tests share one embedded server, started by TestMain (unless the test binary runs as a
// worker process: see crash_test.go).
var (
	srv *jetstream.Server
	nc  *nats.Conn
)

func TestMain(m *testing.M) {
	if runWorkerIfAsked() {
		return
	}
	var err error
	srv, err = jetstream.StartServer(jetstream.ServerConfig{Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nc, err = nats.Connect(srv.ClientURL())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	nc.Close()
	srv.Shutdown()
	os.Exit(code)
}

var names atomic.Int64

// uniqueName names a pipeline's stream for one test.
func uniqueName(t testing.TB) string {
	name := fmt.Sprintf("t%d", names.Add(1))
	t.Cleanup(func() { deleteStream(name) })
	return name
}

func deleteStream(name string) {
	j, err := js.New(nc)
	if err == nil {
		_ = j.DeleteStream(context.Background(), "BATON_"+name)
	}
}

// newEngine returns an engine of a new pipeline hosting every stage, in this process.
func newEngine(t testing.TB, cfg jetstream.Config) *jetstream.Engine {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = uniqueName(t)
	}
	e, err := jetstream.New(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// subject is the conformance subject: pipelines whose messages travel through the embedded
// server, every stage hosted by the test process.
func subject() batontest.Subject {
	return batontest.Subject{
		New: func(t testing.TB, stages []baton.Stage[batontest.Msg], opts ...baton.Option) (*baton.Pipeline[batontest.Msg], error) {
			// In memory: the battery makes a few hundred streams, and what it checks does not
			// depend on the storage (the crash, cluster and bad-input tests use the disk).
			e := newEngine(t, jetstream.Config{HostAll: true, Memory: true})
			p, err := baton.New(stages, slices.Concat([]baton.Option{baton.WithEngine(e)}, opts)...)
			if err != nil {
				_ = e.Close()
			}
			return p, err
		},
		Strategy: baton.Choreographed,
		Features: batontest.Features{InboxDepth: true, QueuedUntilStarted: true, RealClock: true},
	}
}

func TestConformance(t *testing.T) {
	batontest.Conformance(t, subject())
}
