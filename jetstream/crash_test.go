package jetstream_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
)

// Crash tests: real worker processes — this test binary re-run — killed by SIGKILL at each
// point of a step, and a client killed mid-run and restarted. Every message gets exactly one
// result, identical to the in-process run; none is stranded.

// The environment of a re-run test binary.
const (
	envMode   = "BATON_JS_MODE" // "worker" or "client"
	envURL    = "BATON_JS_URL"
	envName   = "BATON_JS_NAME"
	envKillAt = "BATON_JS_KILL_AT" // before, during, after-publish, compensation, always
	envKillID = "BATON_JS_KILL_ID" // the job whose step kills the worker
	envMarker = "BATON_JS_MARKER"  // a file: a worker kills itself once, when it does not exist
	envCount  = "BATON_JS_COUNT"   // client: messages to submit
	envDelay  = "BATON_JS_DELAY"   // worker: how long each step takes
)

// crashStages are the crash tests' pipeline: a, b, c in order, each compensable; c fails jobs
// whose ID is a multiple of 5, so that their steps at a and b are compensated. kill decides,
// at each point, whether the process dies there.
func crashStages(kill func(point string, j Job)) []baton.Stage[Job] {
	var stages []baton.Stage[Job]
	for _, name := range []string{"a", "b", "c"} {
		st := baton.Func(name, func(_ context.Context, j Job) (Job, error) {
			kill("during:"+name, j)
			if name == "c" && j.ID%5 == 0 {
				return j, fmt.Errorf("job %d: %w", j.ID, errRefused)
			}
			j.Trace = append(slices.Clone(j.Trace), name)
			return j, nil
		})
		stages = append(stages, baton.Compensable(st, func(_ context.Context, j Job) error {
			kill("compensation:"+name, j)
			return nil
		}))
	}
	return stages
}

func runWorkerIfAsked() bool {
	switch os.Getenv(envMode) {
	case "worker":
		runWorker()
	case "client":
		runClient()
	default:
		return false
	}
	return true
}

func die() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }

// killer returns the kill decision of a worker: at its point, for its job, once (or always).
func killer() func(point string, j Job) {
	at, id := os.Getenv(envKillAt), os.Getenv(envKillID)
	marker := os.Getenv(envMarker)
	return func(point string, j Job) {
		if at == "" || strconv.Itoa(j.ID) != id {
			return
		}
		switch {
		case at == "always" && point == "during:b":
		case at == "before" && point == "before:b",
			at == "during" && point == "during:b",
			at == "after-publish" && point == "after-publish:b",
			at == "compensation" && point == "compensation:b":
			if _, err := os.Stat(marker); err == nil {
				return // killed once already
			}
			_ = os.WriteFile(marker, nil, 0o644)
		default:
			return
		}
		die()
	}
}

func connectOrDie() *nats.Conn {
	c, err := nats.Connect(os.Getenv(envURL))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return c
}

func crashConfig(cfg jetstream.Config) jetstream.Config {
	cfg.Name = os.Getenv(envName)
	cfg.AckWait = 400 * time.Millisecond
	cfg.MaxDeliver = 4
	return cfg
}

// runWorker hosts every stage until it is killed.
func runWorker() {
	kill := killer()
	e, err := jetstream.New(connectOrDie(), crashConfig(jetstream.Config{HostAll: true}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	jetstream.SetAfterPublish(e, func(stage string, out baton.Envelope) {
		var j struct{ Value Job }
		_ = baton.JSON.Unmarshal(out.State, &j)
		kill("after-publish:"+stage, j.Value)
	})
	delay, _ := time.ParseDuration(os.Getenv(envDelay))
	stages := crashStages(kill)
	for i, s := range stages {
		name := s.Name()
		stages[i] = beforeStep{Stage: s, kill: func(j Job) {
			kill("before:"+name, j)
			time.Sleep(delay)
		}}
	}
	if _, err := baton.New(stages, baton.WithEngine(e), baton.WithSentinels(errDisk, errRefused)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("ready")
	select {}
}

// beforeStep kills at the start of a step, before the stage's own code: the point "before the
// step". It keeps the wrapped stage's compensator (Unwrap).
type beforeStep struct {
	baton.Stage[Job]
	kill func(Job)
}

func (b beforeStep) Process(ctx context.Context, j Job, s *baton.Slip) (Job, error) {
	b.kill(j)
	return b.Stage.Process(ctx, j, s)
}
func (b beforeStep) Unwrap() baton.Stage[Job] { return b.Stage }

// runClient submits jobs 1..count under the client name "client", prints each result as
// "result <id> <err>", and each result of an earlier run as "orphan <id>".
func runClient() {
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
		mu.Unlock()
	}
	e, err := jetstream.New(connectOrDie(), crashConfig(jetstream.Config{Client: "client", OnOrphan: func(o jetstream.Orphan) {
		say("orphan %d", o.ID)
	}}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, err := baton.New(crashStages(func(string, Job) {}), baton.WithEngine(e), baton.WithSentinels(errDisk, errRefused))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Getenv(envCount))
	var in []Job
	for i := 1; i <= n; i++ {
		in = append(in, Job{ID: i})
	}
	st := p.Stream(context.Background())
	for _, j := range in {
		if err := st.Submit(context.Background(), j); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	say("submitted")
	st.CloseSend()
	for r := range st.Results() {
		say("result %d %v", r.ID, r.Err != nil)
	}
	say("done")
	select {} // wait to be killed: orphans keep being printed
}

// proc is a re-run test binary.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	exit  chan error
}

func start(t *testing.T, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1024), exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.exit <- cmd.Wait()
	}()
	return p
}

func (p *proc) kill() { _ = p.cmd.Process.Kill() }

// waitFor waits for the line want from p.
func (p *proc) waitFor(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("the process ended before printing %q", want)
			}
			if l == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %q within 30s", want)
		}
	}
}

