package batontest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Correlation: one identifier per message, and the user's own key, in its Result, its events
// and its log records; ProcessResult; the slog observer's use of the event's context.

// Every accepted message has an ID, unique within its pipeline and numbered from 1 in the order
// of acceptance, and the key WithKey computes; both are in its Result and in each of its events.
func testMessagesCarryIDAndKey(t *testing.T, c *suite) {
	var mu sync.Mutex
	events := map[uint64][]baton.Event{}
	obs := baton.ObserverFunc(func(e baton.Event) {
		mu.Lock()
		events[e.Message] = append(events[e.Message], e)
		mu.Unlock()
	})
	key := baton.WithKey(func(m Msg) string { return fmt.Sprintf("doc-%d", m.ID) })
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, key, baton.WithObserver(obs))
	r := p.ProcessResult(t.Context(), Msg{ID: 7})
	mustNoError(t, r.Err)
	equal(t, uint64(1), r.ID, "the first message accepted")
	equal(t, "doc-7", r.Key)
	equal(t, []string{"a:succeeded", "b:succeeded"}, logOf(r.Log), "ProcessResult carries the log")
	equal(t, []string{"a", "b"}, r.Value.Trace)

	in := make([]Msg, 20)
	for i := range in {
		in[i].ID = 100 + i
	}
	ids := map[uint64]bool{r.ID: true}
	for _, r := range collect(t, p, t.Context(), in) {
		mustNoError(t, r.Err)
		isTrue(t, !ids[r.ID] && r.ID >= 2 && r.ID <= 21, "IDs are unique and numbered from 1: %d", r.ID)
		ids[r.ID] = true
		equal(t, fmt.Sprintf("doc-%d", r.Value.ID), r.Key)
		mu.Lock()
		evs := events[r.ID]
		mu.Unlock()
		mustTrue(t, len(evs) > 0, "message %d has events", r.ID)
		for _, e := range evs {
			equal(t, r.Key, e.Key, "event %v of message %d carries its key", e.Kind, r.ID)
		}
	}
}

// A key function that panics fails its message with ErrPanic; the pipeline goes on.
func testKeyPanicFailsTheMessage(t *testing.T, c *suite) {
	key := baton.WithKey(func(m Msg) string {
		if m.ID == 1 {
			panic("key bug")
		}
		return "k"
	})
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, key)
	_, err := p.Process(t.Context(), Msg{ID: 1})
	mustErrorIs(t, err, baton.ErrPanic)
	errorContains(t, err, "key")
	r := p.ProcessResult(t.Context(), Msg{ID: 2})
	mustNoError(t, r.Err)
	equal(t, "k", r.Key)
}

// ProcessResult refused before acceptance reports the refusal, with ID 0 and no log.
func testProcessResultRefused(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")})
	mustNoError(t, p.Close())
	r := p.ProcessResult(t.Context(), Msg{ID: 3})
	mustErrorIs(t, r.Err, baton.ErrClosed)
	equal(t, uint64(0), r.ID)
	equal(t, 3, r.Value.ID)
	empty(t, r.Log)
}

type requestIDKey struct{}

// contextHandler is a slog handler that reads a request ID from the record's context, as a
// trace-aware handler does.
type contextHandler struct {
	mu   *sync.Mutex
	recs *[]string
}

func (h contextHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	line := []string{r.Message}
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		line = append(line, "request="+id)
	}
	r.Attrs(func(a slog.Attr) bool {
		line = append(line, a.Key+"="+a.Value.String())
		return true
	})
	h.mu.Lock()
	*h.recs = append(*h.recs, strings.Join(line, " "))
	h.mu.Unlock()
	return nil
}
func (h contextHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h contextHandler) WithGroup(string) slog.Handler      { return h }

