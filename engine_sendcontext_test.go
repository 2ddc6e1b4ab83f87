package baton_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/baton-go/baton"
)

type sendKey struct{}

// sendRecorder is the loopback engine, recording the value under sendKey of each Send's ctx.
type sendRecorder struct {
	loopback
	seen chan any
}

func (s *sendRecorder) Send(ctx context.Context, env baton.Envelope) error {
	s.seen <- ctx.Value(sendKey{})
	return s.loopback.Send(ctx, env)
}

// sendObserver is a SendObserver that marks the context of each message sent to an engine
// with its first stage, and calls runtime.Goexit or panics there when told to.
type sendObserver struct{ goexit, panics bool }

func (sendObserver) Observe(baton.Event) {}

// SendContext implements baton.SendObserver.
func (o sendObserver) SendContext(ctx context.Context, e baton.Event) context.Context {
	if e.Kind != baton.MessageAccepted {
		return ctx
	}
	if o.goexit {
		runtime.Goexit()
	}
	if o.panics {
		panic("SendContext bug")
	}
	return context.WithValue(ctx, sendKey{}, e.Stage)
}

// Under an engine, a SendObserver chooses the context the engine's Send carries (the otel
// module puts the message's span there): it is told of the message's MessageAccepted event,
// with its first stage, and Send gets what it returns.
func TestSendObserverChoosesTheContextSendCarries(t *testing.T) {
	eng := &sendRecorder{seen: make(chan any, 1)}
	p, err := baton.New([]baton.Stage[int]{baton.Func("a", r2id), baton.Func("b", r2id)},
		baton.WithEngine(eng), baton.WithObserver(sendObserver{}), baton.WithRouter(func(int) []string { return []string{"b", "a"} }))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Process(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if got := <-eng.seen; got != "b" {
		t.Errorf("Send's context holds %v, want the observer's value naming the first stage, b", got)
	}
}

// An observer that calls runtime.Goexit as the message is sent (unsupported) ends the
// submitting goroutine, but the message still gets its result: nothing waits for it, and Close
// returns.
func TestSendContextGoexitEndsTheMessage(t *testing.T) {
	eng := &sendRecorder{seen: make(chan any, 1)}
	p, err := baton.New([]baton.Stage[int]{baton.Func("a", r2id)}, baton.WithEngine(eng), baton.WithObserver(sendObserver{goexit: true}))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Stream(context.Background())
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		_ = s.Submit(context.Background(), 1)
		t.Error("Submit returned: the observer's Goexit should have ended its goroutine")
	}()
	<-exited
	s.CloseSend()
	var got []error
	for r := range s.Results() {
		got = append(got, r.Err)
	}
	if len(got) != 1 || !errors.Is(got[0], baton.ErrGoexit) {
		t.Errorf("results %v, want one matching ErrGoexit", got)
	}
	if len(eng.seen) != 0 {
		t.Error("the message was sent to the engine all the same")
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return: the message is still in flight")
	}
}

// A SendContext that panics is contained: Send gets the context unchanged, the message goes
// on, and Stats counts the panic.
func TestSendContextPanicIsContained(t *testing.T) {
	eng := &sendRecorder{seen: make(chan any, 1)}
	p, err := baton.New([]baton.Stage[int]{baton.Func("a", r2id)}, baton.WithEngine(eng), baton.WithObserver(sendObserver{panics: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if out, err := p.Process(context.Background(), 5); err != nil || out != 5 {
		t.Fatalf("Process: %v, %v", out, err)
	}
	if got := <-eng.seen; got != nil {
		t.Errorf("Send's context holds %v, want it unchanged", got)
	}
	if n := p.Stats().ObserverPanics; n != 1 {
		t.Errorf("ObserverPanics %d, want 1", n)
	}
}
