// Command report runs the root package's overhead matrix (BenchmarkOverhead: every strategy beside
// the hand-written floors, for 1, 10 and 100 stages, with no work and with about 200ns of work per
// stage) and writes a markdown table, the targets checked against it, and an SVG plot of
// ns/step against stages for each implementation.
//
// From the repository root:
//
//	go run ./benchmarks/cmd/report [-count 5] [-benchtime 200ms] [-out .]
//
// It runs `go test -bench` -count times, once per round so that the rounds interleave with a noisy
// neighbour rather than one implementation catching all of it, and takes medians. It writes
// overhead.md and overhead.svg in -out, and prints the markdown.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"github.com/baton-go/baton/benchmarks/internal/format"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// impls in the order of the table and the legend.
var impls = []string{
	"floor=direct", "floor=channels", "floor=pool",
	"orchestrated/process", "orchestrated/stream", "choreographed/stream",
}

var (
	stagesList = []int{1, 10, 100}
	works      = []string{"0", "200ns"}
)

type key struct {
	impl   string
	stages int
	work   string
}

type sample struct{ ns, allocs []float64 }

func main() {
	count := flag.Int("count", 5, "rounds of the matrix; cells are medians")
	benchtime := flag.String("benchtime", "200ms", "-benchtime of each benchmark")
	out := flag.String("out", ".", "directory for overhead.md and overhead.svg")
	dir := flag.String("dir", "", "directory of the root package (default: found with go list)")
	input := flag.String("input", "", "parse this saved `go test -bench` output instead of running")
	flag.Parse()

	var raw []byte
	if *input != "" {
		b, err := os.ReadFile(*input)
		check(err)
		raw = b
	} else {
		if *dir == "" {
			b, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/baton-go/baton").Output()
			check(err)
			*dir = strings.TrimSpace(string(b))
		}
		for i := range *count {
			fmt.Fprintf(os.Stderr, "round %d/%d\n", i+1, *count)
			cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkOverhead$", "-benchtime", *benchtime, "-count", "1", ".")
			cmd.Dir, cmd.Stderr = *dir, os.Stderr
			b, err := cmd.Output()
			check(err)
			raw = append(raw, b...)
		}
	}
	data, header := parse(raw)
	if len(data) == 0 {
		check(fmt.Errorf("no BenchmarkOverhead results in the output"))
	}
	md := markdown(data, header, *count, *benchtime)
	check(os.MkdirAll(*out, 0o755))
	check(os.WriteFile(filepath.Join(*out, "overhead.md"), []byte(md), 0o644))
	check(os.WriteFile(filepath.Join(*out, "overhead.svg"), []byte(svg(data)), 0o644))
	fmt.Print(md)
	fmt.Fprintf(os.Stderr, "wrote %s and %s\n", filepath.Join(*out, "overhead.md"), filepath.Join(*out, "overhead.svg"))
}

