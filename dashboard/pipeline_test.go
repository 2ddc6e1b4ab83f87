package dashboard

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hand-off graph counts the hand-offs messages actually took, under both strategies, and
// the stage counters are the pipeline's Stats.
func TestHandOffsAndCounts(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			d := newDashboard(t)
			p := shop(t, d, name(s), s)
			const n = 40
			failed := runAll(t, d, name(s), p, n)
			require.Equal(t, n/5, failed)

			st := d.State()
			require.Len(t, st.Pipelines, 1)
			ps := st.Pipelines[0]
			assert.Equal(t, s.String(), ps.Strategy)
			got := map[[2]string]int64{}
			for _, e := range ps.Edges {
				got[[2]string{e.From, e.To}] = e.Count
			}
			assert.Equal(t, map[[2]string]int64{
				{edgeIn, "validate"}:    n,
				{"validate", "reserve"}: n,
				{"reserve", hostile}:    n,
				{hostile, "charge"}:     n,
				{"charge", edgeDone}:    n - n/5,
				{"charge", edgeFailed}:  n / 5,
			}, got)
			stats := p.Stats()
			for i, ss := range ps.Stages {
				assert.Equal(t, stats.Stages[i].Name, ss.Name)
				assert.Equal(t, stats.Stages[i].Processed, ss.Processed)
				assert.Equal(t, stats.Stages[i].Failed, ss.Failed)
				assert.Equal(t, stats.Stages[i].Compensated, ss.Compensated)
			}
			assert.Equal(t, int64(n/5), ps.Stages[3].Failed)
			assert.Equal(t, int64(n/5), ps.Stages[1].Compensated)
			assert.Positive(t, ps.Stages[0].P99, "latency, timed by the observer")
		})
	}
}

// A failed message's timeline holds its steps, its failure and the compensation, with the
// error's text and the value RecordResult attached.
func TestFailedMessageTimeline(t *testing.T) {
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) {
			d := newDashboard(t)
			p := shop(t, d, name(s), s)
			runAll(t, d, name(s), p, 10)
			m, err := d.Messages(name(s), 100)
			require.NoError(t, err)
			require.Len(t, m.Failed, 2)
			require.Len(t, m.Recent, 8)
			f := m.Failed[0] // newest first
			assert.Equal(t, uint64(10), f.ID)
			assert.Equal(t, "order-10", f.Key)
			assert.Equal(t, "10", f.Value)
			assert.Contains(t, f.Error, errBad.Error())
			assert.Equal(t, []string{"validate", "reserve", hostile, "charge"}, f.Path)
			var kinds []string
			for _, st := range f.Timeline {
				kinds = append(kinds, st.Kind+":"+st.Stage+":"+st.Outcome)
			}
			assert.Equal(t, []string{
				"step started:validate:", "step ended:validate:succeeded",
				"step started:reserve:", "step ended:reserve:succeeded",
				"step started:" + hostile + ":", "step ended:" + hostile + ":succeeded",
				"step started:charge:", "step ended:charge:failed",
				"compensation started:reserve:", "compensation ended:reserve:compensated",
				"message finished::",
			}, kinds)
			assert.Equal(t, errBad.Error(), f.Timeline[7].Error)
		})
	}
}

// The rings are bounded, failures are kept apart from successes, and a message is found by
// its id and by its key.
func TestRingsAndFind(t *testing.T) {
	d := newDashboard(t, WithRecent(3), WithFailed(2))
	p := shop(t, d, "shop", baton.Orchestrated)
	runAll(t, d, "shop", p, 30) // 6 failures: 5, 10, … 30
	m, err := d.Messages("shop", 100)
	require.NoError(t, err)
	ids := func(ms []Message) (out []uint64) {
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	assert.Equal(t, []uint64{29, 28, 27}, ids(m.Recent))
	assert.Equal(t, []uint64{30, 25}, ids(m.Failed))
	assert.Empty(t, m.InFlight)

	found, err := d.Find("shop", 28, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []uint64{28}, ids(found))
	found, err = d.Find("shop", 0, "order-25", 10)
	require.NoError(t, err)
	assert.Equal(t, []uint64{25}, ids(found))
	found, err = d.Find("shop", 0, "order-1", 10) // pushed out of the ring
	require.NoError(t, err)
	assert.Empty(t, found)
	_, err = d.Find("nope", 1, "", 10)
	assert.ErrorIs(t, err, ErrUnknown)

	// The same through the JSON API.
	_, body := get(t, d, "/api/messages?pipeline=shop&key=order-30")
	var res struct{ Found []Message }
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	require.Len(t, res.Found, 1)
	assert.Equal(t, uint64(30), res.Found[0].ID)
	assert.Contains(t, res.Found[0].Error, hostile, "the error's text, intact")
}

// panicky is an error whose Error method panics.
type panicky struct{}

func (panicky) Error() string { panic("Error panicked") }

// An error whose Error method panics shows as that panic, and leaves the dashboard and the
// pipeline working.
func TestPanickingErrorText(t *testing.T) {
	d := newDashboard(t)
	p, err := baton.New([]baton.Stage[int]{baton.Func("bad", func(_ context.Context, v int) (int, error) { return v, panicky{} })},
		baton.WithName("p"), baton.WithObserver(d.Observer()))
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, d.AddPipeline("p", p))
	p.ProcessResult(context.Background(), 1)
	m, err := d.Messages("p", 10)
	require.NoError(t, err)
	require.Len(t, m.Failed, 1)
	assert.Contains(t, m.Failed[0].Timeline[1].Error, "Error panicked")
	p.ProcessResult(context.Background(), 2) // the shard's lock was released
	m, _ = d.Messages("p", 10)
	assert.Len(t, m.Failed, 2)
}
