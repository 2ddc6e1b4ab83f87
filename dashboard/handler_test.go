package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The page renders hostile names as text, and its JSON-in-HTML block carries them intact:
// nothing in it can end the script element or start markup.
func TestPageEscapesHostileValues(t *testing.T) {
	d := newDashboard(t, WithTitle(hostile))
	p := shop(t, d, hostile, baton.Orchestrated)
	runAll(t, d, hostile, p, 5)
	res, body := get(t, d, "/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.NotContains(t, body, "<script>window")
	assert.NotContains(t, body, "<img src=x")
	// Exactly the page's own two script elements.
	assert.Equal(t, 2, strings.Count(body, "<script"), body)
	assert.Contains(t, body, "&lt;script&gt;window.__xss=1&lt;/script&gt;", "the title as text")

	m := regexp.MustCompile(`(?s)<script type="application/json" id="initial">(.*?)</script>`).FindStringSubmatch(body)
	require.Len(t, m, 2, "the initial state block")
	var st State
	require.NoError(t, json.Unmarshal([]byte(m[1]), &st))
	assert.Equal(t, hostile, st.Title)
	require.Len(t, st.Pipelines, 1)
	assert.Equal(t, hostile, st.Pipelines[0].Name)
	assert.Equal(t, hostile, st.Pipelines[0].Stages[2].Name)
}

// The JSON API returns hostile values intact, as JSON strings that cannot be read as markup
// if a browser sniffed them.
func TestJSONCarriesHostileValuesIntact(t *testing.T) {
	d := newDashboard(t)
	p := shop(t, d, "shop", baton.Choreographed)
	runAll(t, d, "shop", p, 5)
	res, body := get(t, d, "/api/messages?pipeline=shop")
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	assert.NotContains(t, body, "<script>")
	var m Messages
	require.NoError(t, json.Unmarshal([]byte(body), &m))
	require.Len(t, m.Failed, 1)
	assert.Equal(t, "card declined: "+hostile, m.Failed[0].Timeline[7].Error)
	assert.Equal(t, hostile, m.Failed[0].Path[2])

	res, body = get(t, d, "/api/state")
	require.Equal(t, http.StatusOK, res.StatusCode)
	var st State
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, "shop", st.Pipelines[0].Name)
	assert.Equal(t, "choreographed", st.Pipelines[0].Strategy)
	assert.Equal(t, int64(5), st.Pipelines[0].Stages[0].Processed)
}

// Bad requests get clear errors with the right status, and nothing is served but GET.
func TestAPIErrors(t *testing.T) {
	d := newDashboard(t)
	shop(t, d, "shop", baton.Orchestrated)
	for _, c := range []struct {
		url    string
		status int
		text   string
	}{
		{"/api/messages?pipeline=nope", 404, `pipeline \"nope\"`},
		{"/api/messages?pipeline=shop&id=x", 400, "not a positive number"},
		{"/api/messages?pipeline=shop&limit=0", 400, "limit"},
		{"/api/execution?workflow=nope&id=1", 404, "workflow"},
		{"/api/diagram.svg?workflow=nope", 404, "workflow"},
		{"/nope", 404, ""},
	} {
		res, body := get(t, d, c.url)
		assert.Equal(t, c.status, res.StatusCode, c.url)
		assert.Contains(t, body, c.text, c.url)
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/state", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)

	_, err := New(WithRecent(-1), WithInterval(time.Millisecond))
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "WithRecent(-1)")
	assert.ErrorContains(t, err, "WithInterval(1ms)")
	assert.ErrorIs(t, d.AddPipeline("shop", &baton.Pipeline[int]{}), ErrDuplicate)
	assert.ErrorIs(t, d.AddPipeline("", &baton.Pipeline[int]{}), ErrInvalid)
	assert.ErrorIs(t, d.AddPipeline("x", nil), ErrInvalid)
	assert.ErrorIs(t, d.AddWorkflow(nil), ErrInvalid)
}

// Actions are refused unless the program enabled them, and then unless they come from the
// page (a POST with its header, from its own origin).
func TestReadOnlyUnlessActionsEnabled(t *testing.T) {
	post := func(d *Dashboard, header, origin string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/complete?workflow=w/v1&id=1&task=t", nil)
		if header != "" {
			req.Header.Set(actionHeader, header)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		return rec.Code
	}
	ro := newDashboard(t)
	assert.Equal(t, http.StatusForbidden, post(ro, "1", ""))
	rw := newDashboard(t, WithActions())
	assert.Equal(t, http.StatusForbidden, post(rw, "", ""), "no header: not the page")
	assert.Equal(t, http.StatusForbidden, post(rw, "1", "http://evil.example"), "another origin")
	assert.NotEqual(t, http.StatusForbidden, post(rw, "1", "http://example.com"), "the page's own origin")
}

// Mounted under a prefix, the page's links are relative, and the prefix without its slash
// redirects to it.
func TestPathPrefix(t *testing.T) {
	d := newDashboard(t)
	shop(t, d, "shop", baton.Orchestrated)
	mux := http.NewServeMux()
	mux.Handle("/debug/baton/", http.StripPrefix("/debug/baton", d))
	mux.Handle("/debug/baton", http.StripPrefix("/debug/baton", d))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.URL + "/debug/baton")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMovedPermanently, res.StatusCode)
	assert.Equal(t, "baton/", res.Header.Get("Location"))

	res, err = http.Get(srv.URL + "/debug/baton") // followed
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, srv.URL+"/debug/baton/", res.Request.URL.String())
	assert.Contains(t, string(body), `href="app.css"`)
	assert.Contains(t, string(body), `src="app.js"`)
	for _, asset := range []string{"app.js", "app.css", "api/state"} {
		res, err := http.Get(srv.URL + "/debug/baton/" + asset)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, asset)
	}
	js, _ := assets.ReadFile("assets/app.js")
	assert.NotRegexp(t, `(fetch|EventSource)\("/`, string(js), "the script's URLs are relative")
	assert.NotContains(t, string(js), "innerHTML", "the script puts values in the page as text only")
	assert.NotRegexp(t, `https?://(?:[^w]|w[^w]|ww[^w])`, string(js)+string(body), "no external asset")
}

// The live stream sends State at once and then every interval; Close ends open streams.
func TestStreamUpdatesAndClose(t *testing.T) {
	d, err := New(WithInterval(50 * time.Millisecond))
	require.NoError(t, err)
	p := shop(t, d, "shop", baton.Orchestrated)
	srv := httptest.NewServer(d)
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/api/stream", nil)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	lines := bufio.NewScanner(res.Body)
	lines.Buffer(nil, 1<<20)
	next := func() State {
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var st State
				require.NoError(t, json.Unmarshal([]byte(data), &st))
				return st
			}
		}
		t.Fatal("stream ended:", lines.Err())
		return State{}
	}
	assert.Equal(t, int64(0), next().Pipelines[0].Stages[0].Processed)
	runAll(t, d, "shop", p, 3)
	for st := next(); st.Pipelines[0].Stages[0].Processed != 3; st = next() {
	}
	done := make(chan struct{})
	go func() { d.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the stream")
	}
	for lines.Scan() { // the stream ends
	}
	res, body := get(t, d, "/api/stream")
	assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
	assert.Contains(t, body, "closed")
}

// xmlWellFormed fails unless s parses as XML to its end.
func xmlWellFormed(t *testing.T, s string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return
		}
		require.NoError(t, err, s)
	}
}
