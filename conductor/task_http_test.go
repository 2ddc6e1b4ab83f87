package conductor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers /echo with what it received, /status/N with status N, /slow after a
// while, /flaky with 500 until its third call.
func echoServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Seen", r.Header.Get("X-Token"))
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "body": string(body), "contentType": r.Header.Get("Content-Type"), "accept": r.Header.Get("Accept"),
		})
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "plain words") })
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `[1, "a"]`) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/status/404", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no such thing", http.StatusNotFound) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, strings.Repeat("x", 4096)) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) < 3 {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `{"ok": true}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &flaky
}

func httpDef(task string) string {
	return `{"name": "h", "version": 2, "tasks": [` + task + `], "outputParameters": {"r": "${h.output.response}"}}`
}

func TestHTTP(t *testing.T) {
	srv, flaky := echoServer(t)
	in := map[string]any{"url": srv.URL}
	response := func(e *Execution) map[string]any {
		r, _ := e.Output["r"].(map[string]any)
		return r
	}

	// POST, flat form: headers, JSON body, JSON response, status.
	e := runBoth(t, httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {
	  "uri": "${workflow.input.url}/echo", "method": "POST", "headers": {"X-Token": "t-${workflow.input.url}", "X-None": null},
	  "body": {"n": 1, "s": "two"}}}`), in)
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	r := response(e)
	assert.Equal(t, float64(200), r["statusCode"])
	assert.Equal(t, "OK", r["reasonPhrase"])
	assert.Equal(t, map[string]any{"method": "POST", "body": `{"n":1,"s":"two"}`, "contentType": "application/json", "accept": "application/json"}, r["body"])
	assert.Equal(t, []any{"t-" + srv.URL}, r["headers"].(map[string]any)["X-Seen"])

	// The legacy http_request form, a string body sent as it is, another accept and content type.
	e = runBoth(t, httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"http_request": {
	  "uri": "${workflow.input.url}/echo", "method": "put", "body": "a=b", "contentType": "text/plain", "accept": ["text/plain", "application/json"]}}}`), in)
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	assert.Equal(t, map[string]any{"method": "PUT", "body": "a=b", "contentType": "text/plain", "accept": "text/plain, application/json"}, response(e)["body"])

	// Bodies that are not objects.
	for path, want := range map[string]any{"/text": "plain words", "/list": []any{float64(1), "a"}, "/empty": nil} {
		e = runBoth(t, httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"uri": "${workflow.input.url}`+path+`", "method": "GET"}}`), in)
		require.Equal(t, StatusCompleted, e.Status, e.Reason)
		assert.Equal(t, want, response(e)["body"], path)
	}

	// A status that is not 2xx fails the task, naming the status and the body.
	e = runBoth(t, httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"uri": "${workflow.input.url}/status/404", "method": "GET"}}`), in)
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrTaskFailed)
	assert.Contains(t, e.Reason, "HTTP status 404 Not Found: no such thing")

	// It is retried as its task definition says.
	flaky.Store(0)
	e = run(t, strategies[0], httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "retryCount": 2, "inputParameters": {"uri": "${workflow.input.url}/flaky", "method": "GET"}}`), in)
	require.Equal(t, StatusCompleted, e.Status, e.Reason)
	require.Len(t, e.Tasks, 3) // two failed attempts, as in Conductor's task list, then the task
	assert.Equal(t, 3, e.Tasks[2].Attempts)
	assert.Equal(t, map[string]any{"ok": true}, response(e)["body"])

	// connectionTimeOut + readTimeOut bound the request.
	t0 := time.Now()
	e = runBoth(t, httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"uri": "${workflow.input.url}/slow", "method": "GET", "connectionTimeOut": 20, "readTimeOut": 30}}`), in)
	assert.Equal(t, StatusFailed, e.Status)
	assert.Contains(t, e.Reason, "deadline exceeded")
	assert.Less(t, time.Since(t0), 2*time.Second)

	// A body larger than WithMaxOutputSize fails without retries.
	e = runBoth(t, httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "retryCount": 3, "inputParameters": {"uri": "${workflow.input.url}/big", "method": "GET"}}`), in, WithMaxOutputSize(1000))
	assert.Equal(t, StatusFailed, e.Status)
	assert.ErrorIs(t, e.Err, ErrLimit)
	assert.Equal(t, 1, e.Tasks[len(e.Tasks)-1].Attempts)

	// Input known only at run time, checked then.
	e = runBoth(t, httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"uri": "${workflow.input.url}/echo", "method": "${workflow.input.m}"}}`), map[string]any{"url": srv.URL, "m": "FETCH"})
	assert.Equal(t, StatusFailed, e.Status)
	assert.Contains(t, e.Reason, `method "FETCH"`)
}

func TestHTTPLoadErrors(t *testing.T) {
	rt, err := New()
	require.NoError(t, err)
	for _, in := range []string{`{"method": "GET"}`, `{"uri": "http://x"}`, `{"uri": "http://x", "method": "FETCH"}`, `{"http_request": {"uri": "http://x"}}`} {
		_, err := rt.Load([]byte(httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": ` + in + `}`)))
		assert.ErrorIs(t, err, ErrMalformed, in)
	}
}