var line = regexp.MustCompile(`^BenchmarkOverhead/(.+)/stages=(\d+)/work=(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// parse reads go test -bench output: ns/step and allocs/step of every run of each cell, and the
// goos/goarch/cpu header lines.
func parse(raw []byte) (map[key]*sample, []string) {
	data := map[key]*sample{}
	var header []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "cpu:") || strings.HasPrefix(l, "goos:") || strings.HasPrefix(l, "goarch:") {
			if !slices.Contains(header, l) {
				header = append(header, l)
			}
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		s, _ := strconv.Atoi(m[2])
		k := key{m[1], s, m[3]}
		f := strings.Fields(m[4])
		ns, allocs := math.NaN(), math.NaN()
		for i := 1; i < len(f); i++ {
			v, err := strconv.ParseFloat(f[i-1], 64)
			if err != nil {
				continue
			}
			switch f[i] {
			case "ns/step":
				ns = v
			case "allocs/step":
				allocs = v
			}
		}
		if math.IsNaN(ns) {
			continue
		}
		if data[k] == nil {
			data[k] = &sample{}
		}
		data[k].ns = append(data[k].ns, ns)
		data[k].allocs = append(data[k].allocs, allocs)
	}
	return data, header
}

func ns(d map[key]*sample, impl string, s int, w string) float64 {
	if x := d[key{impl, s, w}]; x != nil {
		return format.Median(x.ns)
	}
	return math.NaN()
}

func allocs(d map[key]*sample, impl string, s int, w string) float64 {
	if x := d[key{impl, s, w}]; x != nil {
		return format.Median(x.allocs)
	}
	return math.NaN()
}

func markdown(d map[key]*sample, header []string, count int, benchtime string) string {
	var b strings.Builder
	runs := 0
	for _, x := range d {
		runs = max(runs, len(x.ns))
	}
	fmt.Fprintf(&b, "## Per-step overhead\n\n")
	fmt.Fprintf(&b, "Medians of %d runs of `go test -run '^$' -bench '^BenchmarkOverhead$' -benchtime %s` "+
		"(`go run ./benchmarks/cmd/report -count %d -benchtime %s`); %s.\n", runs, benchtime, count, benchtime, strings.Join(header, ", "))
	fmt.Fprintf(&b, "A step is one message through one stage; ns/step is wall time per step (so parallel runs can beat the direct call), ")
	fmt.Fprintf(&b, "allocs/step counts every allocation of the run, the stream's included.\n\n")
	for _, w := range works {
		fmt.Fprintf(&b, "### work = %s per stage\n\n", w)
		fmt.Fprintf(&b, "| implementation |")
		for _, s := range stagesList {
			fmt.Fprintf(&b, " %d stage%s: ns/step | allocs/step |", s, plural(s))
		}
		fmt.Fprintf(&b, "\n|---|")
		for range stagesList {
			fmt.Fprintf(&b, "---:|---:|")
		}
		fmt.Fprintln(&b)
		for _, impl := range impls {
			fmt.Fprintf(&b, "| %s |", impl)
			for _, s := range stagesList {
				fmt.Fprintf(&b, " %s | %s |", format.Num(ns(d, impl, s, w)), allocNum(allocs(d, impl, s, w)))
			}
			fmt.Fprintln(&b)
		}
		fmt.Fprintln(&b)
	}

	fmt.Fprintf(&b, "### Targets (issue 5), as ratios within the same run\n\n")
	fmt.Fprintf(&b, "| target | measured | met |\n|---|---:|:---:|\n")
	target := func(what string, got, limit float64, atMost bool, unit string) {
		ok := got <= limit
		if !atMost {
			ok = got >= limit
		}
		mark := "no"
		if ok {
			mark = "yes"
		}
		if math.IsNaN(got) {
			mark = "?"
		}
		fmt.Fprintf(&b, "| %s | %s%s | %s |\n", what, format.Num(got), unit, mark)
	}
	target("orchestrated/process ≤ 2× floor=direct per step, 100 stages, work 0",
		ns(d, "orchestrated/process", 100, "0")/ns(d, "floor=direct", 100, "0"), 2, true, "×")
	for _, s := range stagesList {
		target(fmt.Sprintf("orchestrated/process: 0 allocs per message, %d stage%s", s, plural(s)),
			allocs(d, "orchestrated/process", s, "0")*float64(s), 0.005, true, "")
	}
	target("orchestrated/stream ≤ 1.2× floor=pool per message, 10 stages, work 0",
		ns(d, "orchestrated/stream", 10, "0")/ns(d, "floor=pool", 10, "0"), 1.2, true, "×")
	for _, s := range []int{10, 100} {
		target(fmt.Sprintf("orchestrated/stream ≥ 1.5× faster than floor=direct, %d stages, work 200ns", s),
			ns(d, "floor=direct", s, "200ns")/ns(d, "orchestrated/stream", s, "200ns"), 1.5, false, "×")
	}
	for _, s := range []int{10, 100} {
		target(fmt.Sprintf("choreographed/stream ≤ 1.25× floor=channels per step, %d stages, work 0", s),
			ns(d, "choreographed/stream", s, "0")/ns(d, "floor=channels", s, "0"), 1.25, true, "×")
	}
	for _, s := range []int{10, 100} {
		target(fmt.Sprintf("choreographed/stream: 0 allocs per step in steady state, %d stages", s),
			allocs(d, "choreographed/stream", s, "0"), 0.0005, true, "")
	}
	for _, s := range []int{10, 100} {
		target(fmt.Sprintf("choreographed/stream ≥ 1.5× faster than floor=direct, %d stages, work 200ns", s),
			ns(d, "floor=direct", s, "200ns")/ns(d, "choreographed/stream", s, "200ns"), 1.5, false, "×")
	}
	fmt.Fprintf(&b, "\nFor reference, the floors' own parallel speed-up with 200ns of work (floor=direct ÷ floor): ")
	var parts []string
	for _, f := range []string{"floor=pool", "floor=channels"} {
		for _, s := range []int{10, 100} {
			parts = append(parts, fmt.Sprintf("%s %d stages %s×", f, s, format.Num(ns(d, "floor=direct", s, "200ns")/ns(d, f, s, "200ns"))))
		}
	}
	fmt.Fprintf(&b, "%s.\n", strings.Join(parts, ", "))
	fmt.Fprintf(&b, "\n![ns/step against stages](overhead.svg)\n")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// allocNum prints an allocation count per step: 0 below 0.0005 (the benchmark's own noise: a
// GC cycle, a timer), else as num.
func allocNum(x float64) string {
	if x < 0.0005 {
		return "0"
	}
	return format.Num(x)
}

// style of each implementation's line: floors dashed and grey-ish, Baton's in colour.
var style = map[string]struct{ color, dash string }{
	"floor=direct":         {"#555555", "6 4"},
	"floor=channels":       {"#8c6d31", "6 4"},
	"floor=pool":           {"#7f7f7f", "2 3"},
	"orchestrated/process": {"#1f77b4", ""},
	"orchestrated/stream":  {"#2ca02c", ""},
	"choreographed/stream": {"#d62728", ""},
}

// svg draws one panel per work setting: ns/step (log scale) against stages (log scale).
func svg(d map[key]*sample) string {
	const (
		pw, ph             = 420.0, 300.0 // panel plot area
		left, top, gap     = 70.0, 50.0, 90.0
		legendH, bottomPad = 80.0, 50.0
	)
	width := left + 2*pw + gap + 30
	height := top + ph + bottomPad + legendH
	var ylo, yhi float64
	y := func(v float64) float64 {
		return top + ph - (math.Log10(v)-math.Log10(ylo))/(math.Log10(yhi)-math.Log10(ylo))*ph
	}
	x := func(panel int, s int) float64 {
		x0 := left + float64(panel)*(pw+gap)
		return x0 + 20 + math.Log10(float64(s))/2*(pw-40)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="16" font-weight="bold">Baton: cost per step (one message through one stage), lower is better</text>`+"\n", left)
	for p, w := range works {
		x0 := left + float64(p)*(pw+gap)
		// each panel its own decades, so that neither is squeezed by the other
		lo, hi := math.Inf(1), math.Inf(-1)
		for k, x := range d {
			if v := format.Median(x.ns); k.work == w && v > 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if math.IsInf(lo, 0) {
			lo, hi = 1, 10
		}
		ylo = math.Pow(10, math.Floor(math.Log10(lo)))
		yhi = math.Pow(10, math.Ceil(math.Log10(hi)))
		title := "no work per stage: pure overhead"
		if w != "0" {
			title = "≈" + w + " of arithmetic per stage"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" font-weight="bold">%s</text>`+"\n", x0, top-10, title)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", x0, top, pw, ph)
		// y grid: decades and 2×, 5×
		for dec := ylo; dec <= yhi*1.001; dec *= 10 {
			for _, m := range []float64{1, 2, 5} {
				v := dec * m
				if v > yhi*1.001 {
					break
				}
				yy := y(v)
				stroke, label := "#e5e5e5", strconv.FormatFloat(v, 'g', -1, 64)
				if m == 1 {
					stroke = "#cccccc"
				}
				fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>`+"\n", x0, x0+pw, yy, yy, stroke)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%s</text>`+"\n", x0-6, yy+4, label)
			}
		}
		for _, s := range stagesList {
			xx := x(p, s)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", xx, xx, top, top+ph)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%d</text>`+"\n", xx, top+ph+16, s)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">stages</text>`+"\n", x0+pw/2, top+ph+34)
		fmt.Fprintf(&b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">ns/step (log scale)</text>`+"\n", x0-48, top+ph/2)
		for _, impl := range impls {
			st := style[impl]
			var pts []string
			for _, s := range stagesList {
				v := ns(d, impl, s, w)
				if v > 0 {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p, s), y(v)))
				}
			}
			if len(pts) == 0 {
				continue
			}
			dash := ""
			if st.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.2"%s/>`+"\n", strings.Join(pts, " "), st.color, dash)
			for _, pt := range pts {
				xy := strings.Split(pt, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.2" fill="%s"/>`+"\n", xy[0], xy[1], st.color)
			}
		}
	}
	// legend, three per row
	ly := top + ph + bottomPad + 10
	for i, impl := range impls {
		st := style[impl]
		lx := left + float64(i%3)*260
		yy := ly + float64(i/3)*22
		dash := ""
		if st.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2.2"%s/>`+"\n", lx, lx+34, yy, yy, st.color, dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+42, yy+4, impl)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#666" font-size="11">dashed: hand-written floors (direct calls, goroutine-per-stage channels, worker pool); solid: Baton</text>`+"\n", left, ly+52)
	b.WriteString("</svg>\n")
	return b.String()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}
