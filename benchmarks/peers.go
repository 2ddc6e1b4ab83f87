package benchmarks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/panjf2000/ants/v2"
	"github.com/sourcegraph/conc/pool"
	"github.com/sourcegraph/conc/stream"
	"golang.org/x/sync/errgroup"

	"github.com/baton-go/baton"
)

// Impls are every implementation of the workload: Baton's, the hand-written floors, and the
// peers, each written the way its documentation shows, with the concurrency of Baton's defaults
// (Workers() goroutines for pools; one goroutine per stage and Buffer-deep channels for
// pipelines). Each takes its input from a producer goroutine and delivers its results to the
// caller's goroutine, as Pipeline.Run does, unless the library's own shape says otherwise.
var Impls = []Impl{
	{"floor=direct", Inline, floorDirect},
	{"floor=pool", Pool, floorPool},
	{"floor=channels", Pipeline, floorChannels},
	{"floor=channels-batched", Pipeline, floorBatchedChannels},
	{"baton/orchestrated/process", Inline, batonProcess},
	{"baton/orchestrated/stream", Pool, batonStream(baton.Orchestrated)},
	{"baton/choreographed/stream", Pipeline, batonStream(baton.Choreographed)},
	{"errgroup/pool", Pool, errgroupPool},
	{"errgroup/pipeline", Pipeline, errgroupPipeline},
	{"conc/pool", Pool, concPool},
	{"conc/stream", Pool, concStream},
	{"ants/pool", Pool, antsPool},
	{"watermill/gochannel-router", Pipeline, watermillRouter},
	{"rill-model", Pipeline, rillModel},
}

// produce sends messages 0..n-1 on out from a goroutine of its own, then closes it.
func produce(n int, out chan<- uint64) {
	go func() {
		for i := range n {
			out <- uint64(i)
		}
		close(out)
	}()
}

