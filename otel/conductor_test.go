package batonotel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/baton-go/baton"
	"github.com/baton-go/baton/conductor"
	batonotel "github.com/baton-go/baton/otel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// A Conductor workflow observed through conductor.WithPipelineOptions: each task's steps are
// spans named for its reference name, each fork level's pipeline is named, and every span of
// the run — its own, its fork branches' and its sub-workflow's — is in the trace of the span in
// Run's context.
func TestConductorWorkflowSpans(t *testing.T) {
	const def = `{"name":"otel_flow_%s","version":1,"tasks":[
	  {"name":"flaky","taskReferenceName":"charge","taskDefinition":{"name":"flaky","retryCount":1}},
	  {"name":"f","taskReferenceName":"fork","type":"FORK_JOIN","forkTasks":[
	     [{"name":"work","taskReferenceName":"a1"}],[{"name":"work","taskReferenceName":"b1"}]]},
	  {"name":"j","taskReferenceName":"join","type":"JOIN","joinOn":["a1","b1"]},
	  {"name":"work","taskReferenceName":"ship"},
	  {"name":"notify","taskReferenceName":"notify","type":"SUB_WORKFLOW","subWorkflowParam":{"name":"otel_child"}}]}`
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			obs, err := batonotel.NewObserver(batonotel.WithTracerProvider(tp))
			require.NoError(t, err)
			var calls atomic.Int32
			flaky := func(_ context.Context, in map[string]any) (map[string]any, error) {
				if calls.Add(1) == 1 {
					return nil, errors.New("card declined")
				}
				return in, nil
			}
			echo := func(_ context.Context, in map[string]any) (map[string]any, error) { return in, nil }
			child, err := conductor.ParseWorkflow([]byte(`{"name":"otel_child","version":2,"tasks":[
			  {"name":"work","taskReferenceName":"mail"}]}`))
			require.NoError(t, err)
			rt, err := conductor.New(conductor.WithStrategy(s), conductor.WithDefinitions(child),
				conductor.WithWorker("flaky", flaky), conductor.WithWorker("work", echo),
				conductor.WithPipelineOptions(baton.WithObserver(obs)))
			require.NoError(t, err)
			name := "otel_flow_" + s.String()
			wf, err := rt.Load([]byte(fmt.Sprintf(def, s.String())))
			require.NoError(t, err)

			ctx, request := tp.Tracer("test").Start(t.Context(), "request")
			e, err := wf.Run(ctx, nil, conductor.WithWorkflowID("wf-otel"))
			require.NoError(t, err)
			require.Equal(t, conductor.StatusCompleted, e.Status)
			request.End()
			require.NoError(t, wf.Close())
			assert.Zero(t, batonotel.OpenMessages(obs))
			recorded := exp.GetSpans() // before Shutdown, which empties the exporter
			require.NoError(t, tp.Shutdown(context.Background()))

			attr := func(s tracetest.SpanStub, k string) string {
				for _, kv := range s.Attributes {
					if string(kv.Key) == k {
						return kv.Value.Emit()
					}
				}
				return ""
			}
			names := map[trace.SpanID]string{} // of each span: the test's, or its pipeline and name
			for _, sp := range recorded {
				names[sp.SpanContext.SpanID()] = strings.TrimSpace(attr(sp, string(batonotel.KeyPipeline)) + " " + sp.Name)
			}
			top, fork1 := name+"/v1", name+"/v1/fork1"
			var steps, messages []string // "pipeline span-name"
			for _, sp := range recorded {
				assert.Equal(t, request.SpanContext().TraceID(), sp.SpanContext.TraceID(), "in Run's trace: %s", sp.Name)
				switch {
				case sp.Name == "request":
				case sp.Name == batonotel.SpanMessage:
					pipeline := attr(sp, string(batonotel.KeyPipeline))
					messages = append(messages, pipeline)
					parent := names[sp.Parent.SpanID()]
					if pipeline == "otel_child/v2" && parent != "request" {
						// With a baton.ContextObserver (the otel Observer of later versions), the
						// sub-workflow runs under its SUB_WORKFLOW step's span.
						assert.Equal(t, top+" baton.step/notify", parent)
					} else {
						assert.Equal(t, "request", parent, "the run and its branches: children of Run's span")
					}
				default:
					steps = append(steps, attr(sp, string(batonotel.KeyPipeline))+" "+sp.Name)
					assert.Equal(t, sp.Name, batonotel.SpanStep+"/"+attr(sp, string(batonotel.KeyStage)))
				}
			}
			slices.Sort(steps)
			slices.Sort(messages)
			assert.Equal(t, sorted(
				top+" baton.step/charge", top+" baton.step/charge", // retried: one span per attempt
				top+" baton.step/fork", top+" baton.step/join", top+" baton.step/ship", top+" baton.step/notify",
				fork1+" baton.step/a1", fork1+" baton.step/b1",
				"otel_child/v2 baton.step/mail",
			), steps)
			assert.Equal(t, sorted(top, fork1, fork1, "otel_child/v2"), messages, "the run, each branch, the sub-workflow's run")
		})
	}
}

func sorted(ss ...string) []string {
	slices.Sort(ss)
	return ss
}
