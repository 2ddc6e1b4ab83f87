package batontest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

// Observability: events, the slip's log on every result, step timing, the slog observer.

// eventRecorder is an Observer that keeps each message's events, by message number, as strings
// without times: "step ended b #1 err", "slip revised r [b c]".
type eventRecorder struct {
	mu  sync.Mutex
	per map[uint64][]string
}

func (r *eventRecorder) Observe(e baton.Event) {
	s := e.Kind.String()
	if e.Stage != "" {
		s += " " + e.Stage
	}
	if e.Attempt != 0 {
		s += fmt.Sprintf(" #%d", e.Attempt)
	}
	if e.Outcome != 0 {
		s += " " + e.Outcome.String()
	}
	if e.Remaining != nil {
		s += fmt.Sprint(" ", e.Remaining)
	}
	if e.Err != nil {
		s += " err"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.per == nil {
		r.per = map[uint64][]string{}
	}
	r.per[e.Message] = append(r.per[e.Message], s)
}

// events returns the events of message n (numbered from 1 in acceptance order).
func (r *eventRecorder) events(n uint64) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.per[n]
}

// eventStages: a compensates; r sends messages of even ID through b; b fails the first attempt
// of message ID 2; c fails message ID 3.
func eventStages(undone *undoLog) []baton.Stage[Msg] {
	var flaky atomic.Int32
	return []baton.Stage[Msg]{
		saga("a", undone, nil),
		baton.SlipFunc("r", func(_ context.Context, m Msg, s *baton.Slip) (Msg, error) {
			if m.ID%2 == 0 {
				return m.with("r"), s.InsertNext("b")
			}
			return m.with("r"), nil
		}),
		baton.Func("b", func(_ context.Context, m Msg) (Msg, error) {
			if m.ID == 2 && flaky.Add(1) == 1 {
				return m, errors.New("flaky")
			}
			return m.with("b"), nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})),
		baton.Func("c", func(_ context.Context, m Msg) (Msg, error) {
			if m.ID == 3 {
				return m, errors.New("c fails")
			}
			return m.with("c"), nil
		}),
	}
}

// An Observer sees each message's events in order: accepted, each attempt's start and end,
// revisions, retries, compensations, finished. They come from the step code every subject
// shares, so each must report exactly these.
func testEvents(t *testing.T, c *suite) {
	var undone undoLog
	rec := &eventRecorder{}
	p := c.newPipeline(t, eventStages(&undone), baton.WithObserver(rec),
		baton.WithRouter(func(m Msg) []string {
			if m.ID == 1 {
				return []string{"a", "c"}
			}
			return []string{"a", "r", "c"}
		}))
	collect(t, p, t.Context(), []Msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}})
	mustNoError(t, p.Close())
	// Message numbers follow acceptance order: Run submits in order, so message n is ID n-1.
	equal(t, []string{
		"message accepted", "step started a #1", "step ended a #1 succeeded",
		"step started r #1", "step ended r #1 succeeded", "slip revised r [b c]",
		"step started b #1", "step ended b #1 succeeded",
		"step started c #1", "step ended c #1 succeeded", "message finished",
	}, rec.events(1), "revised")
	equal(t, []string{
		"message accepted", "step started a #1", "step ended a #1 succeeded",
		"step started c #1", "step ended c #1 succeeded", "message finished",
	}, rec.events(2), "plain")
	equal(t, []string{
		"message accepted", "step started a #1", "step ended a #1 succeeded",
		"step started r #1", "step ended r #1 succeeded", "slip revised r [b c]",
		"step started b #1", "step ended b #1 err", "retry scheduled b #1 err",
		"step started b #2", "step ended b #2 succeeded",
		"step started c #1", "step ended c #1 succeeded", "message finished",
	}, rec.events(3), "revised and retried")
	equal(t, []string{
		"message accepted", "step started a #1", "step ended a #1 succeeded",
		"step started r #1", "step ended r #1 succeeded",
		"step started c #1", "step ended c #1 failed err",
		"compensation started a", "compensation ended a #1 compensated", "message finished err",
	}, rec.events(4), "failed and compensated")
}

// An Observer that panics is contained: the message goes on, and Stats counts the panics.
func testObserverPanic(t *testing.T, c *suite) {
	obs := baton.ObserverFunc(func(e baton.Event) {
		if e.Kind == baton.StepStarted {
			panic("observer bug")
		}
	})
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithObserver(obs))
	out, err := p.Process(t.Context(), Msg{})
	mustNoError(t, err)
	equal(t, []string{"a", "b"}, out.Trace)
	equal(t, int64(2), p.Stats().ObserverPanics)
}

// A retry wait cut short by the message's context adds no StepEnded: one per attempt. (On a
// virtual clock: the retry's hour-long wait is cut short.)
func testOneStepEndedPerAttempt(t *testing.T, c *suite) {
	rec := &eventRecorder{}
	p := c.newPipeline(t, []baton.Stage[Msg]{failing("f", errors.New("transient"), baton.Retry(baton.FixedBackoff(3, time.Hour)))},
		baton.WithObserver(rec))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := p.Process(ctx, Msg{})
	mustErrorIs(t, err, context.Canceled)
	equal(t, []string{"message accepted", "step started f #1", "step ended f #1 err",
		"retry scheduled f #1 err", "message finished err"}, rec.events(1))
}

