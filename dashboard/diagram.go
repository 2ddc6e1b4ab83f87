package dashboard

import (
	"fmt"
	"html"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/baton-go/baton/conductor"
)

// This file draws a Conductor workflow definition as SVG, on the server: tasks as boxes,
// SWITCH and DECISION as diamonds with a column per case, FORK_JOIN as a bar with a column per
// branch, DO_WHILE as a frame around its body with an arrow back, and each task coloured by
// its status in an execution when one is given. Every text from the definition is escaped.

const (
	nodeH    = 44
	gapY     = 26
	gapX     = 28
	maxLabel = 28 // runes of a name shown in a box; the full name is in its <title>
)

// drawing accumulates SVG elements.
type drawing struct {
	b      strings.Builder
	status map[string]string // task ref -> status in the execution shown
}

// block is a laid-out piece of the diagram: its size, and how to draw it with its top-left
// corner at (x, y). Its entry is the middle of its top edge, its exit the middle of its bottom.
type block struct {
	w, h int
	draw func(d *drawing, x, y int)
}

func esc(s string) string { return html.EscapeString(s) }

// short cuts s to maxLabel runes.
func short(s string) string {
	if utf8.RuneCountInString(s) <= maxLabel {
		return s
	}
	r := []rune(s)
	return string(r[:maxLabel-1]) + "…"
}

func (d *drawing) line(x1, y1, x2, y2 int, class string) {
	fmt.Fprintf(&d.b, `<path class="%s" d="M%d %dL%d %d"/>`, class, x1, y1, x2, y2)
}

func (d *drawing) text(x, y int, class, s string) {
	fmt.Fprintf(&d.b, `<text class="%s" x="%d" y="%d" text-anchor="middle">%s</text>`, class, x, y, esc(short(s)))
}

// node draws one task's box (or diamond) with its ref and type.
func (d *drawing) node(t *conductor.WorkflowTask, x, y, w int, diamond bool) {
	status := d.status[t.TaskReferenceName]
	class := "task"
	if status != "" {
		class += " st-" + esc(status)
	}
	fmt.Fprintf(&d.b, `<g class="%s" data-ref="%s"><title>%s</title>`, class, esc(t.TaskReferenceName),
		esc(t.TaskReferenceName+" ("+taskType(t)+") "+status))
	if diamond {
		cx := x + w/2
		fmt.Fprintf(&d.b, `<path class="shape" d="M%d %dL%d %dL%d %dL%d %dZ"/>`, cx, y, x+w, y+nodeH/2, cx, y+nodeH, x, y+nodeH/2)
	} else {
		fmt.Fprintf(&d.b, `<rect class="shape" x="%d" y="%d" width="%d" height="%d" rx="6"/>`, x, y, w, nodeH)
	}
	d.text(x+w/2, y+19, "ref", t.TaskReferenceName)
	d.text(x+w/2, y+35, "type", taskType(t))
	d.b.WriteString(`</g>`)
}

func taskType(t *conductor.WorkflowTask) string {
	if t.Type == "" {
		return conductor.TypeSimple
	}
	return t.Type
}

func nodeWidth(t *conductor.WorkflowTask) int {
	n := max(utf8.RuneCountInString(short(t.TaskReferenceName)), len(taskType(t)))
	return max(120, 16+8*n)
}

// sequence stacks tasks top to bottom, joined by arrows.
func sequence(tasks []*conductor.WorkflowTask, depth int) block {
	if len(tasks) == 0 || depth > 16 {
		return block{w: 40, h: 8, draw: func(d *drawing, x, y int) { d.line(x+20, y, x+20, y+8, "edge") }}
	}
	var parts []block
	w, h := 0, 0
	for _, t := range tasks {
		b := taskBlock(t, depth)
		parts = append(parts, b)
		w = max(w, b.w)
		h += b.h
	}
	h += gapY * (len(parts) - 1)
	return block{w: w, h: h, draw: func(d *drawing, x, y int) {
		for i, p := range parts {
			if i > 0 {
				d.line(x+w/2, y-gapY, x+w/2, y, "edge arrow")
			}
			p.draw(d, x+(w-p.w)/2, y)
			y += p.h + gapY
		}
	}}
}

