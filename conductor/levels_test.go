package conductor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A loop in one branch of a fork, a dynamic fork in the other.
const levelsDef = `{"name":"levels","tasks":[
  {"name":"work","taskReferenceName":"top"},
  {"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[
    [{"name":"work","taskReferenceName":"a"},
     {"name":"loop","taskReferenceName":"loop","type":"DO_WHILE","loopCondition":"false","loopOver":[{"name":"work","taskReferenceName":"body"}]}],
    [{"name":"d","taskReferenceName":"d","type":"FORK_JOIN_DYNAMIC","dynamicForkTasksParam":"tasks","dynamicForkTasksInputParamName":"inputs",
      "inputParameters":{"tasks":"${workflow.input.tasks}","inputs":{}}},
     {"name":"dj","taskReferenceName":"dj","type":"JOIN"}]]},
  {"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["loop","dj"]}]}`

// Each fork level's pipeline holds the stages of that level alone: its tasks', a loop's hidden
// stage beside it, and "~dynamic" one level below the dynamic forks.
func TestEachLevelHoldsItsOwnStages(t *testing.T) {
	never := fakeJS{"false": func(map[string]any) any { return false }}
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			w := load(t, s, levelsDef, WithWorker("work", echoWorker), WithJavaScript(never))
			e, err := w.Run(t.Context(), map[string]any{"tasks": jsonValue(t, `[{"name":"work","taskReferenceName":"x"}]`)})
			require.NoError(t, err, e.Reason)
			var levels [][]string
			for _, l := range w.Stats().Levels {
				var names []string
				for _, ss := range l.Stages {
					names = append(names, ss.Name)
				}
				levels = append(levels, names)
			}
			assert.Equal(t, [][]string{
				{"top", "f", "j"},
				{"a", "loop", "~loop.next", "body", "d", "dj"},
				{"~dynamic"},
			}, levels)
			st, _ := w.Stats().Task("body")
			assert.Equal(t, 1, st.Level)
			assert.Equal(t, int64(1), st.Processed, "counted on its own level")
		})
	}
}

// The branches of forks run WithConcurrency at once under either strategy, however few stages
// their level has: n runs at once each fork one branch of one task, which waits until all n
// have come (on synctest's clock, a wait that never ends fails at once).
func TestForkLevelsRunWithConcurrency(t *testing.T) {
	const n = 5
	def := `{"name":"w","tasks":[{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[{"name":"meet","taskReferenceName":"m"}]]},
	  {"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["m"]}]}`
	for _, s := range strategies {
		synctest.Test(t, func(t *testing.T) {
			var mu sync.Mutex
			came, all := 0, make(chan struct{})
			meet := func(ctx context.Context, in map[string]any) (map[string]any, error) {
				mu.Lock()
				if came++; came == n {
					close(all)
				}
				mu.Unlock()
				select {
				case <-all:
					return in, nil
				case <-time.After(time.Minute):
					return nil, errors.New("the others never came")
				}
			}
			w := load(t, s, def, WithWorker("meet", meet), WithConcurrency(n))
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					e, err := w.Run(context.Background(), nil)
					assert.NoError(t, err, "%s: %v", s, e)
				})
			}
			wg.Wait()
		})
	}
}