// WithTiming puts each step's start in the log, in order.
func testTiming(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithTiming())
	for _, r := range collect(t, p, t.Context(), make([]Msg, 50)) {
		mustEqual(t, 2, len(r.Log))
		isTrue(t, !r.Log[0].Start.IsZero(), "message %d: the log has the steps' start", r.Seq)
		isTrue(t, !r.Log[1].Start.Before(r.Log[0].Start), "message %d: steps start in order", r.Seq)
	}
}

// WithTiming fills Stats with the time run, each stage's latency quantiles and throughput.
func testTimingFillsStats(t *testing.T, c *suite) {
	p := c.newPipeline(t, []baton.Stage[Msg]{tracer("a"), tracer("b")}, baton.WithTiming())
	collect(t, p, t.Context(), make([]Msg, 50))
	st := p.Stats()
	isTrue(t, st.Elapsed > 0, "Elapsed %v", st.Elapsed)
	for _, sg := range st.Stages {
		isTrue(t, sg.Latency.P50 > 0, "stage %s: P50 %v", sg.Name, sg.Latency.P50)
		isTrue(t, sg.Latency.P50 <= sg.Latency.P99, "stage %s: P50 %v > P99 %v", sg.Name, sg.Latency.P50, sg.Latency.P99)
		isTrue(t, sg.Throughput > 0, "stage %s: Throughput %v", sg.Name, sg.Throughput)
	}
}

// Without timing the log has no times, and Stats no latency.
func testNoTiming(t *testing.T, c *suite) {
	// The suite's own options (WithPipelineOptions) are left out here: they may turn timing on
	// (WithObserver does), which is what this test rules out.
	p, err := c.subject.New(t, []baton.Stage[Msg]{tracer("a")})
	mustNoError(t, err)
	t.Cleanup(func() { noError(t, p.Close()) })
	rs := collect(t, p, t.Context(), make([]Msg, 1))
	mustEqual(t, 1, len(rs[0].Log))
	isTrue(t, rs[0].Log[0].Start.IsZero(), "no times in the log without timing")
	equal(t, baton.Latency{}, p.Stats().Stages[0].Latency)
}

// Every result carries its message's log: plain, failed, retried (with its attempts) or
// revised.
func testEveryResultCarriesItsLog(t *testing.T, c *suite) {
	var tries atomic.Int32
	p := c.newPipeline(t, []baton.Stage[Msg]{
		reviser("a", func(m Msg, slip *baton.Slip) error {
			if m.ID == 3 && slip.Hops() == 1 {
				return slip.InsertNext("a")
			}
			return nil
		}),
		baton.Func("b", func(_ context.Context, m Msg) (Msg, error) {
			if m.ID == 1 {
				return m, errors.New("no")
			}
			if m.ID == 2 && tries.Add(1) == 1 {
				return m, errors.New("once")
			}
			return m, nil
		}, baton.Retry(baton.RetryPolicy{MaxAttempts: 2})),
	}, baton.WithMaxInFlight(1))
	rs := collect(t, p, t.Context(), []Msg{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}})
	equal(t, []string{"a:succeeded", "b:succeeded"}, logOf(rs[0].Log), "plain")
	mustEqual(t, []string{"a:succeeded", "b:failed"}, logOf(rs[1].Log), "failed")
	equal(t, 2, rs[1].Log[1].Attempts)
	mustEqual(t, []string{"a:succeeded", "b:succeeded"}, logOf(rs[2].Log), "retried")
	equal(t, 2, rs[2].Log[1].Attempts, "a retried step's log says so")
	mustEqual(t, []string{"a:succeeded", "b:succeeded"}, logOf(rs[4].Log), "plain, after the others")
	equal(t, 1, rs[4].Log[1].Attempts)
	equal(t, []string{"a:succeeded", "a:succeeded", "b:succeeded"}, logOf(rs[3].Log), "revised")
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// SlogObserver logs at info level what matters: a failed step as a warning naming the stage,
// compensations, a failed message as an error, once, with the subject's strategy; not the
// debug events.
func testSlogObserver(t *testing.T, c *suite) {
	var buf lockedBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var undone undoLog
	p := c.newPipeline(t, eventStages(&undone), baton.WithObserver(baton.SlogObserver(logger)))
	_, err := p.Process(t.Context(), Msg{ID: 3})
	mustTrue(t, err != nil, "message 3 fails at c")
	out := buf.String()
	for _, want := range []string{
		`level=WARN msg="baton: step ended"`,
		`stage=c`,
		`level=INFO msg="baton: compensation ended"`,
		`level=ERROR msg="baton: message finished"`,
		"strategy=" + c.subject.Strategy.String(),
	} {
		isTrue(t, strings.Contains(out, want), "the log has %q:\n%s", want, out)
	}
	isTrue(t, !strings.Contains(out, "step started"), "debug events are not logged at info level:\n%s", out)
	equal(t, 1, strings.Count(out, "message finished"))
}