// submit calls f for messages 0..n-1 from a goroutine of its own, then done.
func submit(n int, f func(v uint64) error, done func()) <-chan error {
	errc := make(chan error, 1)
	go func() {
		defer done()
		for i := range n {
			if err := f(uint64(i)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	return errc
}

func floorDirect(n int, stages []*Stage, start func()) (uint64, error) {
	var sum uint64
	start()
	for i := range n {
		sum += through(stages, uint64(i))
	}
	return sum, nil
}

func floorPool(n int, stages []*Stage, start func()) (uint64, error) {
	in, out := make(chan uint64, Buffer), make(chan uint64, Buffer)
	var wg sync.WaitGroup
	for range Workers() {
		wg.Go(func() {
			for v := range in {
				out <- through(stages, v)
			}
		})
	}
	go func() { wg.Wait(); close(out) }()
	start()
	produce(n, in)
	var sum uint64
	for v := range out {
		sum += v
	}
	return sum, nil
}

func floorChannels(n int, stages []*Stage, start func()) (uint64, error) {
	chans := make([]chan uint64, len(stages)+1)
	for i := range chans {
		chans[i] = make(chan uint64, Buffer)
	}
	for i, s := range stages {
		in, out := chans[i], chans[i+1]
		go func() {
			for v := range in {
				out <- s.Do(v)
			}
			close(out)
		}()
	}
	start()
	produce(n, chans[0])
	var sum uint64
	for v := range chans[len(stages)] {
		sum += v
	}
	return sum, nil
}

func batonStages(stages []*Stage) []baton.Stage[uint64] {
	out := make([]baton.Stage[uint64], len(stages))
	for i, s := range stages {
		out[i] = s
	}
	return out
}

// newBaton builds a pipeline with default settings and warms it with one message.
func newBaton(s baton.Strategy, stages []*Stage) (*baton.Pipeline[uint64], error) {
	p, err := baton.New(batonStages(stages), baton.WithStrategy(s))
	if err != nil {
		return nil, err
	}
	if _, err := p.Process(context.Background(), 0); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func batonProcess(n int, stages []*Stage, start func()) (uint64, error) {
	p, err := newBaton(baton.Orchestrated, stages)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	ctx := context.Background()
	var sum uint64
	start()
	for i := range n {
		v, err := p.Process(ctx, uint64(i))
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

func batonStream(s baton.Strategy) func(int, []*Stage, func()) (uint64, error) {
	return func(n int, stages []*Stage, start func()) (uint64, error) {
		p, err := newBaton(s, stages)
		if err != nil {
			return 0, err
		}
		defer p.Close()
		in := func(yield func(uint64) bool) {
			for i := range n {
				if !yield(uint64(i)) {
					return
				}
			}
		}
		var sum uint64
		var errs []error
		start()
		for r := range p.Run(context.Background(), in) {
			if r.Err != nil {
				errs = append(errs, r.Err)
			}
			sum += r.Value
		}
		return sum, errors.Join(errs...)
	}
}

// errgroupPool is errgroup as a bounded pool: SetLimit, one Go per message.
func errgroupPool(n int, stages []*Stage, start func()) (uint64, error) {
	var g errgroup.Group
	g.SetLimit(Workers())
	out := make(chan uint64, Buffer)
	start()
	errc := submit(n, func(v uint64) error {
		g.Go(func() error { out <- through(stages, v); return nil })
		return nil
	}, func() { g.Wait(); close(out) })
	var sum uint64
	for v := range out {
		sum += v
	}
	return sum, <-errc
}

// errgroupPipeline is errgroup's pipeline pattern (its md5all example): a goroutine per stage
// under errgroup.WithContext, each send also watching ctx.Done() so that a failure stops the rest.
func errgroupPipeline(n int, stages []*Stage, start func()) (uint64, error) {
	g, ctx := errgroup.WithContext(context.Background())
	chans := make([]chan uint64, len(stages)+1)
	for i := range chans {
		chans[i] = make(chan uint64, Buffer)
	}
	for i, s := range stages {
		in, out := chans[i], chans[i+1]
		g.Go(func() error {
			defer close(out)
			for v := range in {
				select {
				case out <- s.Do(v):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	start()
	g.Go(func() error {
		defer close(chans[0])
		for i := range n {
			select {
			case chans[0] <- uint64(i):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	var sum uint64
	for v := range chans[len(stages)] {
		sum += v
	}
	return sum, g.Wait()
}

// concPool is sourcegraph/conc's pool: WithMaxGoroutines, one Go per message.
func concPool(n int, stages []*Stage, start func()) (uint64, error) {
	p := pool.New().WithMaxGoroutines(Workers())
	out := make(chan uint64, Buffer)
	start()
	errc := submit(n, func(v uint64) error {
		p.Go(func() { out <- through(stages, v) })
		return nil
	}, func() { p.Wait(); close(out) })
	var sum uint64
	for v := range out {
		sum += v
	}
	return sum, <-errc
}

// concStream is sourcegraph/conc's stream: tasks run on a pool, their callbacks run in
// submission order on the stream's own goroutine. Submission is from the caller, as its
// documentation shows.
func concStream(n int, stages []*Stage, start func()) (uint64, error) {
	s := stream.New().WithMaxGoroutines(Workers())
	var sum uint64
	start()
	for i := range n {
		s.Go(func() stream.Callback {
			v := through(stages, uint64(i))
			return func() { sum += v }
		})
	}
	s.Wait()
	return sum, nil
}

// antsPool is panjf2000/ants' generic pool with a function: Invoke per message, which blocks
// while every worker is busy.
func antsPool(n int, stages []*Stage, start func()) (uint64, error) {
	out := make(chan uint64, Buffer)
	var wg sync.WaitGroup
	p, err := ants.NewPoolWithFuncGeneric(Workers(), func(v uint64) {
		out <- through(stages, v)
		wg.Done()
	})
	if err != nil {
		return 0, err
	}
	defer p.Release()
	start()
	errc := submit(n, func(v uint64) error {
		wg.Add(1)
		if err := p.Invoke(v); err != nil {
			wg.Done()
			return err
		}
		return nil
	}, func() { wg.Wait(); close(out) })
	var sum uint64
	for v := range out {
		sum += v
	}
	return sum, <-errc
}

// watermillRouter is ThreeDotsLabs/watermill's Router over its in-process GoChannel pub/sub: one
// handler per stage, each subscribed to its stage's topic and publishing to the next; a last
// handler consumes the results. The payload is the 8-byte value; each handler passes the message
// it received on with its payload replaced (no new message, no UUID).
func watermillRouter(n int, stages []*Stage, start func()) (uint64, error) {
	logger := watermill.NopLogger{}
	ps := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: Buffer}, logger)
	defer ps.Close()
	r, err := message.NewRouter(message.RouterConfig{}, logger)
	if err != nil {
		return 0, err
	}
	topic := func(i int) string { return fmt.Sprintf("t%d", i) }
	for i, s := range stages {
		r.AddHandler(s.Name(), topic(i), ps, topic(i+1), ps, func(m *message.Message) ([]*message.Message, error) {
			v := s.Do(binary.LittleEndian.Uint64(m.Payload))
			m.Payload = binary.LittleEndian.AppendUint64(m.Payload[:0], v)
			return []*message.Message{m}, nil
		})
	}
	var sum atomic.Uint64
	var got sync.WaitGroup
	got.Add(n)
	r.AddConsumerHandler("sink", topic(len(stages)), ps, func(m *message.Message) error {
		sum.Add(binary.LittleEndian.Uint64(m.Payload))
		got.Done()
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	<-r.Running()
	start()
	errc := submit(n, func(v uint64) error {
		return ps.Publish(topic(0), message.NewMessage("", binary.LittleEndian.AppendUint64(nil, v)))
	}, func() {})
	if err := <-errc; err != nil {
		return 0, err
	}
	got.Wait()
	if err := r.Close(); err != nil {
		return 0, err
	}
	return sum.Load(), <-runErr
}
