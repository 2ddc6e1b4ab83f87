package jetstream_test

import (
	"context"
	"fmt"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
)

// One process, both worker and client, on an embedded server: the messages travel through
// JetStream between the steps.
func Example() {
	srv, err := jetstream.StartServer(jetstream.ServerConfig{}) // on a temporary directory
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	conn, err := nats.Connect(srv.ClientURL())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	eng, err := jetstream.New(conn, jetstream.Config{Name: "example", HostAll: true, Memory: true})
	if err != nil {
		panic(err)
	}
	inc := func(name string) baton.Stage[int] {
		return baton.Func(name, func(_ context.Context, n int) (int, error) { return n + 1, nil })
	}
	p, err := baton.New([]baton.Stage[int]{inc("a"), inc("b"), inc("c")}, baton.WithEngine(eng))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	r := p.ProcessResult(context.Background(), 0)
	fmt.Println(r.Value, r.Err, len(r.Log))
	// Output: 3 <nil> 3
}

// A worker process hosts the stages it names; a client process submits. They share the
// stream by their Config.Name.
func ExampleNew() {
	srv, _ := jetstream.StartServer(jetstream.ServerConfig{})
	defer srv.Shutdown()
	stages := func() []baton.Stage[string] {
		return []baton.Stage[string]{baton.Func("greet", func(_ context.Context, s string) (string, error) { return "hello, " + s, nil })}
	}
	wc, _ := nats.Connect(srv.ClientURL())
	defer wc.Close()
	we, _ := jetstream.New(wc, jetstream.Config{Name: "greeter", Hosts: []string{"greet"}})
	worker, _ := baton.New(stages(), baton.WithEngine(we))
	defer worker.Close()

	cc, _ := nats.Connect(srv.ClientURL())
	defer cc.Close()
	ce, _ := jetstream.New(cc, jetstream.Config{Name: "greeter"})
	client, _ := baton.New(stages(), baton.WithEngine(ce))
	out, err := client.Process(context.Background(), "world")
	_ = client.Close()
	fmt.Println(out, err)
	// Output: hello, world <nil>
}

// StartServer embeds a NATS server with JetStream: a program needs nothing installed.
func ExampleStartServer() {
	srv, err := jetstream.StartServer(jetstream.ServerConfig{})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	fmt.Println(srv.JetStreamEnabled())
	// Output: true
}
