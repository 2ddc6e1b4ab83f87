package jetstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-go/baton"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config configures an Engine. The zero value is a client-only process of the pipeline
// "baton", named at random.
type Config struct {
	// Name names the pipeline in NATS: its stream is BATON_<Name> and its subjects begin with
	// baton.<Name>. Every process of one pipeline uses the same Name. Default "baton".
	Name string
	// Client names this process as a submitter: its results come back on a durable consumer of
	// that name. A client restarted with the same Name receives the results of the messages its
	// previous run submitted through OnOrphan. Default: a random name, whose consumer the
	// server deletes an hour after the process stops.
	Client string
	// Hosts names the stages this process runs (it is then a worker); the pipeline must have
	// them all. HostAll hosts every stage. A process that hosts none only submits.
	Hosts   []string
	HostAll bool
	// MaxDeliver is how many times a hand-off is delivered to a stage's workers before its step
	// fails (default 5): the last delivery fails the step with an error matching
	// baton.ErrEngine instead of running it, so a message whose worker keeps crashing is
	// compensated and gets its result. A delivery counts for every message the worker holds
	// when it dies: a message that shares a crash-looping worker with the message that crashes
	// it, on each of its deliveries, fails the same way.
	MaxDeliver int
	// AckWait is how long a worker may hold a hand-off without acknowledging it before it is
	// delivered again (default 5s); a running step keeps extending it, so only a worker that
	// stopped (crashed, or cut off) lets it pass; so does a hand-off this process had fetched
	// and not started when it closed.
	AckWait time.Duration
	// MaxPending bounds the hand-offs given to a stage's workers and not yet acknowledged, over
	// all its processes (default 256): with the pipeline's WithMaxInFlight, which bounds each
	// submitter, it is the engine's backpressure.
	MaxPending int
	// Duplicates is the stream's deduplication window (default 2 minutes): a hand-off published
	// again within it (a step run again after a crash) is dropped. It should exceed AckWait.
	Duplicates time.Duration
	// NoDedup turns deduplication off. Only for measuring what it costs: without it a step run
	// again after a crash may hand its message on twice.
	NoDedup bool
	// Memory keeps the stream in the server's memory instead of on disk: faster, but a server
	// restart loses the messages in flight. For tests and measurements.
	Memory bool
	// Replicas is the stream's replication factor (default 1; 3 on a three-node cluster).
	Replicas int
	// OnOrphan is called for a result that arrives for no message in flight here: a message
	// submitted by an earlier run of this client (same Client name). Default: dropped.
	OnOrphan func(Orphan)
	// OnError is told of what the engine could not deliver to anyone: a message without the
	// headers that say where it comes from, which it terminates. Default: ignored.
	OnError func(error)
	// Inject and Extract carry context values across processes in a message's headers: Inject
	// writes them (a trace context, say, with an OpenTelemetry propagator) when a message is
	// sent; Extract reads them into the context of the step that receives it.
	Inject  func(ctx context.Context, h nats.Header)
	Extract func(ctx context.Context, h nats.Header) context.Context
}

// Orphan is a result that arrived for no message in flight in this process.
type Orphan struct {
	ID    uint64 // the message's ID in the run of the client that submitted it
	Step  int
	State []byte // the finished message's encoded state; nil when Err is set
	Err   error  // why the message was lost, when it was
}

// Engine is a baton.Engine on NATS JetStream (see the package doc). Give it to one pipeline
// with baton.WithEngine. It is safe for concurrent use.
type Engine struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	cfg    Config
	origin string
	stream string
	prefix string

	host     baton.Host
	attached atomic.Bool
	ctx      context.Context // ended by Close: stops consuming
	cancel   context.CancelFunc
	consumes []jetstream.ConsumeContext
	workers  sync.WaitGroup // the stages' workers
	acks     *acker         // waits for the publishes' acknowledgements (set by Attach)
	wg       sync.WaitGroup // retried publishes
	closed   sync.Once

	pending map[string]*atomic.Int64 // hand-offs waiting for each hosted stage, for Inbox

	afterPublish func(stage string, out baton.Envelope) // tests: between the publish and the ack
}

