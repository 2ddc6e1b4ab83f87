package dashboard

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// This file serves the dashboard: the page, its script and style (embedded: no external
// asset), the JSON API, the diagrams and the live stream.

//go:embed assets
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/index.html"))

// securityHeaders are sent with every response: no script but the page's own can run, and the
// page cannot be framed by another site.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// ServeHTTP serves the dashboard. Every link the page makes is relative, so it works under
// any path prefix: mount it as
//
//	mux.Handle("/debug/baton/", http.StripPrefix("/debug/baton", d))
//
// (a request for the prefix without its slash is redirected to it). The routes, relative to
// the mount point: "/" the page; "api/state" State as JSON; "api/messages?pipeline=P" (with
// id=N or key=K to find) Messages or Find; "api/execution?workflow=W&id=ID" an Execution;
// "api/diagram.svg?workflow=W" (with id=ID to colour an execution's path) the Diagram;
// "api/stream" State as server-sent events every WithInterval; "api/complete" (POST, only
// WithActions) completes or fails a waiting task of an execution started by Start. Only GET and HEAD are served but for actions.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	p := r.URL.Path
	if p == "" { // mounted under a prefix, asked for the prefix without its slash
		base := path.Base(strings.TrimSuffix(r.URL.EscapedPath(), "/"))
		if r.RequestURI != "" {
			if u, _, _ := strings.Cut(r.RequestURI, "?"); u != "" {
				base = path.Base(u)
			}
		}
		// Not http.Redirect: it would resolve the relative URL against the stripped path.
		w.Header().Set("Location", base+"/")
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	if p == "/api/complete" {
		d.complete(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "dashboard: read-only", http.StatusMethodNotAllowed)
		return
	}
	switch p {
	case "/", "/index.html":
		d.index(w)
	case "/app.js", "/app.css":
		d.asset(w, p)
	case "/api/state":
		writeJSON(w, d.State(), nil)
	case "/api/messages":
		d.messages(w, r)
	case "/api/execution":
		q := r.URL.Query()
		x, err := d.Execution(q.Get("workflow"), q.Get("id"))
		writeJSON(w, x, err)
	case "/api/diagram.svg":
		d.diagram(w, r)
	case "/api/stream":
		d.stream(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (d *Dashboard) index(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := page.Execute(w, d.State()); err != nil {
		// The header is written: all that can be done is to end the page.
		fmt.Fprintf(w, "<p>dashboard: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}

func (d *Dashboard) asset(w http.ResponseWriter, p string) {
	b, err := assets.ReadFile("assets" + p)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if strings.HasSuffix(p, ".js") {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Write(b)
}

// writeJSON writes v, or err with the status its sentinel calls for.
func writeJSON(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, ErrUnknown):
			status = http.StatusNotFound
		case errors.Is(err, ErrInvalid):
			status = http.StatusBadRequest
		case errors.Is(err, ErrForbidden):
			status = http.StatusForbidden
		case errors.Is(err, ErrConflict):
			status = http.StatusConflict
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Fprintf(w, `{"error":%q}`, err.Error())
	}
}

// limitOf reads the limit query parameter: default 20, at most 500.
func limitOf(q string) (int, error) {
	if q == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: limit %q: not a positive number", ErrInvalid, q)
	}
	return min(n, 500), nil
}

func (d *Dashboard) messages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitOf(q.Get("limit"))
	if err != nil {
		writeJSON(w, nil, err)
		return
	}
	name := q.Get("pipeline")
	idText, key := q.Get("id"), q.Get("key")
	if idText == "" && key == "" {
		m, err := d.Messages(name, limit)
		writeJSON(w, m, err)
		return
	}
	var id uint64
	if idText != "" {
		if id, err = strconv.ParseUint(idText, 10, 64); err != nil || id == 0 {
			writeJSON(w, nil, fmt.Errorf("%w: message id %q: not a positive number", ErrInvalid, idText))
			return
		}
	}
	ms, err := d.Find(name, id, key, limit)
	writeJSON(w, map[string]any{"pipeline": name, "found": ms}, err)
}

func (d *Dashboard) diagram(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e, ok := d.workflowEntry(q.Get("workflow"))
	if !ok {
		writeJSON(w, nil, errUnknown("workflow", q.Get("workflow")))
		return
	}
	var status map[string]string
	if id := q.Get("id"); id != "" {
		x, err := d.Execution(e.name, id)
		if err != nil {
			writeJSON(w, nil, err)
			return
		}
		status = map[string]string{}
		for _, t := range x.Tasks {
			status[t.Ref] = t.Status
		}
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(Diagram(e.def, status)))
}

// stream sends State as a server-sent event at once and then every interval, until the page
// goes, the request's context ends, or Close.
func (d *Dashboard) stream(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	select {
	case <-d.closed:
		d.mu.Unlock()
		writeJSON(w, nil, ErrClosed)
		return
	default:
	}
	d.streams.Add(1)
	d.mu.Unlock()
	defer d.streams.Done()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	tick := time.NewTicker(d.cfg.interval)
	defer tick.Stop()
	for {
		b, err := json.Marshal(d.State())
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(w, "retry: %d\nevent: state\ndata: %s\n\n", d.cfg.interval.Milliseconds(), b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-d.closed:
			return
		case <-tick.C:
		}
	}
}
