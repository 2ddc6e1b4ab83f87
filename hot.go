package baton

// hotStage is what every step reads of a stage, packed in one slice (Pipeline.hot) beside the
// stage's full record. A stage[T] is about 5 KB (its histogram and counters), so reading a field
// of p.stages[i] at every step touched a new page per stage: at 100 stages the steps of
// Process spent more time on those cache and TLB misses than on anything else. 32 bytes each,
// two stages share a cache line. Built at New and read-only after.
type hotStage[T any] struct {
	stage Stage[T]
	sem   chan struct{} // the stage's sem (orchestration's Workers cap), or nil
	// run: how many stages from this one on, in declaration order, are plain — this one
	// included, so 0 when it is not. The default itinerary is every stage in that order, so on
	// it these are the plain steps that follow one another from here: Pipeline.run takes them
	// without looking at each.
	run int32
	// short: the stage's policy is the default (one attempt, no timeout) and the pipeline is
	// untimed, so a step is one call (see act).
	short bool
	// plain: short, and no Workers cap to take under orchestration (sem nil): the steps the
	// orchestrator runs in one loop (see Pipeline.steps).
	plain bool
}

func hotStages[T any](p *Pipeline[T]) []hotStage[T] {
	hot := make([]hotStage[T], len(p.stages))
	for i := range p.stages {
		st := &p.stages[i]
		short := st.defaultPolicy && !p.timing
		hot[i] = hotStage[T]{stage: st.stage, sem: st.sem, short: short, plain: short && st.sem == nil}
	}
	for i := len(hot) - 1; i >= 0; i-- {
		if hot[i].plain {
			hot[i].run = 1
			if i+1 < len(hot) {
				hot[i].run += hot[i+1].run
			}
		}
	}
	return hot
}
