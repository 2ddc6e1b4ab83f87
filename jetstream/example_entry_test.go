package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/jetstream"
	"github.com/nats-io/nats.go"
)

// mailStages are the stages of the examples below: every process of the pipeline builds them.
func mailStages() []baton.Stage[string] {
	return []baton.Stage[string]{
		baton.Func("send", func(_ context.Context, s string) (string, error) { return "sent " + s, nil }),
	}
}

// mailWorker starts a process hosting every stage of the pipeline "mail" on s; stop closes
// its pipeline, which closes its engine, then its connection.
func mailWorker(s *jetstream.Server) (stop func() error) {
	conn, err := nats.Connect(s.ClientURL())
	if err != nil {
		panic(err)
	}
	eng, err := jetstream.New(conn, jetstream.Config{Name: "mail", HostAll: true, AckWait: time.Second})
	if err != nil {
		panic(err)
	}
	p, err := baton.New(mailStages(), baton.WithEngine(eng))
	if err != nil {
		panic(err)
	}
	return func() error {
		defer conn.Close()
		return p.Close()
	}
}

// The pipeline closes its engine when it closes: the worker stops taking hand-offs and
// finishes the steps it runs. The work it had not taken stays in the stream: a message
// submitted while no worker runs waits there, and the next worker to start runs it.
func ExampleEngine_Close() {
	srv, err := jetstream.StartServer(jetstream.ServerConfig{})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	cc, _ := nats.Connect(srv.ClientURL())
	defer cc.Close()
	ce, _ := jetstream.New(cc, jetstream.Config{Name: "mail"}) // a client: it hosts no stage
	client, _ := baton.New(mailStages(), baton.WithEngine(ce))
	defer client.Close()

	stopFirst := mailWorker(srv)
	fmt.Println(client.Process(context.Background(), "a"))
	fmt.Println(stopFirst()) // the pipeline's Close calls the engine's Close

	done := make(chan string)
	go func() {
		out, err := client.Process(context.Background(), "b") // no worker is running
		done <- fmt.Sprint(out, " ", err)
	}()
	stopSecond := mailWorker(srv) // the next worker takes the message waiting in the stream
	defer stopSecond()
	fmt.Println(<-done)
	// Output:
	// sent a <nil>
	// <nil>
	// sent b <nil>
}

// When baton.New refuses a pipeline, the engine made for it is its caller's to close (here it
// was never attached, and Close has nothing to stop).
func ExampleEngine_Close_refused() {
	srv, _ := jetstream.StartServer(jetstream.ServerConfig{})
	defer srv.Shutdown()
	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	eng, _ := jetstream.New(nc, jetstream.Config{Name: "mail", HostAll: true})
	twice := append(mailStages(), mailStages()...) // two stages named "send"
	if _, err := baton.New(twice, baton.WithEngine(eng)); err != nil {
		fmt.Println(errors.Is(err, baton.ErrInvalidPipeline), eng.Close())
	}
	// Output: true <nil>
}

// Inbox counts the hand-offs this process has fetched for a stage and not yet started; the
// pipeline's Stats reports it as the stage's Inbox. Here the stage's one worker is busy with
// the first of three messages, so the other two wait in this process.
func ExampleEngine_Inbox() {
	srv, _ := jetstream.StartServer(jetstream.ServerConfig{})
	defer srv.Shutdown()
	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	eng, _ := jetstream.New(nc, jetstream.Config{Name: "slow", HostAll: true, Memory: true})
	started, release := make(chan struct{}, 3), make(chan struct{})
	p, _ := baton.New([]baton.Stage[int]{baton.Func("wait", func(_ context.Context, n int) (int, error) {
		started <- struct{}{}
		<-release
		return n, nil
	})}, baton.WithEngine(eng))
	defer p.Close()

	s := p.Stream(context.Background())
	for n := range 3 {
		_ = s.Submit(context.Background(), n)
	}
	s.CloseSend()
	<-started
	for eng.Inbox("wait") < 2 { // the hand-offs arrive from the server
		time.Sleep(time.Millisecond)
	}
	fmt.Println(eng.Inbox("wait"), p.Stats().Stages[0].Inbox)
	close(release)
	results := 0
	for range s.Results() {
		results++
	}
	fmt.Println(results, eng.Inbox("wait"))
	// Output:
	// 2 2
	// 3 0
}

// Origin is the name a process submits under: Config.Client, which a client restarted with
// the same name keeps (its earlier results come back to it through OnOrphan), or a random one.
func ExampleEngine_Origin() {
	srv, _ := jetstream.StartServer(jetstream.ServerConfig{})
	defer srv.Shutdown()
	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	named, _ := jetstream.New(nc, jetstream.Config{Name: "mail", Client: "billing-1"})
	random, _ := jetstream.New(nc, jetstream.Config{Name: "mail"})
	fmt.Println(named.Origin())
	fmt.Println(strings.HasPrefix(random.Origin(), "c"), len(random.Origin()))
	// Output:
	// billing-1
	// true 17
}

// Shutdown stops the embedded server and waits for it; a server started on a temporary
// directory (ServerConfig.Dir empty) removes that directory.
func ExampleServer_Shutdown() {
	srv, err := jetstream.StartServer(jetstream.ServerConfig{})
	if err != nil {
		panic(err)
	}
	dir := srv.JetStreamConfig().StoreDir
	url := srv.ClientURL()
	srv.Shutdown()

	_, err = os.Stat(dir)
	fmt.Println(srv.Running(), errors.Is(err, os.ErrNotExist))
	_, err = nats.Connect(url)
	fmt.Println(err)
	// Output:
	// false true
	// nats: no servers available for connection
}
