package conductor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/baton-go/baton"
)

// httpTask is an HTTP task: it makes the request its input describes — in
// inputParameters.http_request, or in inputParameters themselves — with net/http (the client
// of WithHTTPClient), and outputs {"response": {"statusCode", "reasonPhrase", "headers",
// "body"}}. A 2xx status completes it (with asyncComplete, it then waits for an update from
// outside, see wait.go); any other status, or a request that fails or times out, fails the
// attempt, which is retried as the task definition says. Fields, as Conductor's HttpTask.Input:
//
//   - uri and method (GET, PUT, POST, PATCH, DELETE, OPTIONS, HEAD, TRACE), required;
//   - headers: a map whose values are sent as text (null ones are not);
//   - body: a string is sent as it is, any other value as JSON;
//   - accept and contentType: default application/json;
//   - connectionTimeOut and readTimeOut, in milliseconds (default 3000 each; 0: none): the
//     request, its response body included, must end within their sum.
//
// The response body is decoded as JSON when it is (an object, a list, a number; other JSON
// values as their text), else kept as text; one larger than WithMaxOutputSize fails the task
// without retries (ErrLimit).
type httpTask struct{ ctask }

func (t *httpTask) compile(c *compiler, _ place) {
	checkHTTPInput(c, &t.ctask)
	if t.wt.AsyncComplete || t.wt.InputParameters["asyncComplete"] != nil {
		c.waitingOptions(&t.ctask)
	}
}

// checkHTTPInput checks what can be checked at load of an HTTP or HTTP_POLL task's request:
// that it has a uri and a method, and that a literal method is one HTTP has.
func checkHTTPInput(c *compiler, ct *ctask) {
	req := ct.wt.InputParameters
	field := "inputParameters"
	if r, ok := req["http_request"]; ok {
		if m, isMap := r.(map[string]any); isMap {
			req, field = m, field+".http_request"
		} else {
			return // an expression: known at run time
		}
	}
	if req["uri"] == nil {
		c.fail(ct.ref, field+".uri", fmt.Errorf("%w: required for %s", ErrMalformed, ct.typ))
	}
	switch m := req["method"].(type) {
	case nil:
		c.fail(ct.ref, field+".method", fmt.Errorf("%w: required for %s", ErrMalformed, ct.typ))
	case string:
		if !strings.Contains(m, "${") && !httpMethods[strings.ToUpper(m)] {
			c.fail(ct.ref, field+".method", fmt.Errorf("%w: method %q (want GET, PUT, POST, PATCH, DELETE, OPTIONS, HEAD or TRACE)", ErrMalformed, m))
		}
	}
}

var httpMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "PATCH": true, "DELETE": true, "OPTIONS": true, "HEAD": true, "TRACE": true}

func (t *httpTask) process(w *Workflow) stageFn {
	return func(ctx context.Context, s *state, slip *baton.Slip) (*state, error) {
		x, err := w.begin(&t.ctask, s)
		if err != nil {
			return nil, err
		}
		return t.runDynamic(ctx, w, s, slip, t.wt, &x)
	}
}

func (t *httpTask) checkDynamic(*Workflow, *WorkflowTask) error { return nil }

func (t *httpTask) runDynamic(ctx context.Context, w *Workflow, s *state, slip *baton.Slip, wt *WorkflowTask, x *execution) (*state, error) {
	req, err := readHTTPRequest(x.in)
	if err != nil {
		return nil, baton.Permanent(err)
	}
	resp, err := w.httpCall(ctx, req)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"response": resp.asMap()}
	if !resp.ok(nil) {
		return nil, resp.failure()
	}
	if async, ok := x.in["asyncComplete"].(bool); ok && async || !ok && wt.AsyncComplete {
		more, err := awaitUpdate(ctx, s, x, noDeadline, out)
		if err != nil {
			return nil, err
		}
		for k, v := range more {
			out[k] = v
		}
	}
	return x.done(s, slip, out), nil
}

// httpRequest is an HTTP task's request, read from its resolved input.
type httpRequest struct {
	uri, method, contentType string
	accept                   []string
	headers                  map[string]any
	body                     any
	timeout                  time.Duration  // 0: none
	raw                      map[string]any // the request's input (http_request, or the task's input)
}

