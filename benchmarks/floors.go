package benchmarks

// BatchSize is the batch of floorBatchedChannels: Baton's own batch (its batchMax).
const BatchSize = 16

// floorBatchedChannels is the channel floor with channels carrying batches of BatchSize values
// instead of one: one channel operation per batch per stage. The producer cuts the input into
// full batches (it has them all at once; a live source would send what it has), and the
// consumer hands each batch's buffer back, so that nothing allocates in steady state.
func floorBatchedChannels(n int, stages []*Stage, start func()) (uint64, error) {
	depth := max(1, Buffer/BatchSize)
	chans := make([]chan []uint64, len(stages)+1)
	for i := range chans {
		chans[i] = make(chan []uint64, depth)
	}
	free := make(chan []uint64, len(stages)*depth+2*depth+2)
	for range cap(free) {
		free <- make([]uint64, 0, BatchSize)
	}
	for i, s := range stages {
		in, out := chans[i], chans[i+1]
		go func() {
			for batch := range in {
				for k, v := range batch {
					batch[k] = s.Do(v)
				}
				out <- batch
			}
			close(out)
		}()
	}
	start()
	go func() {
		for i := 0; i < n; i += BatchSize {
			batch := (<-free)[:0]
			for v := i; v < min(n, i+BatchSize); v++ {
				batch = append(batch, uint64(v))
			}
			chans[0] <- batch
		}
		close(chans[0])
	}()
	var sum uint64
	for batch := range chans[len(stages)] {
		for _, v := range batch {
			sum += v
		}
		free <- batch
	}
	return sum, nil
}

// try is a value or an error, as a destel/rill stream carries them (its Try).
type try struct {
	value uint64
	err   error
}

// rillModel is a model of destel/rill's data path (that module is not served by this machine's
// proxy): a stream is an unbuffered channel of try values; each Map is a goroutine (concurrency
// 1) that passes errors through and sends each result on a new unbuffered channel, closed once
// its input is drained; the source and the consumer are goroutines over the same channels, as
// rill's FromChan and ForEach are. It models the hand-offs, not rill's options (ordering,
// batching, concurrency above 1).
func rillModel(n int, stages []*Stage, start func()) (uint64, error) {
	src := make(chan try)
	in := (<-chan try)(src)
	for _, s := range stages {
		out := make(chan try)
		go func(in <-chan try) {
			defer close(out)
			for t := range in {
				if t.err != nil {
					out <- t
					continue
				}
				out <- try{value: s.Do(t.value)}
			}
		}(in)
		in = out
	}
	start()
	go func() {
		defer close(src)
		for i := range n {
			src <- try{value: uint64(i)}
		}
	}()
	var sum uint64
	var err error
	for t := range in {
		if t.err != nil && err == nil {
			err = t.err
		}
		sum += t.value
	}
	return sum, err
}
