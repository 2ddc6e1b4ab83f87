package batontest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// Comparison describes one equivalence check: the same stages, options and inputs, run once under
// each strategy. Only Stages is required.
//
// Two runs are equivalent when, for every input (matched by its Seq, whatever the completion
// order):
//
//   - each strategy delivered exactly one result;
//   - the values are equal (Equal);
//   - the errors match (see below);
//   - the slip logs have the same records in the same order: stage, outcome, attempts, and
//     matching errors — compensation records included, and the *CompensationError's Steps too.
//     Start and Duration are ignored;
//
// and, unless IgnoreStats, every stage's counters (processed, failed, retried, compensated,
// compensation failed) are equal once both pipelines are closed.
//
// Two errors match when both are nil, or when both are non-nil and
//
//   - errors.Is agrees on every sentinel: Baton's (ErrUnknownStage, ErrHopLimit, ErrPanic,
//     ErrTimeout, ErrCompensationFailed, ErrAborted, ErrClosed, ErrStreamClosed), context.Canceled,
//     context.DeadlineExceeded, and the Comparison's own Sentinels;
//   - errors.As finds a *baton.StepError in both or in neither, naming the same stage and attempts;
//   - their texts are equal, unless IgnoreErrorText.
//
// Texts are compared by default because Baton's own error texts are deterministic: they name
// stages, attempts and causes, never times or addresses. Set IgnoreErrorText when your stages'
// errors carry such things, and list your sentinels in Sentinels so that they are still told
// apart.
type Comparison[T any] struct {
	// Stages returns the stages of one run. It is called once per strategy, so that stages that
	// keep state start fresh for each. It must return equivalent stages each time.
	Stages func() []baton.Stage[T]
	// Options are given to baton.New for both runs, after WithStrategy.
	Options []baton.Option
	// Inputs are submitted in order through Pipeline.Run; Inputs[i] gets Seq i.
	Inputs []T
	// StreamOptions are given to Pipeline.Run. Note that FailFast makes which messages are
	// cancelled depend on timing, so that strategies are rarely equivalent under it.
	StreamOptions []baton.StreamOption
	// Context bounds both runs (default context.Background()).
	Context context.Context

	// Equal reports whether two result values are the same (default reflect.DeepEqual).
	Equal func(a, b T) bool
	// Format renders a value in the diff (default fmt's %+v).
	Format func(T) string
	// Sentinels are errors of your own that errors.Is must agree on, besides Baton's.
	Sentinels []error
	// IgnoreErrorText compares errors by sentinels and *StepError only, not by text.
	IgnoreErrorText bool
	// IgnoreStats skips the comparison of the stages' counters.
	IgnoreStats bool

	// Timeout is how long one run may take before it is reported as a hang, with the stacks of
	// all goroutines (default one minute; negative: no limit).
	//
	// Inside a testing/synctest bubble the limit is virtual time, and what a hang does depends
	// on what it waits for. When every goroutine of the run is blocked on channels (or other
	// things) made inside the bubble, the clock jumps to the limit and the hang is reported at
	// once — but the goroutines stay blocked, so unless something releases them synctest.Test
	// then panics, which ends the test binary. When one waits on something made outside the bubble, the clock does not move and
	// the run hangs silently, until go test's -timeout. A long virtual run (hour-long backoffs)
	// may also pass the limit without hanging. So inside a bubble a negative Timeout is usually
	// best: a deadlock is left to synctest, whose panic lists the bubble's goroutines alone
	// (Property does so).
	Timeout time.Duration
	// Wrap, when set, is applied to every stage of the run under strategy s: a place for
	// middleware, such as instrumentation, that must not change behaviour. (The kit's own
	// tests plant differences with it.) A wrapper that embeds the stage and has an Unwrap
	// method (baton.Wrapper) keeps the wrapped stage's options and its Compensator.
	Wrap func(s baton.Strategy, st baton.Stage[T]) baton.Stage[T]
	// MaxDiffs caps the messages described in a failure (default 10).
	MaxDiffs int
}

