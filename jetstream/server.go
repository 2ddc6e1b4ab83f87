package jetstream

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerConfig configures an embedded NATS server with JetStream (see StartServer).
type ServerConfig struct {
	// Dir is where JetStream keeps its streams. Default: a new temporary directory, removed
	// when the server is shut down through Server.Shutdown.
	Dir string
	// Host and Port are where it listens for clients (default 127.0.0.1 and a free port).
	Host string
	Port int
	// Name names the server (default: the server's own choice); a cluster's names differ.
	Name string
	// Cluster, when set, makes the server a node of a cluster: its name, the port it listens on
	// for routes, and the other nodes' route URLs (nats://host:port).
	Cluster *ClusterConfig
	// Log, when set, receives the server's warnings and errors, one line each (default: the
	// server logs nothing). A request the server refuses reaches a client as a generic API
	// error; the cause is in these lines.
	Log io.Writer
}

// ClusterConfig makes an embedded server a node of a JetStream cluster.
type ClusterConfig struct {
	Name   string
	Port   int
	Routes []string
}

// Server is an embedded NATS server.
type Server struct {
	*server.Server
	tmp string
}

// StartServer starts an embedded NATS server with JetStream and waits until it accepts
// clients (10s at most). A Baton program needs nothing installed: its workers and clients
// connect to it by Server.ClientURL. Shut it down with Shutdown.
func StartServer(cfg ServerConfig) (*Server, error) {
	opts := &server.Options{
		Host:      cfg.Host,
		Port:      cfg.Port,
		JetStream: true,
		StoreDir:  cfg.Dir,
		NoLog:     true,
		NoSigs:    true,
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if cfg.Name != "" {
		opts.ServerName = cfg.Name
	}
	s := &Server{}
	if opts.StoreDir == "" {
		dir, err := os.MkdirTemp("", "baton-jetstream-")
		if err != nil {
			return nil, fmt.Errorf("jetstream: %w", err)
		}
		opts.StoreDir, s.tmp = dir, dir
	}
	if c := cfg.Cluster; c != nil {
		if cfg.Name == "" {
			return nil, errors.New("jetstream: a cluster node needs a Name")
		}
		opts.Cluster = server.ClusterOpts{Name: c.Name, Host: opts.Host, Port: c.Port}
		for _, r := range c.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("jetstream: route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s.Server = ns
	if cfg.Log != nil {
		ns.SetLogger(&warnLog{w: cfg.Log}, false, false)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("jetstream: the embedded server did not start within 10s")
	}
	return s, nil
}

// Shutdown stops the server, waits for it, and removes its temporary directory if it made one.
func (s *Server) Shutdown() {
	s.Server.Shutdown()
	s.Server.WaitForShutdown()
	s.cleanup()
}

func (s *Server) cleanup() {
	if s.tmp != "" {
		_ = os.RemoveAll(s.tmp)
	}
}
