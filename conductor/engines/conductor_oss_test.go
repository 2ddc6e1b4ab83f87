package engines

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ossDefinitions reads every workflow definition of the conductor-oss repository, copied into
// ../testdata/conductor-oss (see its README): a file holds one or a list.
func ossDefinitions(t *testing.T) (names []string, raws []json.RawMessage) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "conductor-oss", "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var list []json.RawMessage
		if json.Unmarshal(data, &list) != nil {
			list = []json.RawMessage{data}
		}
		for i, raw := range list {
			var probe struct {
				Name  string          `json:"name"`
				Tasks json.RawMessage `json:"tasks"`
			}
			if json.Unmarshal(raw, &probe) != nil || probe.Name == "" || len(probe.Tasks) == 0 || probe.Tasks[0] != '[' {
				continue // not a workflow definition (a task definition in the same list)
			}
			name := filepath.Base(f)
			if len(list) > 1 {
				name += "#" + probe.Name
			}
			_ = i
			names = append(names, name)
			raws = append(raws, raw)
		}
	}
	return names, raws
}

var builtIn = map[string]bool{}

func init() {
	for _, typ := range []string{conductor.TypeSimple, conductor.TypeSwitch, conductor.TypeDecision, conductor.TypeForkJoin,
		conductor.TypeJoin, conductor.TypeDoWhile, conductor.TypeSetVariable, conductor.TypeTerminate, conductor.TypeSubWorkflow,
		conductor.TypeDynamic, conductor.TypeForkJoinDynamic, conductor.TypeJSONJQTransform, conductor.TypeInline, conductor.TypeLambda,
		conductor.TypeNoop, conductor.TypeWait, conductor.TypeHuman, conductor.TypeHTTP, conductor.TypeHTTPPoll, conductor.TypeEvent,
		conductor.TypeStartWorkflow, conductor.TypeExclusiveJoin} {
		builtIn[typ] = true
	}
}

// userTypes collects the task types of tasks that Baton does not build in, at any depth.
func userTypes(tasks []*conductor.WorkflowTask, into map[string]bool) {
	for _, wt := range tasks {
		if wt == nil {
			continue
		}
		if wt.Type != "" && !builtIn[wt.Type] {
			into[wt.Type] = true
		}
		for _, c := range wt.DecisionCases {
			userTypes(c, into)
		}
		userTypes(wt.DefaultCase, into)
		userTypes(wt.LoopOver, into)
		for _, b := range wt.ForkTasks {
			userTypes(b, into)
		}
		if p := wt.SubWorkflowParam; p != nil && p.WorkflowDefinition != nil {
			userTypes(p.WorkflowDefinition.Tasks, into)
		}
	}
}

// Every workflow definition of the conductor-oss repository loads when the types Baton does
// not build in (Orkes' AI and integration types) are given handlers, but for those that fail
// for a reason other than their task types: the count is logged, and no failure may be a
// refused task type.
func TestConductorOSSDefinitionsLoad(t *testing.T) {
	names, raws := ossDefinitions(t)
	require.NotEmpty(t, names)
	var defs []*conductor.WorkflowDef
	types := map[string]bool{}
	parsed := map[int]*conductor.WorkflowDef{}
	var failures []string
	for i, raw := range raws {
		d, err := conductor.ParseWorkflow(raw)
		if err != nil {
			failures = append(failures, names[i]+": "+err.Error())
			continue
		}
		parsed[i] = d
		defs = append(defs, d)
		userTypes(d.Tasks, types)
	}
	handler := func(_ context.Context, r *conductor.TaskRequest) (map[string]any, error) { return r.Input, nil }
	sink := func(context.Context, *conductor.Event) error { return nil }
	opts := append(Options(), conductor.WithEcho(), conductor.WithDefinitions(defs...), conductor.WithEventSink(sink))
	var typeNames []string
	for typ := range types {
		typeNames = append(typeNames, typ)
		opts = append(opts, conductor.WithTaskHandler(typ, handler))
	}
	sort.Strings(typeNames)
	rt, err := conductor.New(opts...)
	require.NoError(t, err)
	bare, err := conductor.New(append(Options(), conductor.WithEcho(), conductor.WithDefinitions(defs...), conductor.WithEventSink(sink))...)
	require.NoError(t, err)

	loaded, loadedBare := 0, 0
	for i := range raws {
		d, ok := parsed[i]
		if !ok {
			continue
		}
		w, err := rt.Compile(d)
		if err == nil {
			loaded++
			require.NoError(t, w.Close())
		} else {
			failures = append(failures, names[i]+": "+err.Error())
			assert.False(t, errors.Is(err, conductor.ErrUnknownTaskType) || errors.Is(err, conductor.ErrNoHandler), "%s: %v", names[i], err)
		}
		if w, err := bare.Compile(d); err == nil {
			loadedBare++
			require.NoError(t, w.Close())
		}
	}
	t.Logf("conductor-oss: %d of %d workflow definitions load with handlers for %d types (%s); %d without them",
		loaded, len(raws), len(typeNames), strings.Join(typeNames, ", "), loadedBare)
	for _, f := range failures {
		t.Logf("not loaded: %s", strings.ReplaceAll(f, "\n", "; "))
	}
	// What this change reached (issue 15): a regression guard, raised as the rest is built.
	assert.GreaterOrEqual(t, loaded, 150)

	// Each one that loads runs to an end under both strategies, as a dry run (echoing workers
	// and handlers, an HTTP client that never reaches the network, its waits cut short by a
	// context): whatever its status, it ends, and both strategies agree on it.
	noNet := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("no network in tests") })}
	statuses := map[conductor.Status]int{}
	for _, strategy := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		rt, err := conductor.New(append(opts, conductor.WithHTTPClient(noNet), conductor.WithStrategy(strategy))...)
		require.NoError(t, err)
		for i := range raws {
			d, ok := parsed[i]
			if !ok {
				continue
			}
			w, err := rt.Compile(d)
			if err != nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			e, err := w.Run(ctx, map[string]any{}, conductor.WithWorkflowID("oss"))
			cancel()
			require.NoError(t, w.Close())
			if !assert.NotNil(t, e, "%s: %v", names[i], err) {
				continue
			}
			if strategy == baton.Orchestrated {
				statuses[e.Status]++
			}
		}
	}
	t.Logf("dry runs (orchestrated): %v", statuses)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
