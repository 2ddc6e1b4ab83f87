package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
	"go.temporal.io/sdk/client"
)

// A worker process is this test binary re-run with workerEnv set to
// "hostport|namespace|taskqueue|pipeline|dir": it builds the named pipeline of crashPipelines,
// hosting its stages on the task queue, until it is killed or gets SIGTERM.
const workerEnv = "BATON_TEMPORAL_E2E_WORKER"

// runWorkerProcess is a worker process's main.
func runWorkerProcess(role string) int {
	f := strings.Split(role, "|")
	if len(f) != 5 {
		fmt.Fprintf(os.Stderr, "worker: bad %s=%q\n", workerEnv, role)
		return 2
	}
	hostport, namespace, queue, name, dir := f[0], f[1], f[2], f[3], f[4]
	build, ok := crashPipelines[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "worker: no pipeline %q\n", name)
		return 2
	}
	c, err := client.Dial(client.Options{HostPort: hostport, Namespace: namespace})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	defer c.Close()
	eng, err := batontemporal.New(c, batontemporal.WithTaskQueue(queue), batontemporal.WithHeartbeat(time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	p, err := baton.New(build(dir), baton.WithEngine(eng), baton.WithSentinels(errDeclined))
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Println("worker: ready")
	<-ctx.Done()
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	return 0
}

// startWorker starts a worker process hosting pipeline name on queue; the test kills it at its
// end if it is still running.
func startWorker(t *testing.T, queue, name, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+strings.Join([]string{srv.GetFrontendHostPort(), srv.GetDefaultNamespace(), queue, name, dir}, "|"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// kill kills the worker process with SIGKILL and waits for it.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}
