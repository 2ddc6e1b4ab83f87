package conductor

import (
	"context"
	"fmt"
	"strings"

	"github.com/baton-go/baton"
)

// EventSink receives the events of EVENT tasks (see WithEventSink). It is called concurrently,
// by many runs at once, and must be safe for that; an error fails the task's attempt, and the
// task is retried as its task definition says. ctx is the task's.
type EventSink func(ctx context.Context, e *Event) error

// Event is what an EVENT task publishes.
type Event struct {
	// Queue is where it goes, computed from the task's sink as Conductor does: "conductor"
	// gives "conductor:<workflow name>:<task ref>", "conductor:<name>" gives
	// "conductor:<workflow name>:<name>", any other sink is the queue as it is ("sqs:orders").
	Queue string
	// Payload is the task's output, as Conductor publishes it: its resolved input, with
	// workflowInstanceId, workflowType, workflowVersion, correlationId and event_produced.
	Payload map[string]any
	// TaskID is the task's id (Conductor's message id); WorkflowID the run's.
	TaskID, WorkflowID string
}

// eventTask is an EVENT task: it publishes its payload to the EventSink, then completes with
// the payload as its output — or, with asyncComplete, waits until an update from outside
// completes it (see wait.go). Its input has "sink" and "asyncComplete", as Conductor's mapper
// adds them.
type eventTask struct{ ctask }

func (t *eventTask) compile(c *compiler, _ place) {
	if c.cfg.sink == nil {
		c.fail(t.ref, "sink", fmt.Errorf("%w: %s needs an event sink (see WithEventSink)", ErrNoHandler, TypeEvent))
	}
	if t.wt.Sink == "" {
		c.fail(t.ref, "sink", fmt.Errorf("%w: required for %s", ErrMalformed, TypeEvent))
	} else if _, err := queueName(t.wt.Sink, "w", t.ref); err != nil && !strings.Contains(t.wt.Sink, "${") {
		c.fail(t.ref, "sink", fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	compileParams(map[string]any{"sink": t.wt.Sink}, "", func(_ string, err error) { c.fail(t.ref, "sink", err) })
	c.waitingOptions(&t.ctask)
}

func (t *eventTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return t.runDynamic(ctx, w, s, slip, t.wt, &x)
	}
}

func (t *eventTask) checkDynamic(w *Workflow, wt *WorkflowTask) error {
	if w.cfg.sink == nil {
		return fmt.Errorf("%w: %s needs an event sink (see WithEventSink)", ErrNoHandler, TypeEvent)
	}
	if wt.Sink == "" {
		return fmt.Errorf("%w: sink is required for %s", ErrMalformed, TypeEvent)
	}
	return nil
}

func (t *eventTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, wt *WorkflowTask, x *execution) (*state, error) {
	sink, err := w.resolveText(s, x.id, wt.Sink)
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("sink: %w", err))
	}
	async := wt.AsyncComplete // Conductor's mapper sets the input's from it
	x.in = copyMap(x.in)
	x.in["sink"], x.in["asyncComplete"] = sink, async
	queue, err := queueName(sink, s.run.wf.def.Name, x.ref)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	payload := copyMap(x.in)
	payload["workflowInstanceId"] = s.run.workflowID
	payload["workflowType"] = s.run.wf.def.Name
	payload["workflowVersion"] = float64(s.run.wf.def.Version)
	payload["correlationId"] = nilIfEmpty(s.run.correlationID)
	payload["event_produced"] = queue
	if err := w.cfg.sink(ctx, &Event{Queue: queue, Payload: copyMap(payload), TaskID: x.id, WorkflowID: s.run.workflowID}); err != nil {
		return nil, fmt.Errorf("event sink %q: %w", queue, err)
	}
	if async {
		more, err := awaitUpdate(ctx, s, x, noDeadline, payload)
		if err != nil {
			return nil, err
		}
		for k, v := range more {
			payload[k] = v
		}
	}
	return x.done(s, slip, payload), nil
}

// queueName is the queue of an EVENT task's sink, as Conductor's Event.computeQueueName says.
func queueName(sink, workflow, ref string) (string, error) {
	switch {
	case sink == "conductor":
		return "conductor:" + workflow + ":" + ref, nil
	case strings.HasPrefix(sink, "conductor:"):
		return "conductor:" + workflow + ":" + strings.ReplaceAll(sink, "conductor:", ""), nil
	case strings.HasPrefix(sink, "conductor"):
		return "", fmt.Errorf("invalid / unsupported sink %q", sink)
	case sink == "":
		return "", fmt.Errorf("empty sink")
	}
	return sink, nil
}

// resolveText resolves the expressions of src, a field other than inputParameters, on s, as
// text.
func (w *Workflow) resolveText(s *state, id, src string) (string, error) {
	var errs []error
	m := compileParams(map[string]any{"v": src}, "", func(_ string, err error) { errs = append(errs, err) })
	if len(errs) > 0 {
		return "", errs[0]
	}
	v, err := m.eval(&resolver{s: s, taskID: id, strict: w.cfg.strict})
	if err != nil {
		return "", err
	}
	return text(v.(map[string]any)["v"]), nil
}

// exprs yields the expressions of the sink.
func (t *eventTask) exprs(yield func(field string, p *path)) {
	compileParams(map[string]any{"sink": t.wt.Sink}, "", func(string, error) {}).paths(func(_ string, p *path) { yield("sink", p) })
}
