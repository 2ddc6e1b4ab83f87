package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/baton-go/baton"
	batonotel "github.com/baton-go/baton/otel"
	batontemporal "github.com/baton-go/baton/temporal"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
)

// A message's trace spans its workflow on the real server: a client process submits, a worker
// process — this test binary re-run — runs the workflows and their steps' activities, each
// with its own tracer provider and batonotel.Observer, and the trace context travels in the
// workflows' input (temporal.WithPropagation). Every span the worker makes for a message is in
// the caller's trace, under the message's span in the client.

// traceWorkerEnv, set to "hostport|namespace|queue|spanfile|propagate", makes the test binary a
// tracing worker process. It starts from init, before TestMain starts a server: it needs
// nothing of the test process.
const traceWorkerEnv = "BATON_TEMPORAL_E2E_TRACE_WORKER"

func init() {
	if role := os.Getenv(traceWorkerEnv); role != "" {
		os.Exit(runTraceWorker(role))
	}
}

// tjob is the message of the trace tests.
type tjob struct{ N int }

// traceStages: a starts a span of its own from its context; b fails its first attempt for jobs
// whose N is a multiple of 3 (retried inside its activity); c fails jobs whose N is a multiple
// of 4, so that b and a are compensated. Attempts are counted per process: only the worker runs
// steps.
func traceStages(tp trace.TracerProvider) []baton.Stage[tjob] {
	var mu sync.Mutex
	tries := map[int]int{}
	undo := func(context.Context, tjob) error { return nil }
	return []baton.Stage[tjob]{
		baton.Compensable(baton.Func("a", func(ctx context.Context, j tjob) (tjob, error) {
			_, span := tp.Tracer("stage").Start(ctx, "a's own work")
			span.End()
			return j, nil
		}), undo),
		baton.Compensable(baton.Func("b", func(_ context.Context, j tjob) (tjob, error) {
			mu.Lock()
			tries[j.N]++
			n := tries[j.N]
			mu.Unlock()
			if j.N%3 == 0 && n == 1 {
				return j, errors.New("flaky")
			}
			return j, nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})), undo),
		baton.Func("c", func(_ context.Context, j tjob) (tjob, error) {
			if j.N%4 == 0 {
				return j, errRefused
			}
			return j, nil
		}),
	}
}

// spanLine is a span as the tests read it: the worker process writes one a line.
type spanLine struct {
	Name    string `json:"name"`
	Trace   string `json:"trace"`
	Span    string `json:"span"`
	Parent  string `json:"parent"`
	Message int64  `json:"message,omitzero"` // baton.message, on a message span
}

// lineExporter keeps each span as it ends, and writes it to w when w is set.
type lineExporter struct {
	mu    sync.Mutex
	lines []spanLine
	w     *bufio.Writer
	f     *os.File
}

func (x *lineExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, s := range spans {
		l := spanLine{Name: s.Name(), Trace: s.SpanContext().TraceID().String(),
			Span: s.SpanContext().SpanID().String(), Parent: s.Parent().SpanID().String()}
		for _, kv := range s.Attributes() {
			if kv.Key == batonotel.KeyMessage {
				l.Message = kv.Value.AsInt64()
			}
		}
		x.lines = append(x.lines, l)
		if x.w != nil {
			b, _ := json.Marshal(l)
			_, _ = x.w.Write(append(b, '\n'))
		}
	}
	if x.w != nil {
		return x.w.Flush()
	}
	return nil
}

func (x *lineExporter) Shutdown(context.Context) error {
	if x.f != nil {
		return x.f.Close()
	}
	return nil
}

func (x *lineExporter) spans() []spanLine {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.lines)
}

// observed returns a tracer provider exporting to x, and an Observer reporting to it.
func observed(x *lineExporter) (*sdktrace.TracerProvider, *batonotel.Observer, error) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(x))
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
	return tp, obs, err
}

func propagation(on bool) []batontemporal.Option {
	if !on {
		return nil
	}
	return []batontemporal.Option{batontemporal.WithPropagation(batonotel.Propagation[map[string][]string](nil))}
}

// runTraceWorker hosts traceStages on its queue, with an Observer, until SIGTERM; then it
// closes its pipeline, and its spans are in the span file.
func runTraceWorker(role string) int {
	f := strings.Split(role, "|")
	if len(f) != 5 {
		fmt.Fprintf(os.Stderr, "trace worker: bad %s=%q\n", traceWorkerEnv, role)
		return 2
	}
	out, err := os.Create(f[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "trace worker:", err)
		return 2
	}
	tp, obs, err := observed(&lineExporter{w: bufio.NewWriter(out), f: out})
	if err != nil {
		fmt.Fprintln(os.Stderr, "trace worker:", err)
		return 2
	}
	c, err := client.Dial(client.Options{HostPort: f[0], Namespace: f[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, "trace worker:", err)
		return 1
	}
	defer c.Close()
	eng, err := batontemporal.New(c, append([]batontemporal.Option{batontemporal.WithTaskQueue(f[2])}, propagation(f[4] == "1")...)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "trace worker:", err)
		return 1
	}
	stop, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	p, err := baton.New(traceStages(tp), baton.WithEngine(eng), baton.WithObserver(obs), baton.WithSentinels(errRefused))
	if err != nil {
		fmt.Fprintln(os.Stderr, "trace worker:", err)
		return 1
	}
	fmt.Println("ready")
	<-stop.Done()
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "trace worker:", err)
		return 1
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "trace worker:", err)
		return 1
	}
	return 0
}

