package jetstream_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	batonotel "github.com/baton-go/baton/otel"
	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// A message's trace across processes: a client process submits, a worker process — this test
// binary re-run — runs every step, each with its own tracer provider and batonotel.Observer,
// and the trace context travels in the messages' headers through batonotel.Propagation. Every
// span the worker makes for a message is in the client's trace, under the message's span.

// envTraceWorker, set, makes the test binary a tracing worker process writing its spans to the
// file it names, one JSON object a line. The worker starts from init, before TestMain: it
// needs nothing of the test process.
const (
	envTraceWorker    = "BATON_JS_TRACE_WORKER"
	envTracePropagate = "BATON_JS_TRACE_PROPAGATE"
)

func init() {
	if path := os.Getenv(envTraceWorker); path != "" {
		os.Exit(runTraceWorker(path))
	}
}

// traceStages: a starts a span of its own from its context; b fails its first attempt for
// jobs whose ID is a multiple of 3 (retried); c fails jobs whose ID is a multiple of 4, so that
// b and a are compensated. The failures are counted per process: in the test, only the worker
// runs steps.
func traceStages(tp trace.TracerProvider) []baton.Stage[Job] {
	var mu sync.Mutex
	tries := map[int]int{}
	a := baton.Func("a", func(ctx context.Context, j Job) (Job, error) {
		_, span := tp.Tracer("stage").Start(ctx, "a's own work")
		span.End()
		return j, nil
	})
	b := baton.Func("b", func(_ context.Context, j Job) (Job, error) {
		mu.Lock()
		tries[j.ID]++
		n := tries[j.ID]
		mu.Unlock()
		if j.ID%3 == 0 && n == 1 {
			return j, errors.New("flaky")
		}
		return j, nil
	}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2}))
	c := baton.Func("c", func(_ context.Context, j Job) (Job, error) {
		if j.ID%4 == 0 {
			return j, errRefused
		}
		return j, nil
	})
	undo := func(context.Context, Job) error { return nil }
	return []baton.Stage[Job]{baton.Compensable(a, undo), baton.Compensable(b, undo), c}
}

// spanLine is a span as the tests read it: a worker process writes one a line.
type spanLine struct {
	Name    string `json:"name"`
	Trace   string `json:"trace"`
	Span    string `json:"span"`
	Parent  string `json:"parent"`
	Message int64  `json:"message,omitzero"` // baton.message, on a message span
}

