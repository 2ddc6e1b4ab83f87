package jetstream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"
)

// TestStreamCreateBesideDelete: a pipeline attached while another pipeline's file stream, the
// account's last, is deleted. nats-server v2.15.2 removes the account's emptied stream
// directories in a goroutine of its own after a delete, which can remove the directory a
// concurrent create has just made (the create then fails with err_code 10049, "error creating
// store for stream"); seen in CI as a failed attach. The engine retries that failure; every
// attach here must succeed. The test runs its own server: on the shared one other tests' streams
// keep the account's directory from emptying.
func TestStreamCreateBesideDelete(t *testing.T) {
	s, err := jetstream.StartServer(jetstream.ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	conn, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	j, err := js.New(conn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stages := []baton.Stage[int]{baton.Func("a", func(_ context.Context, n int) (int, error) { return n, nil })}
	const rounds = 150
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // churn: the account's only other file stream, made and deleted over and over
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("CHURN%d", i)
			if _, err := j.CreateStream(ctx, js.StreamConfig{Name: name, Subjects: []string{name}, Storage: js.FileStorage}); err != nil {
				continue // the same server race, met by this side
			}
			_ = j.DeleteStream(ctx, name)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for i := range rounds {
		name := fmt.Sprintf("attach%d", i)
		e, err := jetstream.New(conn, jetstream.Config{Name: name, HostAll: true})
		if err != nil {
			t.Fatal(err)
		}
		p, err := baton.New(stages, baton.WithEngine(e))
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if v, err := p.Process(ctx, i); err != nil || v != i {
			t.Fatalf("round %d: %v %v", i, v, err)
		}
		p.Close()
		if err := j.DeleteStream(ctx, "BATON_"+name); err != nil {
			t.Fatal(err)
		}
	}
}
