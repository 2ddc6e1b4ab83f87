package jetstream_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// An embedded three-node JetStream cluster with a replicated (R3) stream: stopping one node
// mid-run loses nothing, and every message still gets exactly one result, identical to the
// in-process run.
func TestThreeNodeClusterLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	routes := []int{freePort(t), freePort(t), freePort(t)}
	var urls []string
	for _, p := range routes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	var nodes []*jetstream.Server
	for i := range 3 {
		s, err := jetstream.StartServer(jetstream.ServerConfig{Dir: t.TempDir(), Name: fmt.Sprintf("n%d", i),
			Cluster: &jetstream.ClusterConfig{Name: "baton", Port: routes[i], Routes: urls}})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, s)
	}
	defer func() {
		for _, s := range nodes {
			if s.Running() {
				s.Shutdown()
			}
		}
	}()
	all := strings.Join([]string{nodes[0].ClientURL(), nodes[1].ClientURL(), nodes[2].ClientURL()}, ",")
	connect := func() *nats.Conn {
		c, err := nats.Connect(all, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	wc, cc := connect(), connect()
	// Wait for the cluster's JetStream to have a leader.
	j, _ := js.New(cc)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := j.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster has no JetStream leader: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	const jobs = 300
	slow := func() []baton.Stage[Job] {
		return crashStages(func(point string, _ Job) {
			if strings.HasPrefix(point, "during") {
				time.Sleep(time.Millisecond)
			}
		})
	}
	var in []Job
	for i := 1; i <= jobs; i++ {
		in = append(in, Job{ID: i})
	}
	local, _ := baton.New(slow(), baton.WithStrategy(baton.Choreographed), baton.WithSentinels(errRefused))
	want := runAll(t, local, in)
	_ = local.Close()

	cfg := jetstream.Config{Name: "r3", Replicas: 3, AckWait: time.Second}
	wcfg := cfg
	wcfg.HostAll = true
	we, err := jetstream.New(wc, wcfg)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := baton.New(slow(), baton.WithEngine(we), baton.WithSentinels(errRefused))
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	ce, _ := jetstream.New(cc, cfg)
	client, err := baton.New(slow(), baton.WithEngine(ce), baton.WithSentinels(errRefused))
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan string, 1)
	got := make([]outcome, len(in))
	seen := 0
	for r := range client.Run(context.Background(), slices.Values(in)) {
		got[r.Seq] = reduce(r)
		if seen++; seen == jobs/3 {
			go func() {
				// Stop the node the client is not connected to ... or is: either way nothing is lost.
				victim := nodes[2]
				victim.Shutdown()
				stopped <- victim.Name()
			}()
		}
	}
	_ = client.Close()
	t.Logf("stopped node %s mid-run", <-stopped)
	for i := range want {
		if fmt.Sprint(want[i]) != fmt.Sprint(got[i]) {
			t.Errorf("job %d:\nin process: %+v\nengine:     %+v", in[i].ID, want[i], got[i])
		}
	}
}
