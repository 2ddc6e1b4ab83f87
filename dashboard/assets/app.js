// Baton dashboard. Every value from the server is put in the page as text (textContent,
// setAttribute): never as HTML. The only markup inserted is the server's own SVG diagram,
// whose texts the server escapes.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  let state = JSON.parse(document.getElementById("initial").textContent);
  const cards = new Map(); // "p:"+name or "w:"+name -> card object
  let detail = null;       // what the side panel shows: {type, ...}

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null && k !== false) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = String(text);
    return e;
  }
  const num = (n) => (n == null ? "" : Number(n).toLocaleString("en"));
  const rate = (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  function dur(s) {
    if (!s) return "–";
    if (s < 1e-6) return (s * 1e9).toFixed(0) + "ns";
    if (s < 1e-3) return (s * 1e6).toFixed(1) + "µs";
    if (s < 1) return (s * 1e3).toFixed(1) + "ms";
    return s.toFixed(2) + "s";
  }
  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }
  const q = (params) => new URLSearchParams(params).toString();

  // setRows shows items as the rows of tbody, one per key: a row whose key stays is kept and
  // only its changed cells are written, so that what the user points at is not replaced under
  // the pointer. cells(item) gives each cell as [text, class]; attrs(item) the row's attributes.
  function setRows(tbody, items, key, cells, attrs) {
    const old = new Map([...tbody.children].map((r) => [r.dataset.key, r]));
    const rows = items.map((it) => {
      const k = String(key(it));
      let r = old.get(k);
      if (!r) {
        r = el("tr", attrs ? attrs(it) : {});
        r.dataset.key = k;
      }
      const cs = cells(it);
      while (r.children.length < cs.length) r.append(el("td"));
      cs.forEach(([text, cls], i) => {
        const td = r.children[i];
        if (td.textContent !== String(text)) td.textContent = String(text);
        if (td.className !== (cls || "")) td.className = cls || "";
      });
      return r;
    });
    const same = rows.length === tbody.children.length && rows.every((r, i) => tbody.children[i] === r);
    if (!same) tbody.replaceChildren(...rows);
  }

  // ---- pipelines ----
  function pipelineCard(p) {
    const c = { name: p.name, tab: "failed", search: null };
    c.root = el("article", { class: "pipeline", id: "pipeline-" + p.name, "data-name": p.name });
    c.title = el("h2", {}, p.name);
    c.badge = el("span", { class: "badge" });
    c.figures = el("div", { class: "figures" });
    c.graph = sv("svg", { class: "graph", role: "img" });
    c.tbody = el("tbody");
    const head = el("tr", {}, ...["stage", "processed", "failed", "retried", "compensated", "running", "inbox", "rate/s", "p50", "p90", "p99"].map((h) => el("th", {}, h)));
    c.table = el("table", { class: "stages" }, el("thead", {}, head), c.tbody);
    c.list = el("div", { class: "list", onmouseenter: () => { c.hover = true; }, onmouseleave: () => { c.hover = false; } });
    c.buttons = {};
    const tabs = el("div", { class: "tabs" });
    for (const [k, label] of [["failed", "failed"], ["recent", "recent"], ["inFlight", "in flight"]]) {
      c.buttons[k] = el("button", { type: "button", "data-tab": k, onclick: () => { c.tab = k; c.search = null; loadMessages(c); } }, label);
      tabs.append(c.buttons[k]);
    }
    const idIn = el("input", { placeholder: "message id", inputmode: "numeric", class: "find-id" });
    const keyIn = el("input", { placeholder: "key", class: "find-key" });
    const find = el("button", { type: "button", class: "find", onclick: () => {
      c.search = { id: idIn.value.trim(), key: keyIn.value.trim() };
      if (!c.search.id && !c.search.key) c.search = null;
      loadMessages(c);
    } }, "find");
    tabs.append(el("span", {}, "·"), idIn, keyIn, find);
    c.root.append(c.title, c.badge, c.figures, c.graph, c.table, tabs, c.list);
    return c;
  }

  function updatePipeline(c, p) {
    c.badge.className = "badge " + p.strategy;
    c.badge.textContent = p.strategy;
    c.figures.replaceChildren(...[
      el("span", {}, "in flight ", el("b", { class: "inflight" }, num(p.inFlight))),
      el("span", {}, "finished/s ", el("b", {}, rate(p.rate1s)), " (1m ", rate(p.rate1m), ")"),
      el("span", {}, "events ", el("b", {}, num(p.events))),
      el("span", {}, "up ", el("b", {}, dur(p.elapsed))),
      p.observerPanics ? el("span", { class: "bad" }, "observer panics ", num(p.observerPanics)) : null,
      p.timed ? null : el("span", {}, "untimed: no latency")].filter(Boolean));
    setRows(c.tbody, p.stages, (s) => s.name, (s) => [[s.name], [num(s.processed), "processed"], [num(s.failed), s.failed ? "failed" : ""],
      [num(s.retried)], [num(s.compensated)], [num(s.running)], [num(s.inbox)], [rate(s.rate1s)], [dur(s.p50)], [dur(s.p90)], [dur(s.p99)]],
      (s) => ({ "data-stage": s.name }));
    drawGraph(c.graph, p);
    for (const [k, b] of Object.entries(c.buttons)) b.classList.toggle("sel", !c.search && c.tab === k);
    // The lists move more slowly than the figures: at most every 2s, not under the pointer.
    if (!c.hover && !(Date.now() - (c.loaded || 0) < 2000)) loadMessages(c);
  }

  // drawGraph draws the stages in a row, between where messages enter and how they leave, and
  // each hand-off taken as an arc weighted by its count: forward above, backward below.
  function drawGraph(svg, p) {
    const names = ["▶ in", ...p.stages.map((s) => s.name), "✓ done", "✗ failed"];
    for (const e of p.edges) for (const n of [e.from, e.to]) if (!names.includes(n)) names.splice(names.length - 2, 0, n);
    const W = 130, NW = 110, NH = 30, top = 70;
    const x = (n) => 20 + names.indexOf(n) * W;
    const width = 20 + names.length * W, height = top + NH + 70;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", width);
    svg.replaceChildren();
    const max = Math.max(1, ...p.edges.map((e) => e.count));
    for (const e of p.edges) {
      const x1 = x(e.from) + NW / 2, x2 = x(e.to) + NW / 2, w = 1 + 5 * Math.log1p(e.count) / Math.log1p(max);
      let d, lx, ly;
      if (e.from === e.to) {
        d = `M${x1 - 15} ${top} C${x1 - 30} ${top - 40} ${x1 + 30} ${top - 40} ${x1 + 15} ${top}`; lx = x1; ly = top - 34;
      } else {
        const fwd = x2 > x1, h = Math.min(55, 18 + Math.abs(x2 - x1) / 8), y = fwd ? top : top + NH, cy = fwd ? y - h : y + h;
        d = `M${x1} ${y} Q${(x1 + x2) / 2} ${cy} ${x2} ${y}`; lx = (x1 + x2) / 2; ly = fwd ? y - h / 2 - 2 : y + h / 2 + 10;
      }
      const path = sv("path", { class: "e" + (e.to === "✗ failed" ? " tofail" : ""), d, "stroke-width": w.toFixed(1) });
      path.append(sv("title", {}, `${e.from} → ${e.to}: ${e.count}`));
      svg.append(path, sv("text", { class: "w", x: lx, y: ly }, num(e.count)));
    }
    names.forEach((n, i) => {
      const pseudo = i === 0 || n === "✓ done" || n === "✗ failed";
      const g = sv("g", { class: "node" + (pseudo ? " pseudo" : "") + (n === "✗ failed" ? " failed" : ""), "data-stage": n });
      g.append(sv("rect", { x: x(n), y: top, width: NW, height: NH, rx: 5 }),
        sv("text", { x: x(n) + NW / 2, y: top + 19 }, n.length > 16 ? n.slice(0, 15) + "…" : n), sv("title", {}, n));
      svg.append(g);
    });
  }

  async function loadMessages(c) {
    c.loaded = Date.now();
    try {
      let rows;
      if (c.search) {
        const params = { pipeline: c.name };
        if (c.search.id) params.id = c.search.id;
        if (c.search.key) params.key = c.search.key;
        rows = (await getJSON("api/messages?" + q(params))).found;
      } else {
        rows = (await getJSON("api/messages?" + q({ pipeline: c.name, limit: 15 })))[c.tab];
      }
      if (!rows.length) { c.list.replaceChildren(el("p", { class: "empty" }, c.search ? "no message found" : "none")); return; }
      let tbody = c.list.querySelector("tbody");
      if (!tbody) { tbody = el("tbody"); c.list.replaceChildren(el("table", {}, tbody)); }
      c.shown = new Map(rows.map((m) => [String(m.id), m]));
      setRows(tbody, rows, (m) => m.id, (m) => [["#" + m.id], [m.key, "key"], [m.done ? (m.error ? "failed" : "ok") : "in flight"],
        [m.path.join(" → ")], [m.error || "", "err"]],
        (m) => ({ class: "message" + (m.error ? " failed" : ""), "data-id": m.id, onclick: (ev) => openMessage(c.name, c.shown.get(ev.currentTarget.dataset.key)) }));
    } catch (err) {
      c.list.replaceChildren(el("p", { class: "err" }, String(err.message || err)));
    }
  }

  function openMessage(pipeline, m) {
    detail = { type: "message", pipeline, id: m.id };
    showMessage(pipeline, m);
  }

  function showMessage(pipeline, m) {
    const t0 = Date.parse(m.accepted);
    const items = m.timeline.map((s) => {
      let cls = s.kind.replace(/ /g, "-");
      if (s.outcome === "failed" || s.outcome === "compensation failed") cls += " failed";
      else if (s.outcome === "succeeded") cls += " succeeded";
      if (s.kind === "retry scheduled") cls += " retry";
      if (s.kind.startsWith("compensation") || s.compensation) cls += " compensation";
      return el("li", { class: cls },
        el("span", { class: "when" }, "+" + dur((Date.parse(s.at) - t0) / 1000 || 0)),
        el("b", {}, s.kind), s.stage ? " " : null, s.stage ? el("code", { class: "stage" }, s.stage) : null,
        s.attempt ? " attempt " + s.attempt : null, s.outcome ? " — " + s.outcome : null,
        s.duration ? " in " + dur(s.duration) : null, s.backoff ? " retry after " + dur(s.backoff) : null,
        s.remaining ? el("div", {}, "slip now: " + s.remaining.join(" → ")) : null,
        s.error ? el("div", { class: "err" }, s.error) : null);
    });
    show(el("div", { class: "message-detail", "data-id": m.id },
      el("h2", {}, `${pipeline} · message #${m.id}`),
      el("p", {}, "key: ", el("code", { class: "key" }, m.key || "–"), " · ", m.done ? (m.error ? "failed" : "succeeded") : "in flight"),
      m.error ? el("p", { class: "err message-error" }, m.error) : null,
      m.value ? el("div", {}, "value:", el("pre", { class: "json value" }, m.value)) : null,
      el("p", {}, "path: ", m.path.join(" → ") || "–"),
      m.dropped ? el("p", {}, `${m.dropped} events not kept`) : null,
      el("ol", { class: "timeline" }, ...items)));
  }

  // ---- workflows ----
  function workflowCard(w) {
    const c = { name: w.name, exec: null };
    c.root = el("article", { class: "workflow", id: "workflow-" + w.name, "data-name": w.name });
    c.badge = el("span", { class: "badge" });
    c.figures = el("div", { class: "figures" });
    c.diagram = el("div", { class: "diagram-box" });
    c.tbody = el("tbody");
    const head = el("tr", {}, ...["task", "type", "processed", "failed", "retried", "running", "p50", "p99"].map((h) => el("th", {}, h)));
    c.execs = el("div", { class: "list executions" });
    c.root.append(el("h2", {}, w.name), c.badge, c.figures, c.diagram,
      el("table", { class: "tasks" }, el("thead", {}, head), c.tbody), el("h3", {}, "executions"), c.execs);
    loadDiagram(c);
    return c;
  }

  async function loadDiagram(c) {
    const params = { workflow: c.name };
    if (c.exec) params.id = c.exec;
    try {
      const r = await fetch("api/diagram.svg?" + q(params));
      if (!r.ok) throw new Error((await r.json()).error);
      const doc = new DOMParser().parseFromString(await r.text(), "image/svg+xml");
      c.diagram.replaceChildren(document.importNode(doc.documentElement, true));
    } catch (err) {
      c.diagram.replaceChildren(el("p", { class: "err" }, String(err.message || err)));
    }
  }

  function updateWorkflow(c, w) {
    c.badge.className = "badge " + w.strategy;
    c.badge.textContent = w.strategy;
    c.figures.replaceChildren(el("span", {}, "running ", el("b", {}, num(w.inFlight))),
      el("span", {}, "recorded ", el("b", {}, num(w.recent.length))));
    setRows(c.tbody, w.tasks, (t) => t.ref, (t) => [[t.ref], [t.type], [num(t.processed)], [num(t.failed), t.failed ? "failed" : ""],
      [num(t.retried)], [num(t.running)], [dur(t.p50)], [dur(t.p99)]], (t) => ({ "data-ref": t.ref }));
    const execs = [...w.running, ...w.recent].slice(0, 30);
    if (!execs.length) { c.execs.replaceChildren(el("p", { class: "empty" }, "none yet")); return; }
    let tbody = c.execs.querySelector("tbody");
    if (!tbody) { tbody = el("tbody"); c.execs.replaceChildren(el("table", {}, tbody)); }
    setRows(tbody, execs, (x) => x.workflowId + " " + x.status, (x) => [[x.workflowId], [x.status, x.status === "COMPLETED" ? "ok" : x.status === "RUNNING" ? "" : "bad"], [x.reason || "", "err"]],
      (x) => ({ class: "execution", "data-id": x.workflowId, onclick: () => openExecution(c, x.workflowId) }));
  }

  async function openExecution(c, id) {
    c.exec = id;
    detail = { type: "execution", workflow: c.name, id };
    loadDiagram(c);
    await refreshExecution();
  }

  async function refreshExecution() {
    const d = detail;
    let x;
    try { x = await getJSON("api/execution?" + q({ workflow: d.workflow, id: d.id })); } catch (err) { show(el("p", { class: "err" }, String(err.message || err))); return; }
    if (detail !== d) return; // another was opened meanwhile
    const seen = JSON.stringify(x);
    if (d.seen === seen) return; // unchanged: leave the panel as the user sees it
    d.seen = seen;
    d.running = x.running;
    const json = (v) => el("pre", { class: "json" }, v == null ? "–" : JSON.stringify(v, null, 2));
    const rows = x.tasks.map((t) => el("tr", { class: "st-" + t.status, "data-ref": t.ref },
      el("td", {}, t.ref), el("td", {}, t.type || ""), el("td", { class: "status" }, t.status), el("td", {}, num(t.attempts)),
      el("td", {}, json(t.input)), el("td", {}, json(t.output)), el("td", { class: "err" }, t.reason || "")));
    // The panel is rebuilt: what the user was typing into a waiting task's output box, and
    // where, is kept (d.drafts holds the text of every box; the focused one gets its focus and
    // selection back).
    const active = document.activeElement;
    const typing = active && active.matches && active.matches("#detail .task-wait textarea.output")
      ? { ref: active.closest(".task-wait").dataset.ref, start: active.selectionStart, end: active.selectionEnd } : null;
    show(el("div", { class: "execution-detail", "data-id": x.workflowId },
      el("h2", {}, `${x.workflow} · ${x.workflowId}`),
      el("p", {}, el("b", { class: "status" }, x.status), x.reason ? el("span", { class: "err" }, " " + x.reason) : null),
      el("p", { class: "path" }, "path: ", x.path.join(" → ") || "–"),
      el("div", {}, "input:", json(x.input)), el("div", {}, "output:", json(x.output)),
      pendingForms(d, x),
      el("table", { class: "exec-tasks" }, el("thead", {}, el("tr", {}, ...["task", "type", "status", "attempts", "input", "output", "reason"].map((h) => el("th", {}, h)))), el("tbody", {}, ...rows))));
    if (typing) {
      const box = [...document.querySelectorAll("#detail .task-wait")].find((w) => w.dataset.ref === typing.ref)?.querySelector("textarea.output");
      if (box) { box.focus(); box.setSelectionRange(typing.start, typing.end); }
    }
  }

  // pendingForms offers, for each task of x waiting for an update, to complete it (with an
  // output given as JSON) or fail it: only when the program enabled actions.
  function pendingForms(d, x) {
    if (!x.pending || !x.pending.length) return null;
    const box = el("div", { class: "pending" }, el("h3", {}, "waiting for an update"));
    const drafts = d.drafts || (d.drafts = new Map()); // task ref → the text typed for it
    for (const p of x.pending) {
      const out = el("textarea", { class: "output", rows: 2, placeholder: '{"approved": true}', oninput: () => drafts.set(p.ref, out.value) });
      out.value = drafts.get(p.ref) || "";
      const msg = el("span", { class: "err" });
      const send = async (status) => {
        const params = { workflow: d.workflow, id: d.id, task: p.ref, status };
        if (status === "FAILED") params.reason = out.value || "failed from the dashboard";
        const r = await fetch("api/complete?" + q(params), { method: "POST", headers: { "X-Baton-Action": "1", "Content-Type": "application/json" },
          body: status === "COMPLETED" ? out.value : "" });
        const body = await r.json();
        msg.textContent = r.ok ? "sent" : body.error;
        if (r.ok) drafts.delete(p.ref);
        d.seen = null;
        refreshExecution();
      };
      box.append(el("div", { class: "task-wait", "data-ref": p.ref }, el("code", {}, p.ref), " ", p.type, " ",
        el("pre", { class: "json" }, JSON.stringify(p.input || {}, null, 2)),
        state.actions ? el("div", { class: "actions" }, out, " ",
          el("button", { type: "button", class: "complete", onclick: () => send("COMPLETED") }, "complete"), " ",
          el("button", { type: "button", class: "fail", onclick: () => send("FAILED") }, "fail"), " ", msg)
          : el("p", { class: "empty" }, "read-only: the program did not enable actions")));
    }
    return box;
  }

  // ---- page ----
  function show(node) {
    document.getElementById("detail-body").replaceChildren(node);
    document.getElementById("detail").hidden = false;
  }
  document.getElementById("close-detail").addEventListener("click", () => { detail = null; document.getElementById("detail").hidden = true; });

  function render() {
    const ps = document.getElementById("pipelines"), ws = document.getElementById("workflows");
    if (!cards.size) { ps.replaceChildren(); ws.replaceChildren(); }
    if (!state.pipelines.length && !ps.children.length) ps.append(el("p", { class: "empty" }, "No pipeline registered."));
    for (const p of state.pipelines) {
      let c = cards.get("p:" + p.name);
      if (!c) { c = pipelineCard(p); cards.set("p:" + p.name, c); ps.append(c.root); }
      updatePipeline(c, p);
    }
    for (const w of state.workflows) {
      let c = cards.get("w:" + w.name);
      if (!c) { c = workflowCard(w); cards.set("w:" + w.name, c); ws.append(c.root); }
      updateWorkflow(c, w);
    }
    if (detail && detail.type === "execution" && detail.running) refreshExecution();
    document.body.dataset.updated = state.time;
  }

  render();
  const live = document.getElementById("live");
  const es = new EventSource("api/stream");
  es.addEventListener("state", (ev) => {
    state = JSON.parse(ev.data);
    live.textContent = "live"; live.className = "live on";
    render();
  });
  es.onerror = () => { live.textContent = "reconnecting…"; live.className = "live off"; };
})();