// columns lays blocks side by side under a node, each under its label, joined to the node
// above and to a point below.
func columns(head block, labels []string, cols []block) block {
	const labelH = 18
	w, ch := 0, 0
	for _, c := range cols {
		w += c.w
		ch = max(ch, c.h)
	}
	w += gapX * (len(cols) - 1)
	w = max(w, head.w)
	h := head.h + gapY + labelH + ch + gapY
	return block{w: w, h: h, draw: func(d *drawing, x, y int) {
		head.draw(d, x+(w-head.w)/2, y)
		top, bottom := y+head.h, y+h
		cx := x + (w-sumWidths(cols))/2
		for i, c := range cols {
			mid := cx + c.w/2
			d.line(x+w/2, top, mid, top+gapY, "edge")
			if labels[i] != "" {
				d.text(mid, top+gapY+13, "case", labels[i])
			}
			d.line(mid, top+gapY, mid, top+gapY+labelH, "edge arrow")
			c.draw(d, cx, top+gapY+labelH)
			d.line(mid, top+gapY+labelH+c.h, mid, bottom-gapY/2, "edge")
			d.line(mid, bottom-gapY/2, x+w/2, bottom, "edge")
			cx += c.w + gapX
		}
	}}
}

func sumWidths(cols []block) int {
	w := 0
	for _, c := range cols {
		w += c.w
	}
	return w + gapX*(len(cols)-1)
}

// taskBlock lays out one task and what it contains.
func taskBlock(t *conductor.WorkflowTask, depth int) block {
	nw := nodeWidth(t)
	head := func(diamond bool) block {
		return block{w: nw, h: nodeH, draw: func(d *drawing, x, y int) { d.node(t, x, y, nw, diamond) }}
	}
	switch taskType(t) {
	case conductor.TypeSwitch, conductor.TypeDecision:
		cases := slices.Sorted(mapKeys(t.DecisionCases))
		var labels []string
		var cols []block
		for _, c := range cases {
			labels = append(labels, c)
			cols = append(cols, sequence(t.DecisionCases[c], depth+1))
		}
		labels = append(labels, "default")
		cols = append(cols, sequence(t.DefaultCase, depth+1))
		return columns(head(true), labels, cols)
	case conductor.TypeForkJoin:
		var labels []string
		var cols []block
		for i, br := range t.ForkTasks {
			labels = append(labels, fmt.Sprintf("branch %d", i+1))
			cols = append(cols, sequence(br, depth+1))
		}
		if len(cols) == 0 {
			return head(false)
		}
		return columns(head(false), labels, cols)
	case conductor.TypeDoWhile:
		body := sequence(t.LoopOver, depth+1)
		const pad = 16
		w := max(nw, body.w+2*pad+30)
		h := nodeH + gapY + body.h + 2*pad
		return block{w: w, h: h, draw: func(d *drawing, x, y int) {
			d.node(t, x+(w-nw)/2, y, nw, false)
			fx, fy := x+(w-body.w-2*pad-30)/2, y+nodeH+gapY
			fw, fh := body.w+2*pad, body.h+2*pad
			d.line(x+w/2, y+nodeH, x+w/2, fy, "edge arrow")
			fmt.Fprintf(&d.b, `<rect class="loop" x="%d" y="%d" width="%d" height="%d" rx="8"/>`, fx, fy, fw, fh)
			body.draw(d, fx+pad, fy+pad)
			// The arrow back: from the frame's right side up to the loop's node.
			rx := fx + fw + 20
			fmt.Fprintf(&d.b, `<path class="edge back arrow" d="M%d %dH%dV%dH%d"/>`, fx+fw, fy+fh/2, rx, y+nodeH/2, x+(w+nw)/2)
			fmt.Fprintf(&d.b, `<text class="case" x="%d" y="%d"><title>%s</title>loop</text>`, rx+3, fy+fh/2, esc(t.LoopCondition))
		}}
	}
	return head(false)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Diagram returns the SVG drawing of def, its tasks coloured by status (a task ref's status,
// as in Execution.Tasks; nil for none). Cost: proportional to the definition's tasks.
func Diagram(def *conductor.WorkflowDef, status map[string]string) string {
	d := &drawing{status: status}
	body := sequence(def.Tasks, 0)
	const margin, endR = 24, 9
	w := body.w + 2*margin + 40
	h := body.h + 2*margin + 4*endR + 2*gapY
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`, w, h, w, h)
	fmt.Fprintf(&d.b, `<title>%s</title>`, esc(def.Name))
	d.b.WriteString(`<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"/></marker></defs>`)
	cx := margin + body.w/2
	y := margin
	fmt.Fprintf(&d.b, `<circle class="start" cx="%d" cy="%d" r="%d"/>`, cx, y+endR, endR)
	d.line(cx, y+2*endR, cx, y+2*endR+gapY, "edge arrow")
	body.draw(d, margin, y+2*endR+gapY)
	by := y + 2*endR + gapY + body.h
	d.line(cx, by, cx, by+gapY, "edge arrow")
	fmt.Fprintf(&d.b, `<circle class="end" cx="%d" cy="%d" r="%d"/>`, cx, by+gapY+endR, endR)
	d.b.WriteString(`</svg>`)
	return d.b.String()
}
