package baton_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-go/baton"
)

// An engine carries a pipeline's messages between its steps; here the loopback engine of
// this package's tests, which carries them within the process through their encoded state, as
// a message system would between processes (the jetstream module is a real one).
func ExampleWithEngine() {
	double := func(name string) baton.Stage[int] {
		return baton.Func(name, func(_ context.Context, n int) (int, error) { return 2 * n, nil })
	}
	p, err := baton.New([]baton.Stage[int]{double("a"), double("b")}, baton.WithEngine(&loopback{}))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	out, err := p.Process(context.Background(), 3)
	fmt.Println(out, err, p.Strategy())
	// Output: 12 <nil> choreographed
}

var ErrOutOfStock = errors.New("out of stock")

// A sentinel registered with WithSentinels still matches errors.Is after crossing a process
// boundary in a message's state.
func ExampleWithSentinels() {
	reserve := baton.Func("reserve", func(_ context.Context, n int) (int, error) {
		return n, fmt.Errorf("item %d: %w", n, ErrOutOfStock)
	})
	p, _ := baton.New([]baton.Stage[int]{reserve}, baton.WithEngine(&loopback{}), baton.WithSentinels(ErrOutOfStock))
	defer p.Close()
	_, err := p.Process(context.Background(), 7)
	var se *baton.StepError
	fmt.Println(errors.Is(err, ErrOutOfStock), errors.As(err, &se), se.Stage)
	// Output: true true reserve
}

// The codec encodes a message's value (Baton writes the rest of its state); JSON is the default.
func ExampleWithCodec() {
	p, _ := baton.New([]baton.Stage[string]{baton.Func("shout", func(_ context.Context, s string) (string, error) { return s + "!", nil })},
		baton.WithEngine(&loopback{}), baton.WithCodec(baton.JSON))
	defer p.Close()
	out, _ := p.Process(context.Background(), "hi")
	fmt.Println(out)
	// Output: hi!
}

// A stage whose side effect must happen once keys it by StepKey: an engine may run a step
// again after a crash, with the same key.
func ExampleStepKey() {
	seen := map[string]bool{}
	charge := baton.Func("charge", func(ctx context.Context, n int) (int, error) {
		key, ok := baton.StepKey(ctx)
		if ok && !seen[key] {
			seen[key] = true // charge the card once per key
		}
		return n, nil
	})
	p, _ := baton.New([]baton.Stage[int]{charge}, baton.WithEngine(&loopback{}))
	defer p.Close()
	_, _ = p.Process(context.Background(), 1)
	_, _ = p.Process(context.Background(), 2)
	fmt.Println(len(seen))
	// Output: 2
}

type traceKey struct{}

// sendTracer is a SendObserver: the context it returns is the one the engine's Send carries (and
// may propagate to other processes, in the message's headers), here marked with the message's
// first stage. The otel module's Observer puts the message's span there.
type sendTracer struct{}

func (sendTracer) Observe(baton.Event) {}
func (sendTracer) SendContext(ctx context.Context, e baton.Event) context.Context {
	return context.WithValue(ctx, traceKey{}, fmt.Sprintf("message %d, first stage %s", e.Message, e.Stage))
}

// carrier is the loopback engine, printing what Send's context carries.
type carrier struct{ loopback }

func (c *carrier) Send(ctx context.Context, env baton.Envelope) error {
	fmt.Println("sent:", ctx.Value(traceKey{}))
	return c.loopback.Send(ctx, env)
}

func ExampleSendObserver() {
	p, _ := baton.New([]baton.Stage[int]{baton.Func("a", func(_ context.Context, n int) (int, error) { return n + 1, nil })},
		baton.WithEngine(&carrier{}), baton.WithObserver(sendTracer{}))
	defer p.Close()
	out, err := p.Process(context.Background(), 1)
	fmt.Println(out, err)
	// Output:
	// sent: message 1, first stage a
	// 2 <nil>
}

// An engine marks the context it gives Host.Step WithStepCancellation when that context's end
// is the message's own cancellation (a cancelled workflow, say): the running step is then cut
// short as a cancelled Process context would cut it. Unmarked, the context gives the step
// only its values.
func ExampleWithStepCancellation() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the engine's context for this message has ended already
	wait := baton.Func("wait", func(ctx context.Context, n int) (int, error) {
		<-ctx.Done()
		return n, ctx.Err()
	})
	p, _ := baton.New([]baton.Stage[int]{wait}, baton.WithEngine(&cuttingEngine{ctx: baton.WithStepCancellation(ctx)}))
	defer p.Close()
	_, err := p.Process(context.Background(), 1)
	fmt.Println(errors.Is(err, context.Canceled))
	// Output: true
}
