package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests drive the page in headless Chromium (the Debian package: apt-get install -y
// chromium; .ci/run installs it). They never skip: without Chromium they fail.

// chromium returns the browser's path, failing the test with how to install it when missing.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser tests need Chromium: apt-get update && apt-get install -y chromium (.ci/run does it)")
	return ""
}

// browser returns a chromedp context on a fresh headless Chromium, closed at the test's end.
func browser(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "starting Chromium")
	return ctx
}

// site serves a dashboard under /debug/baton/ with both strategies' shops, fed in the
// background until the test ends (if feed; else 20 messages each), a pipeline of hostile strings, and the order workflow with
// one execution of each outcome. It returns the page's URL.
func site(t *testing.T, feed bool) (*Dashboard, string) {
	d := newDashboard(t, WithInterval(100*time.Millisecond), WithTitle("shop "+hostile))
	ctx, stop := context.WithCancel(context.Background())
	var feeders sync.WaitGroup
	for _, s := range strategies {
		p := shop(t, d, name(s), s)
		feeders.Go(func() {
			for i := 1; ctx.Err() == nil && (feed || i <= 20); i++ {
				RecordResult(d, name(s), p.ProcessResult(ctx, i))
				if feed {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	t.Cleanup(func() { stop(); feeders.Wait() })
	if !feed {
		feeders.Wait()
	}

	// Hostile values: the value is the key, and the error repeats it.
	hp, err := baton.New([]baton.Stage[string]{
		baton.Func(hostile, func(_ context.Context, v string) (string, error) { return v, errors.New("refused " + v) }),
	}, baton.WithName("hostile"), baton.WithObserver(d.Observer()), baton.WithKey(func(v string) string { return v }))
	require.NoError(t, err)
	t.Cleanup(func() { hp.Close() })
	require.NoError(t, d.AddPipeline("hostile", hp))
	RecordResult(d, "hostile", hp.ProcessResult(context.Background(), hostile))

	w := workflow(t, d, baton.Choreographed, nil)
	_, err = d.Run(context.Background(), w, map[string]any{"order": hostile, "kind": "express"}, conductor.WithWorkflowID("ok-1"))
	require.NoError(t, err)
	_, err = d.Run(context.Background(), w, map[string]any{"order": "bad"}, conductor.WithWorkflowID("bad-1"))
	require.Error(t, err)

	mux := http.NewServeMux()
	mux.Handle("/debug/baton/", http.StripPrefix("/debug/baton", d))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { d.Close(); srv.Close() }) // Close ends the page's stream first
	return d, srv.URL + "/debug/baton/"
}

func card(name string) string { return fmt.Sprintf(`article.pipeline[data-name=%q]`, name) }

// do runs steps in the page, failing the test at the first error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

// eval returns the value of the JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// text returns the visible text of the first element sel selects.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, sel)
	return v
}

// textsOf is the expression of the textContents of the elements sel selects.
func textsOf(sel string) string {
	return `[...document.querySelectorAll(` + strconv.Quote(sel) + `)].map(e => e.textContent)`
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
func until(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[chromedp.Void](expr)(ctx, tg)
		return chromedp.Void{}, err
	}
}

// The page loads, shows every stage of a running pipeline with its counts, and the counts
// move without a reload.
func TestBrowserShowsLivePipeline(t *testing.T) {
	ctx := browser(t)
	_, url := site(t, true)
	orch := card(name(baton.Orchestrated))
	processed := orch + ` tr[data-stage="validate"] td.processed`
	do(t, ctx, chromedp.Navigate(url), visible(orch+` table.stages tbody tr`))
	assert.Equal(t, []string{"validate", "reserve", hostile, "charge"}, eval[[]string](t, ctx, textsOf(orch+` table.stages tbody td:first-child`)),
		"the stages, the hostile name as text")
	first := text(t, ctx, processed)
	// Live: the count changes while the page stays.
	do(t, ctx, until(fmt.Sprintf(`document.querySelector(%q).textContent !== %q`, processed, first)))
	assert.NotEqual(t, first, text(t, ctx, processed))
	assert.Equal(t, "live", text(t, ctx, "#live"))
	// The hand-off graph draws the hand-offs taken, weighted by count.
	assert.Equal(t, 6, eval[int](t, ctx, `document.querySelectorAll(`+strconv.Quote(orch+` svg.graph path.e`)+`).length`),
		"in→validate→reserve→hostile→charge→done, charge→failed")
	// Both strategies are shown.
	assert.Equal(t, "choreographed", text(t, ctx, card(name(baton.Choreographed))+` .badge`))
	noScriptRan(t, ctx)
}

// A failed message opens on its timeline: its steps, its failure with the error's text, and
// the compensation; a message is found by its key.
func TestBrowserOpensFailedMessageTimeline(t *testing.T) {
	ctx := browser(t)
	_, url := site(t, false)
	orch := card(name(baton.Orchestrated))
	do(t, ctx, chromedp.Navigate(url), visible(orch+` .list tr.message.failed`), click(orch+` .list tr.message.failed`),
		visible(`#detail .message-detail .timeline li.failed`))
	assert.Equal(t, []string{"step started", "step ended", "step started", "step ended", "step started", "step ended",
		"step started", "step ended", "compensation started", "compensation ended", "message finished"},
		eval[[]string](t, ctx, textsOf(`#detail .timeline li b`)))
	assert.Equal(t, []string{errBad.Error()}, eval[[]string](t, ctx, textsOf(`#detail .timeline li.failed .err`)))
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(orch+` input.find-key`), "order-5"), click(orch+` button.find`),
		until(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, orch+` .list tr.message`)))
	assert.Equal(t, "order-5", text(t, ctx, orch+` .list tr.message td.key`))
	noScriptRan(t, ctx)
}

