// Command conductor runs a Conductor-style JSON workflow definition in-process with Baton and
// prints the workflow's output as JSON on stdout; the status and any error go to stderr, and
// the exit status is non-zero when the workflow does not complete.
//
//	go run ./examples/conductor -def examples/conductor/encode_and_deploy.json \
//	    -input '{"fileLocation":"s3://videos/cat.mov"}' -strategy choreographed
//
// Flags:
//
//	-def FILE        the workflow definition (JSON)
//	-input JSON      the workflow input (default {})
//	-strategy S      orchestrated (default) or choreographed
//	-echo            SIMPLE tasks without a worker return their resolved input
//	-defs DIR        a directory of further definitions (*.json), for SUB_WORKFLOW tasks
//	-tasks           print the per-task log on stderr
//
// The program registers two fake workers, encode and deploy, for the encode_and_deploy
// definition beside it; JavaScript and jq come from the conductor/engines module.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/baton-go/baton/conductor/engines"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the program, testable: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conductor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defFile := fs.String("def", "", "workflow definition file (JSON)")
	input := fs.String("input", "{}", "workflow input (JSON object)")
	strategy := fs.String("strategy", "orchestrated", "orchestrated or choreographed")
	echo := fs.Bool("echo", false, "SIMPLE tasks without a worker echo their input")
	defsDir := fs.String("defs", "", "directory of definitions for SUB_WORKFLOW tasks")
	tasks := fs.Bool("tasks", false, "print the per-task log on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "conductor: "+format+"\n", a...)
		return 2
	}
	if *defFile == "" {
		return fail("-def is required")
	}
	var strat baton.Strategy
	switch *strategy {
	case "orchestrated":
		strat = baton.Orchestrated
	case "choreographed":
		strat = baton.Choreographed
	default:
		return fail("-strategy %q: want orchestrated or choreographed", *strategy)
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(*input), &in); err != nil {
		return fail("-input: %v", err)
	}
	opts := append(engines.Options(),
		conductor.WithStrategy(strat),
		conductor.WithWorker("encode", encode),
		conductor.WithWorker("deploy", deploy),
	)
	if *echo {
		opts = append(opts, conductor.WithEcho())
	}
	if *defsDir != "" {
		defs, err := loadDir(*defsDir)
		if err != nil {
			return fail("-defs: %v", err)
		}
		opts = append(opts, conductor.WithDefinitions(defs...))
	}
	rt, err := conductor.New(opts...)
	if err != nil {
		return fail("%v", err)
	}
	data, err := os.ReadFile(*defFile)
	if err != nil {
		return fail("%v", err)
	}
	wf, err := rt.Load(data)
	if err != nil {
		return fail("loading %s:\n  %s", *defFile, strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	defer wf.Close()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	exec, err := wf.Run(ctx, in)
	if exec == nil {
		return fail("%v", err)
	}
	if *tasks {
		for _, t := range exec.Tasks {
			fmt.Fprintf(stderr, "  %-24s %-18s %-22s attempts=%d\n", t.Ref, t.Type, t.Status, t.Attempts)
		}
	}
	out, _ := json.MarshalIndent(exec.Output, "", "  ")
	fmt.Fprintln(stdout, string(out))
	fmt.Fprintf(stderr, "workflow %s (%s): %s\n", exec.Name, exec.WorkflowID, exec.Status)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// loadDir parses every *.json definition of dir.
func loadDir(dir string) ([]*conductor.WorkflowDef, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var defs []*conductor.WorkflowDef
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		def, err := conductor.ParseWorkflow(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		defs = append(defs, def)
	}
	if len(defs) == 0 {
		return nil, errors.New("no *.json definitions in " + dir)
	}
	return defs, nil
}
