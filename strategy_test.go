package baton_test

import (
	"encoding"
	"encoding/json"
	"testing"

	"github.com/baton-go/baton"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ encoding.TextMarshaler   = baton.Orchestrated
	_ encoding.TextUnmarshaler = new(baton.Strategy)
)

func TestParseStrategy(t *testing.T) {
	cases := []struct {
		in   string
		want baton.Strategy
		err  string // "" for success
	}{
		{"orchestrated", baton.Orchestrated, ""},
		{"choreographed", baton.Choreographed, ""},
		{"Orchestrated", baton.Orchestrated, ""},
		{"CHOREOGRAPHED", baton.Choreographed, ""},
		{"ChoreoGraphed", baton.Choreographed, ""},
		{"", 0, `unknown strategy ""`},
		{"relay", 0, `unknown strategy "relay"`},
		{" orchestrated", 0, `unknown strategy " orchestrated"`},
		{"orchestrated\n", 0, `unknown strategy "orchestrated\n"`},
		{"orchestrate", 0, `unknown strategy "orchestrate"`},
		{"Strategy(1)", 0, `unknown strategy "Strategy(1)"`},
		{"1", 0, `unknown strategy "1"`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := baton.ParseStrategy(c.in)
			s := baton.Strategy(7) // UnmarshalText leaves it as it was on error
			uerr := s.UnmarshalText([]byte(c.in))
			if c.err != "" {
				assert.ErrorContains(t, err, c.err)
				assert.ErrorContains(t, err, `want "orchestrated" or "choreographed"`)
				assert.Equal(t, err, uerr)
				assert.Equal(t, baton.Strategy(7), s)
				return
			}
			require.NoError(t, err)
			require.NoError(t, uerr)
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.want, s)
		})
	}
}

func TestStrategyText(t *testing.T) {
	for _, s := range []baton.Strategy{baton.Orchestrated, baton.Choreographed} {
		b, err := s.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, s.String(), string(b))
		var back baton.Strategy
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, s, back, "round trip")
	}
	_, err := baton.Strategy(9).MarshalText()
	assert.ErrorContains(t, err, "Strategy(9)")
	assert.Equal(t, "Strategy(9)", baton.Strategy(9).String())

	// As a JSON field, through the text interfaces.
	var cfg struct{ Strategy baton.Strategy }
	require.NoError(t, json.Unmarshal([]byte(`{"Strategy": "Choreographed"}`), &cfg))
	assert.Equal(t, baton.Choreographed, cfg.Strategy)
	out, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Strategy": "choreographed"}`, string(out))
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"Strategy": "relay"}`), &cfg), `unknown strategy "relay"`)
}
