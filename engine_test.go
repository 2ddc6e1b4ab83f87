package baton_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/batontest"
)

// loopback is an Engine that carries messages within this process, through the encoded state
// and the Host alone, as a message system would: it proves the seam keeps every rule. Each
// stage gets max(1, Workers) steps at once, as under choreography.
type loopback struct {
	h       baton.Host
	sems    map[string]chan struct{}
	waiting map[string]*atomic.Int64
	wg      sync.WaitGroup
}

func (l *loopback) Strategy() baton.Strategy { return baton.Choreographed }

func (l *loopback) Attach(h baton.Host) error {
	l.h = h
	l.sems, l.waiting = map[string]chan struct{}{}, map[string]*atomic.Int64{}
	for _, s := range h.Stages() {
		l.sems[s] = make(chan struct{}, max(1, h.Workers(s)))
		l.waiting[s] = new(atomic.Int64)
	}
	return nil
}

func (l *loopback) Send(_ context.Context, env baton.Envelope) error {
	env.Origin, env.Local = "loopback", true
	l.wg.Go(func() { l.carry(env) })
	return nil
}

func (l *loopback) carry(env baton.Envelope) {
	for env.Stage != "" {
		sem := l.sems[env.Stage]
		l.waiting[env.Stage].Add(1)
		sem <- struct{}{}
		l.waiting[env.Stage].Add(-1)
		out, err := l.h.Step(context.Background(), env)
		<-sem
		if err != nil {
			_ = l.h.Lost(env.ID, err)
			return
		}
		env = out
	}
	_ = l.h.Deliver(env)
}

func (l *loopback) Inbox(stage string) int { return int(l.waiting[stage].Load()) }

func (l *loopback) Close() error { l.wg.Wait(); return nil }

func loopbackSubject() batontest.Subject {
	return batontest.Subject{
		New: func(_ testing.TB, stages []baton.Stage[batontest.Msg], opts ...baton.Option) (*baton.Pipeline[batontest.Msg], error) {
			return baton.New(stages, slices.Concat([]baton.Option{baton.WithEngine(&loopback{})}, opts)...)
		},
		Strategy: baton.Choreographed,
		Features: batontest.Features{InboxDepth: true, QueuedUntilStarted: true},
	}
}

func TestConformanceThroughTheEngineSeam(t *testing.T) {
	batontest.Conformance(t, loopbackSubject())
}

func TestConformanceThroughTheEngineSeamObserved(t *testing.T) {
	batontest.Conformance(t, loopbackSubject(), batontest.WithPipelineOptions(
		baton.WithObserver(baton.ObserverFunc(func(baton.Event) {}))))
}
