package e2e

import (
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/batontest"
	batontemporal "github.com/baton-go/baton/temporal"
)

// subject is the Temporal engine as batontest sees it: each pipeline a client and a worker in
// this process, on a task queue of its own, on the shared real server.
func subject() batontest.Subject {
	return batontest.Subject{
		New: func(t testing.TB, stages []baton.Stage[batontest.Msg], opts ...baton.Option) (*baton.Pipeline[batontest.Msg], error) {
			eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(newQueue("conformance")))
			if err != nil {
				return nil, err
			}
			return baton.New(stages, append([]baton.Option{baton.WithEngine(eng)}, opts...)...)
		},
		Strategy: baton.Orchestrated,
		// The declared differences: the server's connections are invisible to a synctest
		// bubble (time rules are checked on the real clock by the unit tests and below), and a
		// message waiting for a busy stage waits in Temporal's task queue, out of its caller's
		// reach until its step starts.
		Features: batontest.Features{RealClock: true, QueuedUntilStarted: true},
	}
}

// TestConformance runs Baton's behaviour battery on the engine against the real server.
func TestConformance(t *testing.T) {
	batontest.Conformance(t, subject())
}
