// Command dashboard serves Baton's web dashboard on localhost over live traffic: one order
// pipeline under each strategy, with transient failures that are retried and declined
// payments that are compensated, and a Conductor workflow (a SWITCH, a FORK_JOIN and its
// JOIN, a DO_WHILE, a HUMAN approval) started every few hundred milliseconds.
//
//	go run ./examples/dashboard [-addr localhost:8080] [-actions]
//
// then open http://localhost:8080/debug/baton/. With -actions the page can complete the HUMAN
// approvals waiting; without it the page is read-only and approvals complete by themselves
// after 5 seconds. With -screenshot FILE it takes a PNG of the page in headless Chromium after
// a few seconds of traffic, writes it and exits (that is how the README's picture is made).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "address to serve on")
	actions := flag.Bool("actions", false, "let the page complete waiting HUMAN tasks")
	shot := flag.String("screenshot", "", "take a PNG of the page into FILE and exit")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *actions, *shot); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done (or, with shot, until the screenshot is written).
func run(ctx context.Context, addr string, actions bool, shot string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + "/debug/baton/"
	if shot == "" {
		fmt.Println("dashboard on", url)
		return serve(ctx, ln, actions, nil)
	}
	return serve(ctx, ln, actions, func(ctx context.Context) error { return screenshot(ctx, url, shot) })
}

// serve runs the demo's traffic and its dashboard on ln until ctx is done or then, when given,
// has returned; it stops everything it started before it returns.
func serve(ctx context.Context, ln net.Listener, actions bool, then func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	demo, err := newDemo(actions)
	if err != nil {
		ln.Close()
		return err
	}
	defer demo.close()
	demo.traffic(ctx)

	mux := http.NewServeMux()
	mux.Handle("/debug/baton/", http.StripPrefix("/debug/baton", demo.dash))
	mux.Handle("/debug/baton", http.StripPrefix("/debug/baton", demo.dash))
	mux.Handle("/{$}", http.RedirectHandler("/debug/baton/", http.StatusFound))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var result error
	if then != nil {
		result = then(ctx)
	} else {
		<-ctx.Done()
	}
	demo.dash.Close() // ends the pages' live streams, which Shutdown would wait for
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdown); err != nil && result == nil {
		result = err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) && result == nil {
		result = err
	}
	return result
}
