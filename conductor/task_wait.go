package conductor

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// waitTask is a WAIT task. With inputParameters.duration ("30 seconds", "1d 2h", "10m20s": days,
// hours, minutes and seconds, as Conductor parses them) it waits that long from when it
// starts; with until ("2026-12-31 11:59", "2026-12-31 11:59 GMT+04:00", "2026-12-31"; a time
// without a zone is UTC) until that time, at once when it has passed; with neither, until an
// update from outside completes it. An update may complete or fail it before its time in any
// case (see wait.go); its output is what updates gave it. Both inputs, or one that does not
// parse, fail the task without retries (checked at load when literal).
type waitTask struct{ ctask }

// noDeadline is a wait without a time limit.
var noDeadline time.Time

func (t *waitTask) compile(c *compiler, _ place) {
	c.waitingOptions(&t.ctask)
	lit := func(name string) any {
		v := t.wt.InputParameters[name]
		if s, ok := v.(string); ok && strings.Contains(s, "${") {
			return nil // known at run time
		}
		return v
	}
	if _, err := waitDeadline(time.Now(), map[string]any{"duration": lit("duration"), "until": lit("until")}); err != nil {
		c.fail(t.ref, "inputParameters", fmt.Errorf("%w: %w", ErrMalformed, err))
	}
}

func (t *waitTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return t.runDynamic(ctx, w, s, slip, t.wt, &x)
	}
}

func (t *waitTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *waitTask) runDynamic(ctx context.Context, _ *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	deadline, err := waitDeadline(time.Now(), x.in)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	out, err := awaitUpdate(ctx, s, x, deadline, nil)
	if err != nil {
		return nil, err
	}
	return x.done(s, slip, out), nil
}

// waitDeadline is when a WAIT task with input in, starting at now, completes on its own
// (zero: never).
func waitDeadline(now time.Time, in map[string]any) (time.Time, error) {
	duration, until := textOf(in["duration"]), textOf(in["until"])
	switch {
	case duration != "" && until != "":
		return time.Time{}, fmt.Errorf("both 'duration' and 'until' specified: give only one")
	case duration != "":
		d, err := parseWaitDuration(duration)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(d), nil
	case until != "":
		return parseWaitUntil(until)
	}
	return noDeadline, nil
}

// textOf is v as Conductor's toString gives it, trimmed ("" for null).
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

var waitDurationRE = regexp.MustCompile(`(?i)^\s*(?:(\d+)\s*(?:days?|d))?\s*(?:(\d+)\s*(?:hours?|hrs?|h))?\s*(?:(\d+)\s*(?:minutes?|mins?|m))?\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*$`)

// parseWaitDuration parses a WAIT duration as Conductor's DateTimeUtils.parseDuration does.
func parseWaitDuration(text string) (time.Duration, error) {
	m := waitDurationRE.FindStringSubmatch(text)
	if m == nil {
		return 0, fmt.Errorf("duration %q: want days, hours, minutes and seconds, as in \"1d 2h 3m 4s\" or \"30 seconds\"", text)
	}
	var total time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil || time.Duration(n) > (math.MaxInt64-total)/unit {
			return 0, fmt.Errorf("duration %q: too long", text)
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// parseWaitUntil parses a WAIT until time in the formats Conductor accepts: "yyyy-MM-dd HH:mm",
// "yyyy-MM-dd HH:mm z" (a zone name, GMT or UTC with an offset, or an offset) and "yyyy-MM-dd".
func parseWaitUntil(text string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, text, time.UTC); err == nil {
			return t, nil
		}
	}
	if len(text) > len("2006-01-02 15:04 ") {
		local, zone := text[:len("2006-01-02 15:04")], strings.TrimSpace(text[len("2006-01-02 15:04"):])
		if loc, err := parseZone(zone); err == nil {
			if t, err := time.ParseInLocation("2006-01-02 15:04", local, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("until %q: want yyyy-MM-dd HH:mm, yyyy-MM-dd HH:mm z or yyyy-MM-dd", text)
}

// parseZone parses a time zone: GMT, UTC or Z with an optional offset (GMT+04:00), an offset
// (+0400, -08:00), or an IANA name.
func parseZone(z string) (*time.Location, error) {
	up := strings.ToUpper(z)
	for _, p := range []string{"GMT", "UTC", "Z"} {
		if strings.HasPrefix(up, p) {
			rest := z[len(p):]
			if rest == "" {
				return time.UTC, nil
			}
			return parseOffset(z, rest)
		}
	}
	if strings.HasPrefix(z, "+") || strings.HasPrefix(z, "-") {
		return parseOffset(z, z)
	}
	return time.LoadLocation(z)
}

func parseOffset(name, off string) (*time.Location, error) {
	for _, layout := range []string{"-07:00", "-0700", "-07"} {
		if t, err := time.Parse(layout, off); err == nil {
			_, secs := t.Zone()
			return time.FixedZone(name, secs), nil
		}
	}
	return nil, fmt.Errorf("zone %q", name)
}