// runReport is what one run of a Comparison produced.
type runReport[T any] struct {
	name string // of the strategy, or the subject, that ran
	// results holds the result of input i at index i.
	results []baton.Result[T]
	// problems lists broken promises of the contract: missing or duplicate results, messages
	// left in flight after Close.
	problems []string
	// stats is the pipeline's snapshot after Close.
	stats baton.Stats
}

// builder builds the pipeline of one run, as baton.New does.
type builder[T any] func(stages []baton.Stage[T], opts ...baton.Option) (*baton.Pipeline[T], error)

// strategyBuilder builds pipelines under strategy s.
func strategyBuilder[T any](s baton.Strategy) builder[T] {
	return func(stages []baton.Stage[T], opts ...baton.Option) (*baton.Pipeline[T], error) {
		return baton.New(stages, slices.Concat([]baton.Option{baton.WithStrategy(s)}, opts)...)
	}
}

// Equivalent runs c under baton.Orchestrated and baton.Choreographed and reports, through
// t.Errorf, every difference between the two (see Comparison), or a hang with the stacks of all
// goroutines. It returns whether the runs were equivalent. It may be called inside a
// testing/synctest bubble (see Comparison.Timeout for what a hang does there).
func Equivalent[T any](t TB, c Comparison[T]) bool {
	t.Helper()
	if c.Stages == nil {
		t.Fatalf("batontest.Equivalent: Comparison.Stages is nil")
		return false
	}
	var reps [2]runReport[T]
	for i, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		var wrap func(baton.Stage[T]) baton.Stage[T]
		if c.Wrap != nil {
			wrap = func(st baton.Stage[T]) baton.Stage[T] { return c.Wrap(s, st) }
		}
		r, err := c.run(s.String(), strategyBuilder[T](s), wrap)
		if err != nil {
			t.Errorf("batontest.Equivalent: %v", err)
			return false
		}
		reps[i] = r
	}
	if diffs := c.diff(reps[0], reps[1]); len(diffs) > 0 {
		t.Errorf("batontest.Equivalent: %s", strings.Join(diffs, "\n"))
		return false
	}
	return true
}

// run runs c once, named name: it builds a pipeline with build from c.Stages() (each wrapped
// by wrap, when set) and c.Options, streams c.Inputs through it, closes it and returns what it
// produced. It fails when build fails or when the run takes longer than c.Timeout (the error
// then carries every goroutine's stack).
func (c Comparison[T]) run(name string, build builder[T], wrap func(baton.Stage[T]) baton.Stage[T]) (runReport[T], error) {
	rep := runReport[T]{name: name, results: make([]baton.Result[T], len(c.Inputs))}
	stages := c.Stages()
	if wrap != nil {
		stages = slices.Clone(stages)
		for i := range stages {
			stages[i] = wrap(stages[i])
		}
	}
	p, err := build(stages, c.Options...)
	if err != nil {
		return rep, fmt.Errorf("%s: baton.New: %w", name, err)
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		seen := make([]int, len(c.Inputs))
		for r := range p.Run(ctx, slices.Values(c.Inputs), c.StreamOptions...) {
			if r.Seq >= uint64(len(c.Inputs)) {
				rep.problems = append(rep.problems, fmt.Sprintf("a result with Seq %d, beyond the %d inputs", r.Seq, len(c.Inputs)))
				continue
			}
			if seen[r.Seq]++; seen[r.Seq] == 1 {
				rep.results[r.Seq] = r
			}
		}
		_ = p.Close()
		for i, n := range seen {
			switch {
			case n == 0:
				rep.problems = append(rep.problems, fmt.Sprintf("no result for message %d", i))
			case n > 1:
				rep.problems = append(rep.problems, fmt.Sprintf("%d results for message %d", n, i))
			}
		}
		rep.stats = p.Stats()
		if rep.stats.InFlight != 0 {
			rep.problems = append(rep.problems, fmt.Sprintf("%d message(s) in flight after Close", rep.stats.InFlight))
		}
	}()
	timeout := c.Timeout
	switch {
	case timeout < 0:
		<-done
		return rep, nil
	case timeout == 0:
		timeout = time.Minute
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return rep, nil
	case <-timer.C:
		// rep is still the stuck run's to write: return none of it.
		return runReport[T]{name: name}, fmt.Errorf("%s: the run of %d message(s) did not end within %v (a hang); goroutines:\n\n%s",
			name, len(c.Inputs), timeout, dumpStacks())
	}
}

