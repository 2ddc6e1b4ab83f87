package conductor

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each type has one kind, of a Go type of its own (DECISION's embeds SWITCH's), and names it.
func TestKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range kinds {
		require.False(t, seen[k.typ], "%s twice", k.typ)
		seen[k.typ] = true
		made := newKind(k.typ)
		_, unknown := made.(*unknownTask)
		assert.False(t, unknown, k.typ)
		assert.NotSame(t, made, newKind(k.typ), "a new kind at each call: %s", k.typ)
	}
	assert.IsType(t, &unknownTask{}, newKind("LLM_CHAT_COMPLETE"))
	for _, typ := range dynamicTypes {
		assert.True(t, seen[typ], typ)
	}
}

// The kinds that dynamic forks run are those of dynamicTypes, which the errors list: each has
// its own checkDynamic, which accepts a well-formed task; the others keep ctask's, which
// refuses it.
func TestKindsOfDynamicForks(t *testing.T) {
	sink := func(context.Context, *Event) error { return nil }
	w := &Workflow{cfg: &config{js: fakeJS{}, jq: fakeJQ{}, sink: sink}}
	for _, k := range kinds {
		wt := &WorkflowTask{Type: k.typ, Name: "n", TaskReferenceName: "r", DynamicTaskNameParam: "p",
			SubWorkflowParam: &SubWorkflowParams{Name: "child"}, Sink: "conductor"}
		err := prototypes[k.typ].checkDynamic(w, wt)
		if slices.Contains(dynamicTypes, k.typ) {
			assert.NoError(t, err, k.typ)
		} else {
			assert.True(t, errors.Is(err, ErrUnknownTaskType), "%s: %v", k.typ, err)
		}
	}
}
