package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/baton-go/baton"
	"github.com/nats-io/nats.go/jetstream"
)

// This file is the submitter's side: the durable consumer of this process's results.

// consumeResults starts consuming the results subject of this process.
func (e *Engine) consumeResults(ctx context.Context) error {
	cc := jetstream.ConsumerConfig{
		Durable:       "result_" + token(e.origin),
		FilterSubject: e.resultSubject(e.origin),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.cfg.AckWait,
		MaxAckPending: -1,
		Replicas:      e.cfg.Replicas,
		MemoryStorage: e.cfg.Memory,
	}
	if e.cfg.Client == "" {
		cc.InactiveThreshold = time.Hour // a random name is never used again
	}
	cons, err := e.js.CreateOrUpdateConsumer(ctx, e.stream, cc)
	if err != nil {
		return fmt.Errorf("jetstream: consumer of results: %w", err)
	}
	c, err := cons.Consume(e.result, pullOpts(512)...)
	if err != nil {
		return fmt.Errorf("jetstream: consuming results: %w", err)
	}
	e.consumes = append(e.consumes, c)
	return nil
}

// result hands a finished (or lost) message to the pipeline, and acknowledges it.
func (e *Engine) result(m jetstream.Msg) {
	h := m.Headers()
	id, err := strconv.ParseUint(h.Get(hdrID), 10, 64)
	if err != nil {
		e.report(fmt.Errorf("jetstream: dropped a result without a message ID: %q", h.Get(hdrID)))
		_ = m.Term()
		return
	}
	step, _ := strconv.Atoi(h.Get(hdrStep))
	var lost error
	if text := h.Get(hdrLost); text != "" {
		lost = &lostError{text: text, unknownStage: h.Get(hdrLostIs) == "unknown-stage"}
	}
	if lost == nil && h.Get(hdrVersion) != strconv.Itoa(baton.StateVersion) {
		lost = &lostError{text: fmt.Sprintf("baton: engine: the result is of state version %q; this process reads version %d", h.Get(hdrVersion), baton.StateVersion)}
	}
	if lost != nil {
		err = e.host.Lost(id, lost)
	} else {
		err = e.host.Deliver(baton.Envelope{ID: id, Origin: e.origin, Local: true, Step: step, State: m.Data()})
	}
	if errors.Is(err, baton.ErrUnknownMessage) && e.cfg.OnOrphan != nil {
		o := Orphan{ID: id, Step: step, Err: lost}
		if lost == nil {
			o.State = m.Data()
		}
		e.cfg.OnOrphan(o)
	}
	_ = m.Ack()
}
