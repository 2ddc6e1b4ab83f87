// Command progress runs a long, multi-stage pipeline under each strategy in turn, with a live
// progress display read from Stats every 100ms: messages done of total, rate, messages in
// flight, and per stage what is running and (under choreography) waiting in its inbox. It ends
// with a per-stage table of counts and latency quantiles for both strategies side by side.
//
//	go run ./examples/progress [-n 3000] [-d 1ms] [-plain]
//
// On a terminal the display redraws in place; when stdout is not a terminal (a pipe, a file, CI)
// or with -plain it prints one line per second instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton"
)

func main() {
	n := flag.Int("n", 3000, "messages to run under each strategy")
	d := flag.Duration("d", time.Millisecond, "typical duration of one step")
	plain := flag.Bool("plain", false, "print a line per second instead of redrawing (the default when stdout is not a terminal)")
	flag.Parse()
	if *n < 1 || *d <= 0 {
		fmt.Fprintln(os.Stderr, "progress: -n must be at least 1 and -d positive")
		os.Exit(2)
	}
	tty := !*plain && isTerminal(os.Stdout)
	if err := run(os.Stdout, *n, *d, tty); err != nil {
		fmt.Fprintln(os.Stderr, "progress:", err)
		os.Exit(1)
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Job is the message: each stage adds to it.
type Job struct {
	ID      int
	Payload uint64
	Score   int
	Stored  bool
}

// outcome is one strategy's run.
type outcome struct {
	strategy baton.Strategy
	stats    baton.Stats
	elapsed  time.Duration
	total    int
	failed   int
}

// run runs n jobs under each strategy, showing progress on w, and prints the comparison.
func run(w io.Writer, n int, d time.Duration, tty bool) error {
	var outs []outcome
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		o, err := runOne(w, s, n, d, tty)
		if err != nil {
			return err
		}
		outs = append(outs, o)
	}
	printTable(w, outs)
	return nil
}

func runOne(w io.Writer, s baton.Strategy, n int, d time.Duration, tty bool) (outcome, error) {
	stages := jobStages(d)
	busy := newBusy(stages)
	p, err := baton.New(stages, baton.WithStrategy(s), baton.WithTiming(),
		baton.WithMaxInFlight(maxInFlight), baton.WithObserver(busy))
	if err != nil {
		return outcome{}, err
	}
	var done, failed atomic.Int64
	disp := &display{w: w, tty: tty, strategy: s, total: n, done: &done, busy: busy, stats: p.Stats}
	stop := disp.start()

	start := time.Now()
	for r := range p.Run(context.Background(), func(yield func(Job) bool) {
		for i := range n {
			if !yield(Job{ID: i}) {
				return
			}
		}
	}) {
		if r.Err != nil {
			failed.Add(1)
		}
		done.Add(1)
	}
	elapsed := time.Since(start)
	err = p.Close()
	stop()
	return outcome{strategy: s, stats: p.Stats(), elapsed: elapsed, total: n, failed: int(failed.Load())}, err
}

// stageSpec describes one stage of the example: how it works and how many workers it has.
type stageSpec struct {
	name    string
	workers int
}

var stageSpecs = []stageSpec{
	{"decode", 2},  // CPU: a fraction of a step
	{"enrich", 24}, // a remote lookup: about d, with a long tail
	{"score", 2},   // CPU
	{"store", 12},  // a write: about d; 3% transient failures are retried, a few fail for good
	{"notify", 4},  // a quick call
}

const maxInFlight = 128

var errTransient = errors.New("store: connection reset")

func jobStages(d time.Duration) []baton.Stage[Job] {
	return []baton.Stage[Job]{
		baton.Func("decode", func(_ context.Context, j Job) (Job, error) {
			j.Payload = spin(d/10, uint64(j.ID))
			return j, nil
		}, baton.Workers(stageSpecs[0].workers)),
		baton.Func("enrich", func(ctx context.Context, j Job) (Job, error) {
			return j, wait(ctx, longTail(d))
		}, baton.Workers(stageSpecs[1].workers)),
		baton.Func("score", func(_ context.Context, j Job) (Job, error) {
			j.Score = int(spin(d/5, j.Payload) % 100)
			return j, nil
		}, baton.Workers(stageSpecs[2].workers)),
		baton.Func("store", func(ctx context.Context, j Job) (Job, error) {
			if err := wait(ctx, jitter(d)); err != nil {
				return j, err
			}
			if j.ID%997 == 996 {
				return j, baton.Permanent(fmt.Errorf("store: job %d rejected", j.ID))
			}
			if rand.Float64() < 0.03 {
				return j, errTransient
			}
			j.Stored = true
			return j, nil
		}, baton.Workers(stageSpecs[3].workers),
			baton.Retry(baton.RetryPolicy{MaxAttempts: 4, InitialBackoff: d, Multiplier: 2, Jitter: 0.2})),
		baton.Func("notify", func(ctx context.Context, j Job) (Job, error) {
			return j, wait(ctx, jitter(d/4))
		}, baton.Workers(stageSpecs[4].workers)),
	}
}

// spin burns CPU for about dur and returns a hash, standing in for real computation.
func spin(dur time.Duration, seed uint64) uint64 {
	h := seed | 1
	for end := time.Now().Add(dur); time.Now().Before(end); {
		for range 64 {
			h ^= h << 13
			h ^= h >> 7
			h ^= h << 17
		}
	}
	return h
}

// wait sleeps for dur, honouring ctx.
func wait(ctx context.Context, dur time.Duration) error {
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jitter is d ± 30%.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.7 + 0.6*rand.Float64()))
}

