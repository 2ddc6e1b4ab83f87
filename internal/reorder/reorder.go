// Package reorder restores submission order to results that complete out of order.
package reorder

// Buffer holds out-of-order items in a ring indexed by sequence number. It relies on the caller's
// bound: at most Cap items between the next expected sequence number and the newest one
// (Baton's in-flight bound guarantees it). It allocates only in New. Not safe for concurrent use.
type Buffer[V any] struct {
	ring []V
	full []bool
	next uint64
	n    int
}

// New returns a buffer for windows of up to size sequence numbers.
func New[V any](size int) *Buffer[V] {
	return &Buffer[V]{ring: make([]V, size), full: make([]bool, size)}
}

// Put stores v as item seq. It panics if seq is outside the window, which is a bug in the caller.
func (b *Buffer[V]) Put(seq uint64, v V) {
	if seq < b.next || seq-b.next >= uint64(len(b.ring)) {
		panic("reorder: sequence number outside the window")
	}
	i := seq % uint64(len(b.ring))
	if b.full[i] {
		panic("reorder: sequence number stored twice")
	}
	b.ring[i], b.full[i] = v, true
	b.n++
}

// Pop returns the next item in sequence if it has arrived.
func (b *Buffer[V]) Pop() (V, bool) {
	var zero V
	i := b.next % uint64(len(b.ring))
	if !b.full[i] {
		return zero, false
	}
	v := b.ring[i]
	b.ring[i], b.full[i] = zero, false
	b.next++
	b.n--
	return v, true
}

// Len returns the number of items held.
func (b *Buffer[V]) Len() int { return b.n }

// Drain removes and returns every item held, in ring order, for a caller that abandons the rest.
func (b *Buffer[V]) Drain(f func(V)) {
	var zero V
	for i := range b.ring {
		if b.full[i] {
			f(b.ring[i])
			b.ring[i], b.full[i] = zero, false
		}
	}
	b.n = 0
}