// diff describes every difference between two reports of c, one paragraph each, or returns nil
// when they are equivalent.
func (c Comparison[T]) diff(a, b runReport[T]) []string {
	var out []string
	for _, r := range []runReport[T]{a, b} {
		for _, p := range r.problems {
			out = append(out, fmt.Sprintf("%s broke the contract: %s", r.name, p))
		}
	}
	maxDiffs := c.MaxDiffs
	if maxDiffs <= 0 {
		maxDiffs = 10
	}
	w := max(len(a.name), len(b.name)) + 1
	var differing int
	for i := range min(len(a.results), len(b.results)) {
		d := c.diffResult(a.name, b.name, w, a.results[i], b.results[i])
		if d == "" {
			continue
		}
		if differing++; differing <= maxDiffs {
			out = append(out, fmt.Sprintf("message %d (input %s):\n%s", i, c.format(c.Inputs[i]), d))
		}
	}
	if differing > maxDiffs {
		out = append(out, fmt.Sprintf("… and %d more message(s)", differing-maxDiffs))
	}
	if !c.IgnoreStats {
		out = append(out, statsDiff(a, b, w)...)
	}
	if len(out) == 0 {
		return nil
	}
	head := fmt.Sprintf("%s and %s differ on %d of %d message(s)", a.name, b.name, differing, len(c.Inputs))
	return append([]string{head}, out...)
}

func (c Comparison[T]) format(v T) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return fmt.Sprintf("%+v", v)
}

func (c Comparison[T]) equal(a, b T) bool {
	if c.Equal != nil {
		return c.Equal(a, b)
	}
	return reflect.DeepEqual(a, b)
}