// The slog observer logs with the message's context, so a context-aware handler reads its
// values, and names the pipeline, so two pipelines' records can be told apart.
func testSlogObserverUsesTheMessagesContext(t *testing.T, c *suite) {
	var mu sync.Mutex
	var recs []string
	logger := slog.New(contextHandler{mu: &mu, recs: &recs})
	key := baton.WithKey(func(m Msg) string { return fmt.Sprint("order-", m.ID) })
	p1 := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithName("ingest"), key, baton.WithObserver(baton.SlogObserver(logger)))
	p2 := c.newPipeline(t, []baton.Stage[Msg]{tracer("a")}, baton.WithName("publish"), baton.WithObserver(baton.SlogObserver(logger)))
	ctx := context.WithValue(t.Context(), requestIDKey{}, "req-42")
	_, err := p1.Process(ctx, Msg{ID: 5})
	mustNoError(t, err)
	for r := range p2.Run(ctx, slices.Values([]Msg{{ID: 6}})) {
		mustNoError(t, r.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	var ingest, publish int
	for _, r := range recs {
		isTrue(t, strings.Contains(r, "request=req-42"), "the handler read the message's context: %s", r)
		switch {
		case strings.Contains(r, "pipeline=ingest"):
			ingest++
			isTrue(t, strings.Contains(r, "key=order-5"), "the record has the message's key: %s", r)
		case strings.Contains(r, "pipeline=publish"):
			publish++
		default:
			t.Errorf("a record names no pipeline: %s", r)
		}
	}
	isTrue(t, ingest > 0 && publish > 0, "records of both pipelines: %d, %d", ingest, publish)
}

// waitingStage sends the request ID of each step's context to started, then waits for the
// context to end.
func waitingStage(started chan<- string) baton.Stage[Msg] {
	return baton.Func("wait", func(ctx context.Context, m Msg) (Msg, error) {
		id, _ := ctx.Value(requestIDKey{}).(string)
		started <- id
		<-ctx.Done()
		return m, ctx.Err()
	}, baton.Workers(4))
}

// With MessageContexts, a streamed message runs under its Submit's context: its stages see that
// context's values, and cancelling it stops that message alone; the stream's context still stops
// them all.
func testStreamMessageContexts(t *testing.T, c *suite) {
	started := make(chan string, 4)
	p := c.newPipeline(t, []baton.Stage[Msg]{waitingStage(started)})

	sctx, scancel := context.WithCancel(t.Context())
	defer scancel()
	st := p.Stream(sctx, baton.MessageContexts())
	ctx1, cancel1 := context.WithCancel(context.WithValue(t.Context(), requestIDKey{}, "req-1"))
	ctx2 := context.WithValue(t.Context(), requestIDKey{}, "req-2")
	mustNoError(t, st.Submit(ctx1, Msg{ID: 1}))
	mustNoError(t, st.Submit(ctx2, Msg{ID: 2}))
	got := map[string]bool{<-started: true, <-started: true}
	equal(t, map[string]bool{"req-1": true, "req-2": true}, got, "each message's stage sees its Submit's values")
	cancel1()
	st.CloseSend()
	var first *baton.Result[Msg]
	for r := range st.Results() {
		if first == nil {
			first = &r
			equal(t, 1, r.Value.ID, "the message whose context was cancelled stops first, alone")
			errorIs(t, r.Err, context.Canceled)
			scancel() // and the stream's context stops the other
			continue
		}
		equal(t, 2, r.Value.ID)
		errorIs(t, r.Err, context.Canceled)
	}
	mustTrue(t, first != nil, "results")
}

// Without MessageContexts, Submit's context bounds only the wait: a streamed message runs under
// the stream's context, and cancelling Submit's after Submit changes nothing.
func testSubmitContextBoundsOnlyTheWait(t *testing.T, c *suite) {
	started := make(chan string, 4)
	p := c.newPipeline(t, []baton.Stage[Msg]{waitingStage(started)})
	st := p.Stream(t.Context())
	ctx3, cancel3 := context.WithCancel(context.WithValue(t.Context(), requestIDKey{}, "req-3"))
	mustNoError(t, st.Submit(ctx3, Msg{ID: 3}))
	equal(t, "", <-started, "the stage sees the stream's context")
	cancel3()
	st.CloseSend()
	done := make(chan struct{})
	go func() {
		for r := range st.Results() {
			errorIs(t, r.Err, baton.ErrAborted, "stopped only by Shutdown")
		}
		close(done)
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	mustErrorIs(t, p.Shutdown(ctx), baton.ErrAborted, "the message was still running: Submit's context did not stop it")
	<-done
}

// A result's log has a capacity equal to its length, so that an append to it copies and
// changes no other result's log (results of plain messages may share one read-only log), with
// or without WithPrivateLogs.
func testAppendToALogCopiesIt(t *testing.T, c *suite) {
	for _, private := range []bool{false, true} {
		var opts []baton.Option
		if private {
			opts = append(opts, baton.WithPrivateLogs())
		}
		p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, opts...)
		rs := collect(t, p, t.Context(), make([]Msg, 2))
		r0 := p.ProcessResult(t.Context(), Msg{})
		equal(t, len(r0.Log), cap(r0.Log), "private %v: an append to a log copies it", private)
		_ = append(rs[0].Log, baton.StepRecord{Stage: "x"})
		equal(t, []string{"a:succeeded", "b:succeeded"}, logOf(rs[1].Log), "private %v: an append changes no other log", private)
	}
}

// WithPrivateLogs gives each result a log of its own: a write into one changes no other.
func testPrivateLogs(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithPrivateLogs())
	rs := collect(t, p, t.Context(), make([]Msg, 2))
	r0 := p.ProcessResult(t.Context(), Msg{})
	rs[0].Log[0].Stage = "changed"
	equal(t, "a", rs[1].Log[0].Stage, "a write changes no other log")
	equal(t, "a", r0.Log[0].Stage)
}

// Error texts name Baton once, however many layers wrap the cause.
func testErrorTextsSayBatonOnce(t *testing.T, c *suite) {
	route := baton.WithRouter(func(m Msg) []string { return m.Route })
	slow := sleeper("slow", 30*time.Millisecond, baton.AttemptTimeout(10*time.Millisecond))
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), slow, sleeper("wait", time.Second)}, route, baton.WithMessageTimeout(50*time.Millisecond))
	_, err1 := p.Process(t.Context(), Msg{Route: []string{"nope"}})
	mustErrorIs(t, err1, baton.ErrUnknownStage)
	_, err2 := p.Process(t.Context(), Msg{Route: []string{"slow"}})
	mustErrorIs(t, err2, baton.ErrTimeout)
	_, err3 := p.Process(t.Context(), Msg{Route: []string{"a", "wait", "a"}})
	mustErrorIs(t, err3, baton.ErrTimeout)
	for _, err := range []error{err1, err2, err3} {
		equal(t, 1, strings.Count(err.Error(), "baton:"), "%q names Baton once", err)
	}
}