// A Conductor workflow is drawn as a diagram, and an execution colours the path it took.
func TestBrowserRendersConductorDiagram(t *testing.T) {
	ctx := browser(t)
	_, url := site(t, false)
	wf := `article.workflow[data-name="order_flow/v2"]`
	do(t, ctx, chromedp.Navigate(url), visible(wf+` svg.diagram g.task[data-ref="check"]`))
	refs := eval[[]string](t, ctx, `[...document.querySelectorAll(`+strconv.Quote(wf+` svg.diagram g.task`)+`)].map(e => e.getAttribute("data-ref"))`)
	assert.ElementsMatch(t, []string{"check", "route", "fly", "truck", "fork", "bill", hostile, "join"}, refs)
	do(t, ctx, click(wf+` tr.execution[data-id="ok-1"]`), visible(wf+` svg.diagram g.task.st-COMPLETED[data-ref="fly"]`),
		visible(`#detail .execution-detail`))
	assert.Equal(t, "COMPLETED", text(t, ctx, `#detail .execution-detail b.status`))
	assert.Equal(t, "path: check → route → fly → fork → bill → "+hostile+" → join", text(t, ctx, `#detail .execution-detail .path`))
	assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll(`+strconv.Quote(wf+` g.task.st-COMPLETED[data-ref="truck"]`)+`).length`),
		"the case not taken stays uncoloured")
	noScriptRan(t, ctx)
}

// Hostile message values, keys, errors, stage names and titles show as the same text, and
// none of them runs or adds an element.
func TestBrowserShowsHostileValuesAsText(t *testing.T) {
	ctx := browser(t)
	_, url := site(t, false)
	h := card("hostile")
	do(t, ctx, chromedp.Navigate(url), visible(h+` .list tr.message.failed`), click(h+` .list tr.message.failed`),
		visible(`#detail .message-detail`))
	assert.Equal(t, hostile, eval[string](t, ctx, `document.querySelector("#detail code.key").textContent`))
	assert.Equal(t, hostile, eval[string](t, ctx, `document.querySelector("#detail pre.value").textContent`))
	msgErr := eval[string](t, ctx, `document.querySelector("#detail .message-error").textContent`)
	assert.True(t, strings.HasSuffix(msgErr, ": refused "+hostile), msgErr)
	assert.Equal(t, "shop "+hostile, eval[string](t, ctx, `document.querySelector("header h1").textContent`))
	assert.Equal(t, "shop "+hostile+" dashboard", eval[string](t, ctx, `document.title`))
	noScriptRan(t, ctx)
}