// diffResult describes how two results of one message differ, or returns "".
func (c Comparison[T]) diffResult(sa, sb string, w int, a, b baton.Result[T]) string {
	var sb2 strings.Builder
	pair := func(what, why, x, y string) {
		fmt.Fprintf(&sb2, "  %s%s:\n    %-*s %s\n    %-*s %s\n", what, why, w, sa+":", x, w, sb+":", y)
	}
	if !c.equal(a.Value, b.Value) {
		pair("value", "", c.format(a.Value), c.format(b.Value))
	}
	if why := c.errDiff(a.Err, b.Err); why != "" {
		pair("error", " ("+why+")", errText(a.Err), errText(b.Err))
	}
	if d := c.logDiff(sa, sb, a.Log, b.Log); d != "" {
		fmt.Fprintf(&sb2, "  log:\n%s", d)
	}
	var ca, cb *baton.CompensationError
	if errors.As(a.Err, &ca) && errors.As(b.Err, &cb) {
		if d := c.logDiff(sa, sb, ca.Steps, cb.Steps); d != "" {
			fmt.Fprintf(&sb2, "  compensation (CompensationError.Steps):\n%s", d)
		}
	}
	return sb2.String()
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

var sentinels = []struct {
	name string
	err  error
}{
	{"baton.ErrUnknownStage", baton.ErrUnknownStage},
	{"baton.ErrHopLimit", baton.ErrHopLimit},
	{"baton.ErrPanic", baton.ErrPanic},
	{"baton.ErrTimeout", baton.ErrTimeout},
	{"baton.ErrCompensationFailed", baton.ErrCompensationFailed},
	{"baton.ErrAborted", baton.ErrAborted},
	{"baton.ErrClosed", baton.ErrClosed},
	{"baton.ErrStreamClosed", baton.ErrStreamClosed},
	{"context.Canceled", context.Canceled},
	{"context.DeadlineExceeded", context.DeadlineExceeded},
}

// errDiff says why two errors do not match (see Comparison), or returns "".
func (c Comparison[T]) errDiff(a, b error) string {
	switch {
	case a == nil && b == nil:
		return ""
	case a == nil || b == nil:
		return "only one failed"
	}
	check := func(name string, target error) string {
		ia, ib := errors.Is(a, target), errors.Is(b, target)
		if ia != ib {
			return fmt.Sprintf("errors.Is(err, %s) is %v for one and %v for the other", name, ia, ib)
		}
		return ""
	}
	for _, s := range sentinels {
		if why := check(s.name, s.err); why != "" {
			return why
		}
	}
	for _, s := range c.Sentinels {
		if why := check(fmt.Sprintf("%q", s.Error()), s); why != "" {
			return why
		}
	}
	var sa, sb *baton.StepError
	oka, okb := errors.As(a, &sa), errors.As(b, &sb)
	switch {
	case oka != okb:
		return "only one is a *baton.StepError"
	case oka && (sa.Stage != sb.Stage || sa.Attempts != sb.Attempts):
		return fmt.Sprintf("StepError at %q after %d attempt(s) vs at %q after %d", sa.Stage, sa.Attempts, sb.Stage, sb.Attempts)
	}
	if !c.IgnoreErrorText && a.Error() != b.Error() {
		return "texts differ"
	}
	return ""
}

// logDiff lays two logs side by side, marking the records that differ with "!", or returns ""
// when they match.
func (c Comparison[T]) logDiff(sa, sb string, a, b []baton.StepRecord) string {
	n := max(len(a), len(b))
	lines := make([][2]string, n)
	differ := false
	marks := make([]bool, n)
	col := len(sa)
	for i := range n {
		var ra, rb *baton.StepRecord
		if i < len(a) {
			ra = &a[i]
			lines[i][0] = recordText(*ra)
		}
		if i < len(b) {
			rb = &b[i]
			lines[i][1] = recordText(*rb)
		}
		col = max(col, len(lines[i][0]))
		if ra == nil || rb == nil || ra.Stage != rb.Stage || ra.Outcome != rb.Outcome || ra.Attempts != rb.Attempts ||
			c.errDiff(ra.Err, rb.Err) != "" {
			marks[i], differ = true, true
		}
	}
	if !differ {
		return ""
	}
	var sbd strings.Builder
	fmt.Fprintf(&sbd, "      %-*s   %s\n", col, sa, sb)
	for i, l := range lines {
		mark := " "
		if marks[i] {
			mark = "!"
		}
		fmt.Fprintf(&sbd, "    %s %-*s   %s\n", mark, col, orDash(l[0]), orDash(l[1]))
	}
	return sbd.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func recordText(r baton.StepRecord) string {
	s := fmt.Sprintf("%s %v ×%d", r.Stage, r.Outcome, r.Attempts)
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

func statsDiff[T any](a, b runReport[T], w int) []string {
	var out []string
	if len(a.stats.Stages) != len(b.stats.Stages) {
		return []string{fmt.Sprintf("stats: %d stages vs %d", len(a.stats.Stages), len(b.stats.Stages))}
	}
	for i, x := range a.stats.Stages {
		y := b.stats.Stages[i]
		cx := [5]int64{x.Processed, x.Failed, x.Retried, x.Compensated, x.CompensationFailed}
		cy := [5]int64{y.Processed, y.Failed, y.Retried, y.Compensated, y.CompensationFailed}
		if cx != cy {
			out = append(out, fmt.Sprintf("stats of stage %q (processed, failed, retried, compensated, compensation failed):\n    %-*s %v\n    %-*s %v",
				x.Name, w, a.name+":", cx, w, b.name+":", cy))
		}
	}
	return out
}