// With asyncComplete, the task waits after its request until an update completes it.
func TestHTTPAsyncComplete(t *testing.T) {
	srv, _ := echoServer(t)
	def := httpDef(`{"name": "h", "taskReferenceName": "h", "type": "HTTP", "asyncComplete": true, "inputParameters": {"uri": "` + srv.URL + `/list", "method": "GET"}}`)
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			ctx := context.Background()
			_, _, h := start(t, s, def, nil)
			_, err := h.AwaitTask(ctx, "h")
			require.NoError(t, err)
			require.NoError(t, h.CompleteTask(ctx, "h", map[string]any{"callback": "done"}))
			e := wait(t, h)
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, "done", e.Tasks[0].Output["callback"])
			assert.Equal(t, []any{float64(1), "a"}, e.Output["r"].(map[string]any)["body"])
		})
	}
}

func TestHTTPPoll(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := polls.Add(1)
		state := "RUNNING"
		if n >= 3 {
			state = "SUCCEEDED"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"state": state, "n": n})
	}))
	defer srv.Close()
	cond := "done?"
	js := fakeJS{cond: func(in map[string]any) any {
		body := in["output"].(map[string]any)["response"].(map[string]any)["body"].(map[string]any)
		return body["state"] == "SUCCEEDED"
	}, "never": func(map[string]any) any { return 0 }, "fail": func(map[string]any) any { return -1 }}
	def := func(condition string, max int) string {
		return `{"name": "p", "tasks": [{"name": "p", "taskReferenceName": "p", "type": "HTTP_POLL", "inputParameters": {"http_request": {
		  "uri": "` + srv.URL + `", "method": "GET", "terminationCondition": "` + condition + `", "pollingInterval": "0", "pollingStrategy": "LINEAR_BACKOFF",
		  "maxPollCount": ` + strings.Repeat("9", max) + `}}}], "outputParameters": {"state": "${p.output.response.body.state}", "polls": "${p.output.pollCount}"}}`
	}
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			polls.Store(0)
			e := run(t, s, def(cond, 1), nil, WithJavaScript(js))
			require.Equal(t, StatusCompleted, e.Status, e.Reason)
			assert.Equal(t, map[string]any{"state": "SUCCEEDED", "polls": float64(3)}, e.Output)

			polls.Store(0)
			e = run(t, s, def("never", 1), nil, WithJavaScript(js))
			assert.Equal(t, StatusFailed, e.Status)
			assert.Contains(t, e.Reason, "not met after 9 poll(s)")

			e = run(t, s, def("fail", 1), nil, WithJavaScript(js))
			assert.Equal(t, StatusFailed, e.Status)
			assert.Contains(t, e.Reason, "returned -1 after 1 poll(s)")
		})
	}
	rt, err := New()
	require.NoError(t, err)
	_, err = rt.Load([]byte(def(cond, 1)))
	assert.ErrorIs(t, err, ErrNoEngine)
}
