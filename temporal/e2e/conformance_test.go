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

// declaredDifferences are the behaviours of the battery the engine does not check, each with
// why; TestMain skips them (unless -skip is given).
var declaredDifferences = map[string]string{
	// It runs its own testing/synctest bubble without being marked as a virtual-clock
	// behaviour, so Features.RealClock does not skip it: in the bubble the SDK's gRPC calls
	// time out on the virtual clock. (The deadline rules it checks are checked by the unit
	// tests on the SDK's test environment and by the equivalence test.)
	"LateSuccessAfterAnyDeadlineIsATimeout": "runs synctest itself",
	// It assumes a message finishes within the millisecond its input sleeps between messages;
	// on the engine one takes a few tens of milliseconds, so Run has pulled more by the first
	// failure.
	"FailFastRefusesLaterSubmissions": "timing: a message takes milliseconds",
	// 200 messages one at a time, at about 60 ms a step on this server, exceed its 30 s limit
	// for a hang; the equivalence test runs generated slips with revisits instead.
	"RandomSlipsNeverDeadlock": "throughput: exceeds the battery's 30 s hang limit",
}