// Header names. Nats-Msg-Id is JetStream's deduplication key.
const (
	hdrOrigin  = "Baton-Origin"
	hdrID      = "Baton-Id"
	hdrStep    = "Baton-Step"
	hdrVersion = "Baton-State-Version"
	hdrLost    = "Baton-Lost"
	hdrLostIs  = "Baton-Lost-Is"
)

// New returns an engine on nc, which it uses but does not close. It checks cfg; it talks to
// the server only when a pipeline attaches it (baton.New with baton.WithEngine).
func New(nc *nats.Conn, cfg Config) (*Engine, error) {
	if nc == nil {
		return nil, errors.New("jetstream: New: nil connection")
	}
	if cfg.Name == "" {
		cfg.Name = "baton"
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = 5
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = 5 * time.Second
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = 256
	}
	if cfg.Duplicates == 0 {
		cfg.Duplicates = 2 * time.Minute
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	switch {
	case cfg.MaxDeliver < 2:
		return nil, fmt.Errorf("jetstream: MaxDeliver %d: must be at least 2 (the last delivery fails the step)", cfg.MaxDeliver)
	case cfg.AckWait < 10*time.Millisecond:
		return nil, fmt.Errorf("jetstream: AckWait %v: must be at least 10ms", cfg.AckWait)
	case cfg.MaxPending < 1 || cfg.Replicas < 1 || cfg.Duplicates < 0:
		return nil, errors.New("jetstream: MaxPending, Replicas and Duplicates must be positive")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	e := &Engine{nc: nc, js: js, cfg: cfg, stream: "BATON_" + token(cfg.Name), prefix: "baton." + token(cfg.Name), pending: map[string]*atomic.Int64{}}
	e.origin = cfg.Client
	if e.origin == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		e.origin = "c" + hex.EncodeToString(b[:])
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e, nil
}

// Strategy implements baton.Engine: the engine runs the choreographed strategy.
func (e *Engine) Strategy() baton.Strategy { return baton.Choreographed }

// Attach implements baton.Engine: it creates (or updates) the pipeline's stream, and starts
// consuming the results of this process and the hand-offs of the stages it hosts.
func (e *Engine) Attach(h baton.Host) error {
	if !e.attached.CompareAndSwap(false, true) {
		return errors.New("jetstream: the engine is attached to a pipeline already")
	}
	e.host = h
	hosts := e.cfg.Hosts
	if e.cfg.HostAll {
		hosts = h.Stages()
	}
	known := map[string]bool{}
	for _, s := range h.Stages() {
		known[s] = true
	}
	for _, s := range hosts {
		if !known[s] {
			return fmt.Errorf("jetstream: Hosts names %w %q", baton.ErrUnknownStage, s)
		}
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	sc := jetstream.StreamConfig{
		Name:       e.stream,
		Subjects:   []string{e.prefix + ".>"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Replicas:   e.cfg.Replicas,
		Duplicates: e.cfg.Duplicates,
	}
	if e.cfg.Memory {
		sc.Storage = jetstream.MemoryStorage
	}

	err := e.ensureStream(ctx, sc)
	if err != nil {
		return fmt.Errorf("jetstream: creating stream %s: %w", e.stream, err)
	}
	if e.acks, err = newAcker(e); err != nil {
		return err
	}
	if err := e.consumeResults(ctx); err != nil {
		e.stop()
		return err
	}
	for _, s := range hosts {
		if err := e.serve(ctx, s); err != nil {
			e.stop()
			return err
		}
	}
	return nil
}

func (e *Engine) stageSubject(stage string) string   { return e.prefix + ".s." + token(stage) }
func (e *Engine) resultSubject(origin string) string { return e.prefix + ".r." + token(origin) }

// Send implements baton.Engine: it publishes the message's first hand-off without waiting
// for the server: when the server does not store it (after retries for up to 10s), the
// message ends with an error matching baton.ErrEngine, having taken no step.
func (e *Engine) Send(ctx context.Context, env baton.Envelope) error {
	env.Origin = e.origin
	e.publish(ctx, e.stageSubject(env.Stage), env, nil, func(err error) {
		if err != nil {
			_ = e.host.Lost(env.ID, fmt.Errorf("%w: jetstream: sending the message to stage %q: %w", baton.ErrEngine, env.Stage, err))
		}
	})
	return nil
}

// publish publishes env to subject, deduplicated by origin, ID and step, and calls then with
// the outcome once the server has stored it, or failed to (on the engine's acker: see
// acks.go). lost, when set, makes it a lost-message report. Publishing is asynchronous, so a
// worker goes on with its next hand-off while the server stores this one.
func (e *Engine) publish(ctx context.Context, subject string, env baton.Envelope, lost error, then func(error)) {
	m := nats.NewMsg(subject)
	m.Header.Set(hdrOrigin, env.Origin)
	m.Header.Set(hdrID, strconv.FormatUint(env.ID, 10))
	m.Header.Set(hdrStep, strconv.Itoa(env.Step))
	m.Header.Set(hdrVersion, strconv.Itoa(baton.StateVersion))
	if lost != nil {
		m.Header.Set(hdrLost, lost.Error())
		if errors.Is(lost, baton.ErrUnknownStage) {
			m.Header.Set(hdrLostIs, "unknown-stage")
		}
	} else {
		m.Data = env.State
	}
	if e.cfg.Inject != nil {
		e.cfg.Inject(ctx, m.Header)
	}
	if !e.cfg.NoDedup {
		m.Header.Set(jetstream.MsgIDHeader, env.Origin+"/"+strconv.FormatUint(env.ID, 10)+"/"+strconv.Itoa(env.Step))
	}
	e.acks.publish(m, then)
}

// retry publishes m again, and again, for up to 10s (a node lost, a leader being elected):
// deduplication makes that safe, as a second store of the same hand-off is dropped.
func (e *Engine) retry(m *nats.Msg) error {
	m.Reply = ""
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wait := 20 * time.Millisecond
	for {
		_, err := e.js.PublishMsg(ctx, m)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
			wait = min(2*wait, time.Second)
		}
	}
}

// Close implements baton.Engine: it stops consuming, lets the steps running finish and hand
// their messages on, and returns. Hand-offs this process had fetched but not started are
// delivered again, to another worker, once AckWait passes.
func (e *Engine) Close() error {
	e.stop()
	return nil
}

func (e *Engine) stop() {
	e.closed.Do(func() {
		for _, c := range e.consumes {
			c.Stop()
		}
		e.workers.Wait() // their last publishes are queued to the acker
		if e.acks != nil {
			e.acks.stop()
		}
		e.wg.Wait()
		e.cancel()
	})
}

// Inbox implements baton.InboxCounter: the hand-offs of stage that the NATS client has handed
// to this process's workers and they have not yet started — at most one per worker and one
// more. It does not count the hand-offs the client has fetched ahead into its own buffer (up to
// 8 per worker, which the client library does not expose), nor those still in the stream (the
// stage's consumer's NumPending, shared by every process hosting it). Safe for concurrent use;
// an atomic load.
func (e *Engine) Inbox(stage string) int {
	if n := e.pending[stage]; n != nil {
		return int(n.Load())
	}
	return 0
}

// Origin is the name this process submits under (Config.Client, or the random one).
func (e *Engine) Origin() string { return e.origin }

var (
	_ baton.Engine       = (*Engine)(nil)
	_ baton.InboxCounter = (*Engine)(nil)
)