func lineOf(s sdktrace.ReadOnlySpan) spanLine {
	l := spanLine{Name: s.Name(), Trace: s.SpanContext().TraceID().String(),
		Span: s.SpanContext().SpanID().String(), Parent: s.Parent().SpanID().String()}
	for _, kv := range s.Attributes() {
		if kv.Key == batonotel.KeyMessage {
			l.Message = kv.Value.AsInt64()
		}
	}
	return l
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
		l := lineOf(s)
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

// runTraceWorker hosts every stage of traceStages, with an Observer, until SIGTERM; then it
// closes its pipeline, and its spans are in the file at path.
func runTraceWorker(path string) int {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(&lineExporter{w: bufio.NewWriter(f), f: f}))
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg := jetstream.Config{Name: os.Getenv(envName), HostAll: true}
	if os.Getenv(envTracePropagate) != "" {
		cfg.Inject, cfg.Extract = batonotel.Propagation[nats.Header](nil)
	}
	e, err := jetstream.New(connectOrDie(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	stop, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	p, err := baton.New(traceStages(tp), baton.WithEngine(e), baton.WithObserver(obs), baton.WithSentinels(errRefused))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	<-stop.Done()
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// expectedSpans is what the Observer makes of jobs in process: the names of the spans under
// each job's message span (its steps' and compensations' spans, and a's own span under a's
// step span), by job ID.
func expectedSpans(t *testing.T, n int) map[int][]string {
	t.Helper()
	exp := &lineExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	p, err := baton.New(traceStages(tp), baton.WithObserver(obs), baton.WithStrategy(baton.Choreographed))
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[int64]int{}
	for r := range p.Run(context.Background(), slices.Values(jobsUpTo(n))) {
		jobs[int64(r.ID)] = r.Value.ID
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	got, orphans := underMessages(exp.spans(), jobs)
	if len(orphans) != 0 || len(got) != n {
		t.Fatalf("in process: %d jobs with spans, orphans %v", len(got), orphans)
	}
	return got
}

func jobsUpTo(n int) []Job {
	var jobs []Job
	for i := 1; i <= n; i++ {
		jobs = append(jobs, Job{ID: i})
	}
	return jobs
}

// underMessages groups the spans under the message spans among them, by job (jobs maps message
// IDs to job IDs): a span is a message's when the message's span is its parent, or its parent's
// parent (a stage's own span, under its step's), in the same trace. orphans are the names of
// the spans that are no message's.
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
		if l.Name == batonotel.SpanMessage {
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

// readSpans reads the spans a worker process wrote.
func readSpans(t *testing.T, path string) []spanLine {
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

// The client's message spans are children of the caller's span; every span the worker process
// makes for a message — its steps' attempts, its compensations, a stage's own span — is in the
// caller's trace, under the message's span in the client (a stage's own span under its step's),
// the same spans as in process. Without the propagation hooks the check fails: the worker's
// spans are roots of traces of their own.
func TestTraceContinuesInAWorkerProcess(t *testing.T) {
	const n = 12
	want := expectedSpans(t, n)
	for _, propagate := range []bool{true, false} {
		t.Run(fmt.Sprintf("propagate=%v", propagate), func(t *testing.T) {
			name := uniqueName(t)
			path := filepath.Join(t.TempDir(), "spans")
			env := []string{envTraceWorker + "=" + path, envURL + "=" + srv.ClientURL(), envName + "=" + name}
			if propagate {
				env = append(env, envTracePropagate+"=1")
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), env...)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
				}
			}()
			if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
				t.Fatalf("worker: %q, %v", line, err)
			}

			exp := &lineExporter{}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
			if err != nil {
				t.Fatal(err)
			}
			cfg := jetstream.Config{Name: name}
			if propagate {
				cfg.Inject, cfg.Extract = batonotel.Propagation[nats.Header](nil)
			}
			client, err := baton.New(traceStages(tp), baton.WithEngine(newEngine(t, cfg)), baton.WithObserver(obs), baton.WithSentinels(errRefused))
			if err != nil {
				t.Fatal(err)
			}
			ctx, caller := tp.Tracer("test").Start(context.Background(), "request")
			jobs := map[int64]int{}
			for r := range client.Run(ctx, slices.Values(jobsUpTo(n))) {
				jobs[int64(r.ID)] = r.Value.ID
				if failed := r.Err != nil; failed != (r.Value.ID%4 == 0) {
					t.Errorf("job %d: %v", r.Value.ID, r.Err)
				}
			}
			caller.End()
			if err := client.Close(); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("worker: %v", err)
			}

			clientSpans := exp.spans()
			workerSpans := readSpans(t, path)
			for _, l := range clientSpans {
				if l.Name != batonotel.SpanMessage && l.Name != "request" {
					t.Errorf("the client made a span %q: it runs no step", l.Name)
				}
				if l.Name == batonotel.SpanMessage && (l.Trace != caller.SpanContext().TraceID().String() || l.Parent != caller.SpanContext().SpanID().String()) {
					t.Errorf("a message span is not a child of the caller's span")
				}
			}
			clientSpans = slices.DeleteFunc(clientSpans, func(l spanLine) bool { return l.Name == "request" })
			got, orphans := underMessages(slices.Concat(clientSpans, workerSpans), jobs)
			if !propagate {
				if len(orphans) == 0 || len(got) != 0 {
					t.Errorf("without propagation: %d orphans, %d messages with children; want every worker span an orphan", len(orphans), len(got))
				}
				return
			}
			if len(orphans) != 0 {
				t.Errorf("spans of the worker that are no message's: %v", orphans)
			}
			for id := 1; id <= n; id++ {
				if !slices.Equal(got[id], want[id]) {
					t.Errorf("job %d: spans under its message\n%v\nwant, as in process,\n%v", id, got[id], want[id])
				}
			}
		})
	}
}
