package conductor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// httpPollTask is an HTTP_POLL task: it makes its HTTP request (as an HTTP task, see httpTask)
// again and again until its terminationCondition, JavaScript with $.output (this poll's
// {"response": ..., "pollCount": n}) and $.input (the task's input), says to stop: true or 1
// completes the task with the last poll's output, -1 fails it (without retries), anything
// else polls again after pollingInterval seconds (default 60) — always (FIXED), × the poll
// count (LINEAR_BACKOFF) or × 2^(count-1) (EXPONENTIAL_BACKOFF) — up to maxPollCount polls
// (default 1000), after which it fails. A response whose status is not 2xx (or not one of
// acceptedStatusCodes) fails the attempt, as for HTTP. The polling fields are read from
// http_request, or from the task's input. Unlike Conductor's server, Baton has no floor on the
// interval (conductor.worker.http_poll.min_poll_interval).
type httpPollTask struct {
	ctask
	program Program // the terminationCondition, when literal; nil: compiled at each run
}

func (t *httpPollTask) compile(c *compiler, _ place) {
	checkHTTPInput(c, &t.ctask)
	c.waitingOptions(&t.ctask)
	req, field := t.wt.InputParameters, "inputParameters"
	if r, ok := req["http_request"]; ok {
		m, isMap := r.(map[string]any)
		if !isMap {
			c.javascriptProgram(&t.ctask, field+".http_request", "") // an expression: compiled at run time
			return
		}
		req, field = m, field+".http_request"
	}
	field += ".terminationCondition"
	switch cond, _ := req["terminationCondition"].(string); {
	case cond == "":
		c.fail(t.ref, field, fmt.Errorf("%w: a non-empty string is required for %s", ErrMalformed, TypeHTTPPoll))
	case strings.Contains(cond, "${"):
		c.javascriptProgram(&t.ctask, field, "") // built at run time
	default:
		t.program = c.javascriptProgram(&t.ctask, field, cond)
	}
}

func (t *httpPollTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return t.poll(ctx, w, s, slip, t.program, &x)
	}
}

func (t *httpPollTask) checkDynamic(w *Workflow, _ *WorkflowTask) error {
	if w.cfg.js == nil {
		return fmt.Errorf("%w: %s needs JavaScript", ErrNoEngine, TypeHTTPPoll)
	}
	return nil
}

func (t *httpPollTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, _ *WorkflowTask, x *execution) (*state, error) {
	return t.poll(ctx, w, s, slip, nil, x)
}

// poll polls until the condition prog (nil: compiled from the input) says to stop.
func (t *httpPollTask) poll(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, prog Program, x *execution) (*state, error) {
	req, err := readHTTPRequest(x.in)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	p, err := readPolling(req.raw)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	if prog == nil {
		if prog, err = w.cfg.js.CompileJavaScript(p.condition); err != nil {
			return nil, baton.Permanent(fmt.Errorf("%w: terminationCondition: %w", ErrBadExpression, err))
		}
	}
	for n := 1; ; n++ {
		resp, err := w.httpCall(ctx, req)
		if err != nil {
			return nil, err
		}
		if !resp.ok(p.accepted) {
			return nil, resp.failure()
		}
		out := map[string]any{"response": resp.asMap(), "pollCount": float64(n)}
		v, err := w.runProgram(ctx, prog, map[string]any{"output": out, "input": x.in})
		if err != nil {
			return nil, fmt.Errorf("terminationCondition: %w", err)
		}
		switch v {
		case true, float64(1):
			return x.done(s, slip, out), nil
		case float64(-1):
			return nil, baton.Permanent(fmt.Errorf("terminationCondition returned -1 after %d poll(s)", n))
		}
		if n >= p.maxCount {
			return nil, baton.Permanent(fmt.Errorf("terminationCondition not met after %d poll(s) (maxPollCount)", n))
		}
		if err := pause(ctx, p.interval(n)); err != nil {
			return nil, context.Cause(ctx)
		}
	}
}

// polling is the polling of an HTTP_POLL task.
type polling struct {
	condition string
	every     time.Duration
	strategy  string
	maxCount  int
	accepted  []int
}

// interval is the wait after the n-th poll.
func (p *polling) interval(n int) time.Duration {
	switch p.strategy {
	case "LINEAR_BACKOFF":
		return p.every * time.Duration(n)
	case "EXPONENTIAL_BACKOFF":
		return p.every << min(n-1, 30)
	}
	return p.every
}

func readPolling(raw map[string]any) (*polling, error) {
	p := &polling{every: 60 * time.Second, strategy: "FIXED", maxCount: 1000}
	p.condition, _ = raw["terminationCondition"].(string)
	if p.condition == "" {
		return nil, fmt.Errorf("%w: terminationCondition is required for %s", ErrMalformed, TypeHTTPPoll)
	}
	number := func(name string) (float64, bool, error) {
		switch v := raw[name].(type) {
		case nil:
			return 0, false, nil
		case float64:
			return v, true, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, false, fmt.Errorf("%s %q: not a number", name, v)
			}
			return f, true, nil
		}
		return 0, false, fmt.Errorf("%s: want a number, got %s", name, caseText(raw[name]))
	}
	if v, ok, err := number("pollingInterval"); err != nil {
		return nil, err
	} else if ok {
		if v < 0 {
			return nil, fmt.Errorf("pollingInterval %v: negative", v)
		}
		p.every = time.Duration(v * float64(time.Second))
	}
	if v, ok, err := number("maxPollCount"); err != nil {
		return nil, err
	} else if ok {
		if v < 1 {
			return nil, fmt.Errorf("maxPollCount %v: must be at least 1", v)
		}
		p.maxCount = int(v)
	}
	if s, ok := raw["pollingStrategy"].(string); ok && s != "" {
		switch s = strings.ToUpper(s); s {
		case "FIXED", "LINEAR_BACKOFF", "EXPONENTIAL_BACKOFF":
			p.strategy = s
		default:
			return nil, fmt.Errorf("pollingStrategy %q: want FIXED, LINEAR_BACKOFF or EXPONENTIAL_BACKOFF", s)
		}
	}
	if list, ok := raw["acceptedStatusCodes"].([]any); ok {
		for _, c := range list {
			f, isNum := c.(float64)
			if !isNum {
				return nil, fmt.Errorf("acceptedStatusCodes: want numbers, got %s", caseText(c))
			}
			p.accepted = append(p.accepted, int(f))
		}
	}
	return p, nil
}

// pause waits d, or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