// readHTTPRequest reads the request of an HTTP or HTTP_POLL task's input.
func readHTTPRequest(in map[string]any) (*httpRequest, error) {
	raw := in
	if r, ok := in["http_request"]; ok && r != nil {
		m, isMap := r.(map[string]any)
		if !isMap {
			return nil, fmt.Errorf("http_request: want an object, got %s", caseText(r))
		}
		raw = m
	}
	r := &httpRequest{raw: raw, contentType: "application/json", accept: []string{"application/json"}, body: raw["body"]}
	r.uri, _ = raw["uri"].(string)
	if r.uri == "" {
		return nil, fmt.Errorf("missing HTTP URI (uri)")
	}
	r.method, _ = raw["method"].(string)
	r.method = strings.ToUpper(r.method)
	if r.method == "" {
		return nil, fmt.Errorf("no HTTP method specified (method)")
	}
	if !httpMethods[r.method] {
		return nil, fmt.Errorf("method %q: want GET, PUT, POST, PATCH, DELETE, OPTIONS, HEAD or TRACE", r.method)
	}
	if ct, ok := raw["contentType"].(string); ok && ct != "" {
		r.contentType = ct
	}
	switch a := raw["accept"].(type) {
	case string:
		r.accept = []string{a}
	case []any:
		r.accept = nil
		for _, v := range a {
			r.accept = append(r.accept, text(v))
		}
	}
	switch h := raw["headers"].(type) {
	case map[string]any:
		r.headers = h
	case nil:
	default:
		return nil, fmt.Errorf("headers: want an object, got %s", caseText(h))
	}
	millis := func(name string) (time.Duration, error) {
		switch v := raw[name].(type) {
		case nil:
			return 3000 * time.Millisecond, nil
		case float64:
			if v < 0 {
				return 0, fmt.Errorf("%s %v: negative", name, v)
			}
			return time.Duration(v) * time.Millisecond, nil
		}
		return 0, fmt.Errorf("%s: want milliseconds, got %s", name, caseText(raw[name]))
	}
	conn, err := millis("connectionTimeOut")
	if err != nil {
		return nil, err
	}
	read, err := millis("readTimeOut")
	if err != nil {
		return nil, err
	}
	if conn > 0 && read > 0 {
		r.timeout = conn + read
	}
	return r, nil
}

// httpResponse is the response of an HTTP call, as Conductor's HttpTask.HttpResponse.
type httpResponse struct {
	status  int
	headers http.Header
	body    any
}

func (r *httpResponse) asMap() map[string]any {
	headers := make(map[string]any, len(r.headers))
	for k, vs := range r.headers {
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		headers[k] = list
	}
	return map[string]any{
		"statusCode": float64(r.status), "reasonPhrase": http.StatusText(r.status),
		"headers": headers, "body": r.body,
	}
}

// ok reports whether the status is accepted: one of accepted, or 2xx when there are none.
func (r *httpResponse) ok(accepted []int) bool {
	if len(accepted) > 0 {
		for _, a := range accepted {
			if a == r.status {
				return true
			}
		}
		return false
	}
	return r.status >= 200 && r.status < 300
}

// failure is the error of a response whose status fails the task: retryable, as in Conductor.
func (r *httpResponse) failure() error {
	reason := "no response body"
	if r.body != nil {
		reason = text(r.body)
		if len(reason) > 512 {
			reason = reason[:512] + "…"
		}
	}
	return fmt.Errorf("HTTP status %d %s: %s", r.status, http.StatusText(r.status), reason)
}

// httpCall makes the request with the Runtime's client, within its timeout and ctx.
func (w *Workflow) httpCall(ctx context.Context, r *httpRequest) (*httpResponse, error) {
	var body io.Reader
	if r.body != nil {
		if s, ok := r.body.(string); ok {
			body = strings.NewReader(s)
		} else {
			data, err := json.Marshal(r.body)
			if err != nil {
				return nil, baton.Permanent(fmt.Errorf("body: %w", err))
			}
			body = bytes.NewReader(data)
		}
	}
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.uri, body)
	if err != nil {
		return nil, baton.Permanent(fmt.Errorf("HTTP request: %w", err))
	}
	if body != nil {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", strings.Join(r.accept, ", "))
	for k, v := range r.headers {
		if v != nil {
			req.Header.Set(k, text(v))
		}
	}
	resp, err := w.cfg.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("HTTP %s %s: %w", r.method, r.uri, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(w.cfg.maxOutput)+1))
	if err != nil {
		return nil, fmt.Errorf("HTTP %s %s: reading the response: %w", r.method, r.uri, err)
	}
	if len(data) > w.cfg.maxOutput {
		return nil, baton.Permanent(fmt.Errorf("%w: HTTP response body larger than %d bytes (WithMaxOutputSize)", ErrLimit, w.cfg.maxOutput))
	}
	return &httpResponse{status: resp.StatusCode, headers: resp.Header, body: responseBody(data)}, nil
}

// responseBody decodes a response body as Conductor's HttpTask.extractBody does: JSON objects,
// lists and numbers as such, other JSON values as their text, anything else as it is (nil when
// empty).
func responseBody(data []byte) any {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&v); err != nil || dec.More() {
		return string(data)
	}
	switch v := v.(type) {
	case map[string]any, []any, float64:
		return v
	case nil:
		return "null"
	default:
		return text(v)
	}
}
