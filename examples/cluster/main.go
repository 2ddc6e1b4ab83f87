// Command cluster runs a Baton pipeline across processes on NATS JetStream, with nothing
// installed: it starts an embedded NATS server, re-runs its own binary as three worker
// processes hosting different stages, submits orders with per-message slips as a client,
// kills one worker mid-run, and shows that every order got exactly one result, identical to
// the in-process run of the same stages, with the cost of a hop.
//
//	go run ./examples/cluster
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
)

// Order is the message.
type Order struct {
	ID      int      `json:"id"`
	Digital bool     `json:"digital"`
	Amount  int      `json:"amount"`
	Done    []string `json:"done"`
}

var errDeclined = errors.New("card declined")

// stages are the same in every process.
func stages() []baton.Stage[Order] {
	step := func(name string) baton.Stage[Order] {
		return baton.Func(name, func(_ context.Context, o Order) (Order, error) {
			time.Sleep(200 * time.Microsecond) // a little work
			if name == "charge" && o.Amount > 900 {
				return o, fmt.Errorf("order %d: %w", o.ID, errDeclined)
			}
			o.Done = append(slices.Clone(o.Done), name)
			return o, nil
		}, baton.Workers(4))
	}
	undo := func(context.Context, Order) error { return nil }
	return []baton.Stage[Order]{
		baton.Compensable(step("reserve"), undo),
		step("charge"),
		step("ship"),
		step("notify"),
	}
}

// options are the same in every process: a per-message slip, and the sentinel every process
// knows.
func options() []baton.Option {
	return []baton.Option{
		baton.WithRouter(func(o Order) []string {
			if o.Digital {
				return []string{"charge", "notify"}
			}
			return []string{"reserve", "charge", "ship", "notify"}
		}),
		baton.WithSentinels(errDeclined),
	}
}

func main() {
	if url := os.Getenv("CLUSTER_URL"); url != "" {
		worker(url, strings.Split(os.Getenv("CLUSTER_STAGES"), ","))
		return
	}
	if err := client(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// worker hosts stages until it is killed or its standard input closes.
func worker(url string, hosts []string) {
	nc, err := nats.Connect(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e, err := jetstream.New(nc, jetstream.Config{Name: "orders", Hosts: hosts, AckWait: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := baton.New(stages(), append(options(), baton.WithEngine(e))...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // the client closes it to stop us
	_ = p.Close()                                     // drains the steps running
	nc.Close()
}

func client() error {
	srv, err := jetstream.StartServer(jetstream.ServerConfig{}) // JetStream on a temporary directory
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	fmt.Println("embedded NATS server with JetStream at", srv.ClientURL())

	self, err := os.Executable()
	if err != nil {
		return err
	}
	hostsOf := [][]string{{"reserve", "charge"}, {"charge", "ship", "notify"}, {"reserve", "ship", "notify"}}
	var workers []*exec.Cmd
	for _, hosts := range hostsOf {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "CLUSTER_URL="+srv.ClientURL(), "CLUSTER_STAGES="+strings.Join(hosts, ","))
		cmd.Stderr = os.Stderr
		stdin, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			return err
		}
		defer stdin.Close()
		if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
			return fmt.Errorf("worker %v did not start", hosts)
		}
		fmt.Printf("worker %d (pid %d) hosts %v\n", len(workers)+1, cmd.Process.Pid, hosts)
		workers = append(workers, cmd)
	}

	var orders []Order
	for i := range 300 {
		orders = append(orders, Order{ID: i, Digital: i%3 == 0, Amount: (i * 37) % 1000})
	}

	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		return err
	}
	defer nc.Close()
	e, err := jetstream.New(nc, jetstream.Config{Name: "orders", AckWait: time.Second})
	if err != nil {
		return err
	}
	p, err := baton.New(stages(), append(options(), baton.WithEngine(e))...)
	if err != nil {
		return err
	}
	got := make([]baton.Result[Order], len(orders))
	count := make([]int, len(orders))
	hops, n := 0, 0
	start := time.Now()
	for r := range p.Run(context.Background(), slices.Values(orders)) {
		got[r.Seq] = r
		count[r.Seq]++
		hops += len(r.Log) + 1 // its steps and compensations, and back to us
		if n++; n == len(orders)/4 {
			_ = workers[0].Process.Kill() // SIGKILL, mid-run
			fmt.Printf("killed worker 1 after %d results\n", n)
		}
	}
	elapsed := time.Since(start)
	_ = p.Close()

	local, err := baton.New(stages(), append(options(), baton.WithStrategy(baton.Choreographed))...)
	if err != nil {
		return err
	}
	same, once, failed := 0, 0, 0
	for r := range local.Run(context.Background(), slices.Values(orders)) {
		g := got[r.Seq]
		if count[r.Seq] == 1 {
			once++
		}
		if g.Err != nil {
			failed++
		}
		if reflect.DeepEqual(g.Value, r.Value) && errText(g.Err) == errText(r.Err) && logText(g.Log) == logText(r.Log) &&
			errors.Is(g.Err, errDeclined) == errors.Is(r.Err, errDeclined) {
			same++
		}
	}
	_ = local.Close()
	fmt.Printf("%d orders: %d got exactly one result, %d identical to the in-process run (%d declined and compensated)\n", len(orders), once, same, failed)
	fmt.Printf("%d hops in %v: %.0f µs per hop (wall clock; 3 workers, one killed)\n", hops, elapsed.Round(time.Millisecond), float64(elapsed.Microseconds())/float64(hops))
	if once != len(orders) || same != len(orders) {
		return errors.New("results differ")
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func logText(log []baton.StepRecord) string {
	var b strings.Builder
	for _, s := range log {
		fmt.Fprintf(&b, "%s:%v:%d;", s.Stage, s.Outcome, s.Attempts)
	}
	return b.String()
}
