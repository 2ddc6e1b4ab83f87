package jetstream_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
)

// Bad input gets a clear error result, never a poison message delivered again and again.

func tracerJob(name string) baton.Stage[Job] {
	return baton.Func(name, func(_ context.Context, j Job) (Job, error) {
		j.Trace = append(j.Trace, name)
		return j, nil
	})
}

// brokenCodec cannot decode anything.
type brokenCodec struct{}

func (brokenCodec) Marshal(v any) ([]byte, error) { return baton.JSON.Marshal(v) }
func (brokenCodec) Unmarshal([]byte, any) error   { return errors.New("this codec reads nothing") }

// pair builds a client pipeline of clientStages and a worker pipeline of workerStages, hosting
// hosts, on one stream.
func pair(t *testing.T, clientStages, workerStages []baton.Stage[Job], hosts []string, workerOpts ...baton.Option) (client *baton.Pipeline[Job], ce *jetstream.Engine) {
	t.Helper()
	name := uniqueName(t)
	we := newEngine(t, jetstream.Config{Name: name, Hosts: hosts, AckWait: 300 * time.Millisecond})
	worker, err := baton.New(workerStages, append([]baton.Option{baton.WithEngine(we)}, workerOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = worker.Close() })
	ce = newEngine(t, jetstream.Config{Name: name, AckWait: 300 * time.Millisecond})
	client, err = baton.New(clientStages, baton.WithEngine(ce))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client, ce
}

func processWithin(t *testing.T, p *baton.Pipeline[Job], j Job) (Job, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type res struct {
		j   Job
		err error
	}
	done := make(chan res, 1)
	go func() { v, err := p.Process(ctx, j); done <- res{v, err} }()
	select {
	case r := <-done:
		return r.j, r.err
	case <-time.After(25 * time.Second):
		t.Fatal("no result: the message is stranded")
		return Job{}, nil
	}
}

func TestUndecodableMessageFailsOnce(t *testing.T) {
	stages := []baton.Stage[Job]{tracerJob("a"), tracerJob("b")}
	var steps sync.Map
	counted := []baton.Stage[Job]{baton.Func("a", func(_ context.Context, j Job) (Job, error) {
		n, _ := steps.LoadOrStore("a", new(int))
		*n.(*int)++
		return j, nil
	}), tracerJob("b")}
	client, _ := pair(t, stages, counted, []string{"a", "b"}, baton.WithCodec(brokenCodec{}))
	_, err := processWithin(t, client, Job{ID: 1})
	if !errors.Is(err, baton.ErrEngine) || !strings.Contains(err.Error(), "this codec reads nothing") {
		t.Fatalf("err = %v, want ErrEngine saying why", err)
	}
	if _, ran := steps.Load("a"); ran {
		t.Error("the stage ran on a state it could not read")
	}
	time.Sleep(700 * time.Millisecond) // two AckWaits: a poison message would be back by now
	if _, ran := steps.Load("a"); ran {
		t.Error("the message was delivered again")
	}
}

func TestUnknownStageFromAnotherProcess(t *testing.T) {
	// The client's pipeline has a stage "z" the worker's does not.
	client, _ := pair(t, []baton.Stage[Job]{tracerJob("a"), tracerJob("b"), tracerJob("z")},
		[]baton.Stage[Job]{tracerJob("a"), tracerJob("b")}, []string{"a", "b"})
	_, err := processWithin(t, client, Job{ID: 1})
	if !errors.Is(err, baton.ErrEngine) || !errors.Is(err, baton.ErrUnknownStage) || !strings.Contains(err.Error(), `"z"`) {
		t.Fatalf("err = %v, want ErrEngine and ErrUnknownStage naming z", err)
	}
}

func TestVersionMismatchAndHeaderlessMessages(t *testing.T) {
	name := uniqueName(t)
	var mu sync.Mutex
	var orphans []jetstream.Orphan
	var reported []error
	we := newEngine(t, jetstream.Config{Name: name, HostAll: true, AckWait: 300 * time.Millisecond, OnError: func(err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	}})
	worker, err := baton.New([]baton.Stage[Job]{tracerJob("a")}, baton.WithEngine(we))
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	ce := newEngine(t, jetstream.Config{Name: name, OnOrphan: func(o jetstream.Orphan) {
		mu.Lock()
		orphans = append(orphans, o)
		mu.Unlock()
	}})
	client, err := baton.New([]baton.Stage[Job]{tracerJob("a")}, baton.WithEngine(ce))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	// A process of another version hands message 77 of this client to stage a.
	m := nats.NewMsg("baton." + name + ".s.a")
	m.Header.Set("Baton-Origin", ce.Origin())
	m.Header.Set("Baton-Id", "77")
	m.Header.Set("Baton-Step", "1")
	m.Header.Set("Baton-State-Version", "99")
	m.Data = []byte(`{"v":99}`)
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	// And something that says nothing of where it comes from.
	if err := nc.Publish("baton."+name+".s.a", []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		no, nr := len(orphans), len(reported)
		mu.Unlock()
		if no >= 1 && nr >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond) // two AckWaits: a poison message would be back by now
	mu.Lock()
	defer mu.Unlock()
	if len(orphans) != 1 || orphans[0].ID != 77 || !errors.Is(orphans[0].Err, baton.ErrEngine) || !strings.Contains(orphans[0].Err.Error(), "version") {
		t.Errorf("orphans = %+v, want one lost result for message 77 saying the version", orphans)
	}
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "not where it comes from") {
		t.Errorf("reported = %v, want the headerless message reported once", reported)
	}
	// The pipeline goes on.
	if j, err := processWithin(t, client, Job{ID: 1}); err != nil || len(j.Trace) != 1 {
		t.Errorf("after bad input: %v, %v", j, err)
	}
}
