package conductor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad: any bytes either fail to load with an error matching ErrInvalidDefinition, or load
// and run (as a dry run, with a short limit) without panicking.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/definitions/*.json")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(forkDef))
	f.Add([]byte(switchDef))
	js := fakeJS{"true": func(map[string]any) any { return true }}
	f.Fuzz(func(t *testing.T, data []byte) {
		rt, err := New(WithEcho(), WithJavaScript(js), WithMaxIterations(5), WithMaxDepth(2))
		if err != nil {
			t.Fatal(err)
		}
		w, err := rt.Load(data)
		if err != nil {
			return
		}
		defer w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		e, _ := w.Run(ctx, map[string]any{"param1": "a", "case": "c"})
		if e == nil {
			t.Fatal("nil Execution")
		}
	})
}

// FuzzExpression: any string either fails to parse with ErrBadExpression or evaluates without
// panicking, leniently and strictly.
func FuzzExpression(f *testing.F) {
	for _, s := range []string{
		"${workflow.input.name}", "a-${t1.output.list[1]}-b", "$${x}", "${t1.output['k.k'][0]}",
		"${}", "${CPEWF_TASK_ID}", "${workflow.input.nested.a.b[-1]}", "${t1.output[*]}", "x${", "}${a}{",
		"${workflow.input.${workflow.input.key}}", "${a.${b.${c}}}", "${t1.output.list.length()}", "${$..x}",
		"${t1.output[?(@.a > 1)].b}", "${workflow.secrets.X}", "${workflow.env.X.y}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTemplate(s)
		if err != nil {
			return
		}
		for _, strict := range []bool{false, true} {
			_, _ = (&resolver{s: exprState(), strict: strict}).template(tm)
		}
	})
}