// noScriptRan fails if a hostile string ran (it sets window.__xss) or made an element.
func noScriptRan(t *testing.T, ctx context.Context) {
	t.Helper()
	assert.False(t, eval[bool](t, ctx, `window.__xss !== undefined`), "a hostile string ran as script")
	assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll("img, script:not([src]):not([type='application/json'])").length`),
		"a hostile string made an element")
}

// With actions enabled, a waiting HUMAN task is completed from the page, with the output
// typed there, and the execution ends with it.
func TestBrowserCompletesWaitingTask(t *testing.T) {
	ctx := browser(t)
	d := newDashboard(t, WithActions(), WithInterval(100*time.Millisecond))
	rt, err := conductor.New(conductor.WithPipelineOptions(baton.WithObserver(d.Observer())))
	require.NoError(t, err)
	w, err := rt.Load([]byte(`{"name": "approve", "version": 1, "tasks": [
		{"name": "ask", "taskReferenceName": "ask", "type": "HUMAN"}], "outputParameters": {"ok": "${ask.output.approved}"}}`))
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	require.NoError(t, d.AddWorkflow(w))
	h, err := d.Start(context.Background(), w, nil, conductor.WithWorkflowID("ap-1"))
	require.NoError(t, err)
	_, err = h.AwaitTask(context.Background(), "ask")
	require.NoError(t, err)
	srv := httptest.NewServer(d)
	t.Cleanup(func() { d.Close(); srv.Close() })

	wf := `article.workflow[data-name="approve/v1"]`
	do(t, ctx, chromedp.Navigate(srv.URL), click(wf+` tr.execution[data-id="ap-1"]`),
		visible(`#detail .task-wait[data-ref="ask"] textarea.output`),
		// Filled and clicked in one script, once both are there: the detail panel is rebuilt when
		// the execution's first refresh lands, and a node found before that is gone by the time
		// a separate step acts on it ("Could not find node with given id", seen in CI).
		until(`(() => {
			const w = document.querySelector('#detail .task-wait[data-ref="ask"]');
			const out = w?.querySelector('textarea.output'), b = w?.querySelector('button.complete');
			if (!out || !b) return false;
			out.value = '{"approved": true}';
			b.click();
			return true;
		})()`))
	e, err := h.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ok": true}, e.Output)
	// The executions list is refreshed too: the row is clicked in the script that finds it.
	do(t, ctx, until(`(() => {
		const row = document.querySelector('`+wf+` tr.execution[data-id="ap-1"]');
		if (row) row.click();
		return document.querySelector("#detail .execution-detail b.status")?.textContent === "COMPLETED";
	})()`))
}

// What the user types into a waiting task's output box survives the detail panel's rebuild
// when the execution changes meanwhile (here another waiting task is completed by the
// program), and so does the box's focus.
func TestBrowserKeepsTypedOutputAcrossRefresh(t *testing.T) {
	ctx := browser(t)
	d := newDashboard(t, WithActions(), WithInterval(100*time.Millisecond))
	rt, err := conductor.New(conductor.WithPipelineOptions(baton.WithObserver(d.Observer())))
	require.NoError(t, err)
	w, err := rt.Load([]byte(`{"name": "two-asks", "version": 1, "tasks": [
		{"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [
			[{"name": "ask", "taskReferenceName": "ask", "type": "HUMAN"}],
			[{"name": "other", "taskReferenceName": "other", "type": "HUMAN"}]]},
		{"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["ask", "other"]}]}`))
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	require.NoError(t, d.AddWorkflow(w))
	h, err := d.Start(context.Background(), w, nil, conductor.WithWorkflowID("two-1"))
	require.NoError(t, err)
	for _, ref := range []string{"ask", "other"} {
		_, err = h.AwaitTask(context.Background(), ref)
		require.NoError(t, err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(func() { d.Close(); srv.Close() })

	wf := `article.workflow[data-name="two-asks/v1"]`
	const typed = `{"approved": tr`
	do(t, ctx, chromedp.Navigate(srv.URL), click(wf+` tr.execution[data-id="two-1"]`),
		visible(`#detail .task-wait[data-ref="other"] textarea.output`),
		// Typed as a user types (an input event into the focused box), in one script: see
		// TestBrowserCompletesWaitingTask.
		until(`(() => {
			const out = document.querySelector('#detail .task-wait[data-ref="ask"] textarea.output');
			if (!out) return false;
			out.focus();
			out.value = `+"`"+typed+"`"+`;
			out.setSelectionRange(5, 5);
			out.dispatchEvent(new Event("input"));
			return true;
		})()`))
	require.NoError(t, h.CompleteTask(context.Background(), "other", map[string]any{"done": true}))
	do(t, ctx, until(`(() => {
		if (document.querySelector('#detail .task-wait[data-ref="other"]')) return false; // not rebuilt yet
		const out = document.querySelector('#detail .task-wait[data-ref="ask"] textarea.output');
		return !!out && out.value === `+"`"+typed+"`"+` && document.activeElement === out && out.selectionStart === 5;
	})()`))
	require.NoError(t, h.CompleteTask(context.Background(), "ask", map[string]any{"approved": true}))
	_, err = h.Wait(ctx)
	require.NoError(t, err)
}
