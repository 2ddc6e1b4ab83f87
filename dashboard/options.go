package dashboard

import (
	"fmt"
	"time"
)

// Option configures a Dashboard at New.
type Option func(*config)

type config struct {
	recent, failed, executions int
	interval                   time.Duration
	actions                    bool
	title                      string
	errs                       []error
}

func newConfig(opts []Option) config {
	c := config{recent: 100, failed: 100, executions: 50, interval: time.Second, title: "Baton"}
	for _, o := range opts {
		if o == nil {
			c.errs = append(c.errs, fmt.Errorf("a nil Option"))
			continue
		}
		o(&c)
	}
	return c
}

// WithRecent keeps the last n finished messages of each pipeline that did not fail (default
// 100; 0 keeps none). Each kept message holds its timeline: about 100 bytes per event.
func WithRecent(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.errs = append(c.errs, fmt.Errorf("WithRecent(%d): negative", n))
		}
		c.recent = n
	}
}

// WithFailed keeps the last n failed messages of each pipeline (default 100; 0 keeps none),
// apart from the recent ones, so that failures stay in sight through a burst of successes.
func WithFailed(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.errs = append(c.errs, fmt.Errorf("WithFailed(%d): negative", n))
		}
		c.failed = n
	}
}

// WithExecutions keeps the last n recorded executions of each workflow (default 50).
func WithExecutions(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.errs = append(c.errs, fmt.Errorf("WithExecutions(%d): negative", n))
		}
		c.executions = n
	}
}

// WithInterval sets how often the live stream sends a snapshot to each open page (default 1s;
// at least 50ms). Each snapshot costs what State costs; see the package doc, "Cost".
func WithInterval(d time.Duration) Option {
	return func(c *config) {
		if d < 50*time.Millisecond {
			c.errs = append(c.errs, fmt.Errorf("WithInterval(%v): below 50ms", d))
		}
		c.interval = d
	}
}

// WithActions lets the page act on what it shows: complete or fail a waiting task of a running
// Conductor execution. Without it (the default) the dashboard is read-only: every action
// request is refused with 403 Forbidden.
func WithActions() Option { return func(c *config) { c.actions = true } }

// WithTitle sets the page's title (default "Baton").
func WithTitle(title string) Option { return func(c *config) { c.title = title } }
