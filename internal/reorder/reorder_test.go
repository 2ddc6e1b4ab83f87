package reorder

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRestoresOrderWithinTheWindow(t *testing.T) {
	const window, n = 8, 1000
	b := New[int](window)
	r := rand.New(rand.NewPCG(1, 2))
	var got []int
	pending := []int{}
	next := 0
	for len(got) < n {
		// keep up to window items between the next expected one and the newest (delivered or
		// not, as Baton's in-flight bound does), and deliver a random undelivered one
		for next < n && next-len(got) < window {
			pending = append(pending, next)
			next++
		}
		i := r.IntN(len(pending))
		seq := pending[i]
		pending = append(pending[:i], pending[i+1:]...)
		b.Put(uint64(seq), seq)
		for v, ok := b.Pop(); ok; v, ok = b.Pop() {
			got = append(got, v)
		}
	}
	for i, v := range got {
		require.Equal(t, i, v)
	}
	assert.Zero(t, b.Len())
}

func TestPutOutsideTheWindowPanics(t *testing.T) {
	b := New[int](4)
	assert.Panics(t, func() { b.Put(4, 0) })
	b.Put(1, 1)
	assert.Panics(t, func() { b.Put(1, 1) }, "twice")
	var drained []int
	b.Drain(func(v int) { drained = append(drained, v) })
	assert.Equal(t, []int{1}, drained)
	assert.Zero(t, b.Len())
}