// supervise keeps n workers running, restarting each one that dies; it returns the number of
// restarts so far, and a stop function.
func supervise(t *testing.T, n int, env []string) (restarts func() int, stop func()) {
	var mu sync.Mutex
	count, stopped := 0, false
	var procs []*proc
	var wg sync.WaitGroup
	var run func()
	run = func() {
		p := start(t, env...)
		mu.Lock()
		procs = append(procs, p)
		mu.Unlock()
		wg.Go(func() {
			<-p.exit
			mu.Lock()
			defer mu.Unlock()
			if !stopped {
				count++
				go run()
			}
		})
	}
	for range n {
		run()
	}
	return func() int {
			mu.Lock()
			defer mu.Unlock()
			return count
		}, func() {
			mu.Lock()
			stopped = true
			for _, p := range procs {
				p.kill()
			}
			mu.Unlock()
			wg.Wait()
		}
}

func TestWorkersKilledAtEachPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the test binary as worker processes")
	}
	const jobs = 30
	local, err := baton.New(crashStages(func(string, Job) {}), baton.WithStrategy(baton.Choreographed), baton.WithSentinels(errDisk, errRefused))
	if err != nil {
		t.Fatal(err)
	}
	var in []Job
	for i := 1; i <= jobs; i++ {
		in = append(in, Job{ID: i})
	}
	want := runAll(t, local, in)
	_ = local.Close()

	for _, point := range []string{"before", "during", "after-publish", "compensation", "always"} {
		t.Run(point, func(t *testing.T) {
			name := uniqueName(t)
			killID := "7"
			if point == "compensation" {
				killID = "10" // c fails it: b is compensated
			}
			marker := filepath.Join(t.TempDir(), "killed")
			env := []string{envMode + "=worker", envURL + "=" + srv.ClientURL(), envName + "=" + name,
				envKillAt + "=" + point, envKillID + "=" + killID, envMarker + "=" + marker}
			restarts, stop := supervise(t, 2, env)
			defer stop()
			e, err := jetstream.New(nc, jetstream.Config{Name: name, AckWait: 400 * time.Millisecond, MaxDeliver: 4})
			if err != nil {
				t.Fatal(err)
			}
			client, err := baton.New(crashStages(func(string, Job) {}), baton.WithEngine(e), baton.WithSentinels(errDisk, errRefused))
			if err != nil {
				t.Fatal(err)
			}
			var got []outcome
			if point == "always" {
				// Job 7 alone first: every message in flight in a worker that dies counts a
				// delivery, so a message that shared the crash-looping worker with job 7 on
				// each of its deliveries would fail too (as documented on Config.MaxDeliver).
				// Then the others, through the restarted workers.
				got = slices.Concat(runAll(t, client, in[:6]), runAll(t, client, in[6:7]), runAll(t, client, in[7:]))
			} else {
				got = runAll(t, client, in) // exactly one result per message, or it fails
			}
			_ = client.Close()
			if restarts() == 0 {
				t.Fatalf("no worker was killed at %q", point)
			}
			for i := range want {
				w := want[i]
				if point == "always" && in[i].ID == 7 {
					// Its worker dies at b on every delivery: the last one fails the step.
					if !strings.Contains(got[i].Err, "delivered the message 4 times") || got[i].Step != "b/1" || !strings.Contains(got[i].Comp, "a:compensated") {
						t.Errorf("job 7, killed on every delivery: %+v", got[i])
					}
					continue
				}
				if fmt.Sprint(w) != fmt.Sprint(got[i]) {
					t.Errorf("job %d:\nin process: %+v\nengine:     %+v", in[i].ID, w, got[i])
				}
			}
			t.Logf("%s: %d worker restart(s), %d results identical", point, restarts(), len(in))
		})
	}
}

func TestClientRestartedMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the test binary as processes")
	}
	const jobs = 40
	name := uniqueName(t)
	env := []string{envURL + "=" + srv.ClientURL(), envName + "=" + name}
	_, stop := supervise(t, 2, append(env, envMode+"=worker", envDelay+"=10ms"))
	defer stop()
	first := start(t, append(env, envMode+"=client", envCount+"="+strconv.Itoa(jobs))...)
	first.waitFor(t, "submitted")
	seen := map[string]int{}
	firstRun := map[string]bool{}
	for l := range first.lines {
		if id, ok := strings.CutPrefix(l, "result "); ok {
			id, _, _ = strings.Cut(id, " ")
			seen[id]++
			firstRun[id] = true
			if len(seen) == jobs/4 && first.cmd.ProcessState == nil {
				first.kill() // mid-run: most messages are in flight
			}
		}
	}
	<-first.exit
	second := start(t, append(env, envMode+"=client", envCount+"=0")...)
	defer second.kill()
	deadline := time.After(30 * time.Second)
	for len(seen) < jobs {
		select {
		case l := <-second.lines:
			if id, ok := strings.CutPrefix(l, "orphan "); ok {
				if seen[id] > 0 && !firstRun[id] {
					t.Errorf("message %s: two results in the restarted client", id)
				}
				seen[id]++
			}
		case <-deadline:
			t.Fatalf("after the restart, %d of %d messages have a result: %v", len(seen), jobs, seen)
		}
	}
	again := 0
	for id, n := range seen {
		if n > 1 {
			again++
			if !firstRun[id] {
				t.Errorf("message %s: %d results", id, n)
			}
		}
	}
	t.Logf("first run: %d results before it was killed; after the restart every one of %d messages has its result (%d delivered again: the first run had them but had not acknowledged them when killed)", len(firstRun), jobs, again)
}