// underMessages groups spans by the job whose message span is their parent, or their parent's
// parent (a stage's own span, under its step's), in the same trace; orphans are the spans that
// are no message's. jobs maps message IDs to jobs.
func underMessages(lines []spanLine, jobs map[int64]int) (got map[int][]string, orphans []string) {
	byID := map[string]spanLine{}
	msgJob := map[string]int{}
	for _, l := range lines {
		byID[l.Trace+"/"+l.Span] = l
		if l.Name == batonotel.SpanMessage {
			msgJob[l.Trace+"/"+l.Span] = jobs[l.Message]
		}
	}
	got = map[int][]string{}
	for _, l := range lines {
		if l.Name == batonotel.SpanMessage || l.Name == "request" {
			continue
		}
		parent := l.Trace + "/" + l.Parent
		job, ok := msgJob[parent]
		if !ok {
			if up, found := byID[parent]; found {
				job, ok = msgJob[up.Trace+"/"+up.Parent]
			}
		}
		if !ok {
			orphans = append(orphans, l.Name)
			continue
		}
		got[job] = append(got[job], l.Name)
	}
	for _, v := range got {
		sort.Strings(v)
	}
	return got, orphans
}

// runJobs submits jobs 1..n to p under ctx and returns the job of each message ID.
func runJobs(t *testing.T, ctx context.Context, p *baton.Pipeline[tjob], n int) map[int64]int {
	t.Helper()
	var in []tjob
	for i := 1; i <= n; i++ {
		in = append(in, tjob{N: i})
	}
	jobs := map[int64]int{}
	for r := range p.Run(ctx, slices.Values(in)) {
		jobs[int64(r.ID)] = r.Value.N
		if failed := r.Err != nil; failed != (r.Value.N%4 == 0) {
			t.Errorf("job %d: %v", r.Value.N, r.Err)
		}
	}
	if len(jobs) != n {
		t.Fatalf("%d results for %d jobs", len(jobs), n)
	}
	return jobs
}

// The client's message spans are children of the caller's span; every span the worker process
// makes for a message — its steps' attempts, its compensations, a stage's own span — is in the
// caller's trace, under the message's span in the client, the same spans as in process. Without
// WithPropagation the check fails: the worker's spans are roots of traces of their own.
func TestTraceSpansTheWorkflowOnTheServer(t *testing.T) {
	const n = 8
	exp := &lineExporter{}
	tp, obs, err := observed(exp)
	if err != nil {
		t.Fatal(err)
	}
	inProcess, err := baton.New(traceStages(tp), baton.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	jobs := runJobs(t, context.Background(), inProcess, n)
	if err := inProcess.Close(); err != nil {
		t.Fatal(err)
	}
	want, orphans := underMessages(exp.spans(), jobs)
	if len(orphans) != 0 || len(want) != n {
		t.Fatalf("in process: %d jobs with spans, orphans %v", len(want), orphans)
	}

	for _, propagate := range []bool{true, false} {
		t.Run(fmt.Sprintf("propagate=%v", propagate), func(t *testing.T) {
			queue := newQueue("trace")
			path := filepath.Join(t.TempDir(), "spans")
			flag := "0"
			if propagate {
				flag = "1"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), traceWorkerEnv+"="+strings.Join([]string{srv.GetFrontendHostPort(), srv.GetDefaultNamespace(), queue, path, flag}, "|"))
			cmd.Stderr = os.Stderr
			stdout, pw := io.Pipe()
			cmd.Stdout = pw
			defer pw.Close() // ends the reader below
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
				}
			}()
			lines := bufio.NewReader(stdout)
			for { // the SDK logs to stdout too
				line, err := lines.ReadString('\n')
				if err != nil {
					t.Fatalf("worker: %q, %v", line, err)
				}
				if line == "ready\n" {
					break
				}
			}
			go func() { _, _ = io.Copy(io.Discard, lines) }()

			exp := &lineExporter{}
			tp, obs, err := observed(exp)
			if err != nil {
				t.Fatal(err)
			}
			eng, err := batontemporal.New(defaultClient(), append([]batontemporal.Option{batontemporal.WithTaskQueue(queue), batontemporal.WithoutWorker()}, propagation(propagate)...)...)
			if err != nil {
				t.Fatal(err)
			}
			submitter, err := baton.New(traceStages(tp), baton.WithEngine(eng), baton.WithObserver(obs), baton.WithSentinels(errRefused))
			if err != nil {
				t.Fatal(err)
			}
			ctx, caller := tp.Tracer("test").Start(context.Background(), "request")
			jobs := runJobs(t, ctx, submitter, n)
			caller.End()
			if err := submitter.Close(); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("worker: %v", err)
			}

			clientSpans := exp.spans()
			for _, l := range clientSpans {
				if l.Name != batonotel.SpanMessage && l.Name != "request" {
					t.Errorf("the client made a span %q: it runs no step", l.Name)
				}
			}
			workerSpans := readSpanFile(t, path)
			for _, l := range workerSpans {
				if propagate && l.Trace != caller.SpanContext().TraceID().String() {
					t.Errorf("worker span %q is not in the caller's trace", l.Name)
				}
			}
			got, orphans := underMessages(slices.Concat(clientSpans, workerSpans), jobs)
			if !propagate {
				if len(orphans) == 0 || len(got) != 0 {
					t.Errorf("without propagation: %d orphans, %d jobs with children; want every worker span an orphan", len(orphans), len(got))
				}
				return
			}
			if len(orphans) != 0 {
				t.Errorf("spans of the worker that are no message's: %v", orphans)
			}
			for i := 1; i <= n; i++ {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("job %d: spans under its message\n%v\nwant, as in process,\n%v", i, got[i], want[i])
				}
			}
		})
	}
}

// readSpanFile reads the spans a worker process wrote.
func readSpanFile(t *testing.T, path string) []spanLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []spanLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l spanLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, l)
	}
	return out
}