// longTail is usually around d/2..d, sometimes a few times d, and 1% of the time 10×d.
func longTail(d time.Duration) time.Duration {
	switch x := rand.Float64(); {
	case x < 0.01:
		return 10 * d
	case x < 0.1:
		return time.Duration(float64(d) * (2 + 2*rand.Float64()))
	default:
		return time.Duration(float64(d) * (0.5 + 0.5*rand.Float64()))
	}
}

// busy is an Observer that counts the attempts running at each stage, from StepStarted and
// StepEnded: it shows how events can drive a display. (Stats().Stages[i].Running counts steps
// in progress too, with a step's backoff waits included; this counts attempts.)
type busy struct {
	running map[string]*atomic.Int64 // built at New, read-only after
}

func newBusy(stages []baton.Stage[Job]) *busy {
	b := &busy{running: map[string]*atomic.Int64{}}
	for _, s := range stages {
		b.running[s.Name()] = new(atomic.Int64)
	}
	return b
}

func (b *busy) Observe(e baton.Event) {
	switch e.Kind {
	case baton.StepStarted:
		b.running[e.Stage].Add(1)
	case baton.StepEnded:
		b.running[e.Stage].Add(-1)
	}
}

// display draws the progress of one run from Stats: every 100ms in place on a terminal, or a
// line per second otherwise.
type display struct {
	w        io.Writer
	tty      bool
	strategy baton.Strategy
	total    int
	done     *atomic.Int64
	busy     *busy
	stats    func() baton.Stats
	lines    int // lines drawn by the last frame, to redraw over them
	began    time.Time
}

// start starts drawing and returns a function that draws the last frame and stops.
func (d *display) start() (stop func()) {
	d.began = time.Now()
	every := 100 * time.Millisecond
	if !d.tty {
		every = time.Second
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				d.draw()
			case <-quit:
				return
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
		d.draw()
		if d.tty {
			fmt.Fprintln(d.w)
		}
	}
}

func (d *display) draw() {
	st := d.stats()
	done := int(d.done.Load())
	el := time.Since(d.began)
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el.Seconds()
	}
	var running int64
	for _, r := range d.busy.running {
		running += r.Load()
	}
	// In flight and not running: waiting in an inbox (choreography), for a stage's worker or a
	// driver (orchestration), or in a retry's backoff.
	head := fmt.Sprintf("%-13s %6d/%d %3d%% %s %6.0f msg/s  in flight %3d: running %3d, waiting %3d",
		d.strategy, done, d.total, 100*done/d.total, bar(done, d.total, 20), rate, st.InFlight,
		running, max(0, int64(st.InFlight)-running))
	if !d.tty {
		var parts []string
		for _, sg := range st.Stages {
			parts = append(parts, fmt.Sprintf("%s %d/%d", sg.Name, d.busy.running[sg.Name].Load(), sg.Inbox))
		}
		fmt.Fprintf(d.w, "%s  running/inbox: %s\n", head, strings.Join(parts, ", "))
		return
	}
	var b strings.Builder
	if d.lines > 0 {
		fmt.Fprintf(&b, "\033[%dA", d.lines) // back to the first line of the last frame
	}
	line := func(s string) { b.WriteString("\r\033[K" + s + "\n") }
	line(head)
	for _, sg := range st.Stages {
		run := d.busy.running[sg.Name].Load()
		inbox := "inbox   -" // orchestration has no inboxes
		if d.strategy == baton.Choreographed {
			inbox = fmt.Sprintf("inbox %3d %s", sg.Inbox, bar(sg.Inbox, maxInFlight, 8))
		}
		line(fmt.Sprintf("  %-8s running %3d %s  %-24s  done %6d  p50 %8v", sg.Name,
			run, bar(int(run), stageWorkers(sg.Name), 8), inbox,
			sg.Processed, sg.Latency.P50.Round(time.Microsecond)))
	}
	d.lines = 1 + len(st.Stages)
	io.WriteString(d.w, b.String())
}

func stageWorkers(name string) int {
	for _, s := range stageSpecs {
		if s.name == name {
			return s.workers
		}
	}
	return 1
}

// bar draws n of max as a bar of width cells.
func bar(n, max, width int) string {
	fill := 0
	if max > 0 {
		fill = min(width, (n*width+max-1)/max)
	}
	return "[" + strings.Repeat("#", fill) + strings.Repeat(".", width-fill) + "]"
}

// printTable prints each strategy's totals and a per-stage table, strategies side by side.
func printTable(w io.Writer, outs []outcome) {
	fmt.Fprintln(w)
	for _, o := range outs {
		fmt.Fprintf(w, "%-13s %d messages in %v: %.0f msg/s, %d failed\n", o.strategy, o.total,
			o.elapsed.Round(time.Millisecond), float64(o.total)/o.elapsed.Seconds(), o.failed)
	}
	fmt.Fprintln(w)
	cols := "%7s %5s %5s %8s %8s %8s"
	head := fmt.Sprintf(cols, "done", "fail", "retry", "p50", "p90", "p99")
	var b strings.Builder
	endLine := func() { fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); b.Reset() }
	fmt.Fprintf(&b, "%-8s", "")
	for _, o := range outs {
		fmt.Fprintf(&b, " | %-*s", len(head), o.strategy)
	}
	endLine()
	fmt.Fprintf(&b, "%-8s", "stage")
	for range outs {
		fmt.Fprintf(&b, " | %s", head)
	}
	endLine()
	q := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	for i, sg := range outs[0].stats.Stages {
		fmt.Fprintf(&b, "%-8s", sg.Name)
		for _, o := range outs {
			s := o.stats.Stages[i]
			fmt.Fprintf(&b, " | "+cols, fmt.Sprint(s.Processed), fmt.Sprint(s.Failed), fmt.Sprint(s.Retried),
				q(s.Latency.P50), q(s.Latency.P90), q(s.Latency.P99))
		}
		endLine()
	}
}
