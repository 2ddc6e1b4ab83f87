package conductor

// The log's order around loops and forks, as Conductor lists tasks. A DO_WHILE is scheduled
// before its body, so its entry — made when the loop ends — is moved to just before the
// entries of its body's tasks (those of its last pass that ran in one go; an entry of another
// task of the run ends the search). A FORK_JOIN schedules the first task of each branch, then
// its JOIN, then the branches' later tasks as they go on: so the JOIN's entry is moved to just
// after the first entry of each branch (a nested fork's first entries and JOIN included), the
// branches' later entries following it, branch by branch. Everything else stays in the order
// tasks ended.

// scheduledOrder returns log in Conductor's order around loops and forks (see above); the
// caller's slice is left as it is.
func (w *Workflow) scheduledOrder(log []TaskRun) []TaskRun {
	return w.joinsEarly(w.loopsFirst(log))
}

// joinsEarly returns log with each FORK_JOIN's JOIN after its branches' first entries.
func (w *Workflow) joinsEarly(log []TaskRun) []TaskRun {
	copied := false
	for j := 0; j < len(log); j++ {
		k, ok := w.tasks[log[j].Ref].(*joinTask)
		if !ok || log[j].Type != TypeJoin {
			continue
		}
		fork, ok := k.fork.(*forkJoinTask)
		if !ok {
			continue
		}
		f := j - 1
		for f >= 0 && !(log[f].Ref == fork.ref && log[f].Iteration == log[j].Iteration) {
			f--
		}
		if f < 0 {
			continue
		}
		seg, ok := w.branchPrefixes(fork, log[f+1:j])
		if !ok {
			continue
		}
		if !copied {
			log, copied = append([]TaskRun(nil), log...), true
		}
		join := log[j]
		out := make([]TaskRun, 0, j-f)
		out = append(out, seg.firsts...)
		out = append(out, join)
		out = append(out, seg.rest...)
		copy(log[f+1:j+1], out)
	}
	return log
}

// forkSegment is the entries of a fork's branches split as Conductor schedules them.
type forkSegment struct{ firsts, rest []TaskRun }

// branchPrefixes splits entries, those between fork's entry and its JOIN's, into each
// branch's first entries (see scheduledWith), in branch order, and the rest in their order. It
// reports false for an entry it cannot place in a branch.
func (w *Workflow) branchPrefixes(fork *forkJoinTask, entries []TaskRun) (forkSegment, bool) {
	prefix := make([][]TaskRun, len(fork.spans))
	var rest []TaskRun
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		k, ok := w.tasks[e.Ref]
		if !ok {
			return forkSegment{}, false
		}
		b := fork.branchOf(k.base())
		if b < 0 {
			return forkSegment{}, false
		}
		if prefix[b] != nil {
			rest = append(rest, e)
			continue
		}
		prefix[b], i = w.scheduledWith(entries, i)
	}
	var seg forkSegment
	for _, p := range prefix {
		seg.firsts = append(seg.firsts, p...)
	}
	seg.rest = rest
	return seg, true
}

// loopsFirst returns log with each DO_WHILE's entry before its body's.
func (w *Workflow) loopsFirst(log []TaskRun) []TaskRun {
	moved := false
	for i := 0; i < len(log); i++ {
		e := log[i]
		if e.Type != TypeDoWhile {
			continue
		}
		k, ok := w.tasks[e.Ref]
		if !ok {
			continue
		}
		loop := k.base()
		j := i
		for j > 0 && w.inBody(log[j-1], loop) {
			j--
		}
		if j == i {
			continue
		}
		if !moved {
			log, moved = append([]TaskRun(nil), log...), true // the caller's slice stays as it is
		}
		copy(log[j+1:i+1], log[j:i])
		log[j] = e
	}
	return log
}

// inBody reports whether e is the entry of a task of loop's body, at any depth.
func (w *Workflow) inBody(e TaskRun, loop *ctask) bool {
	if e.Ref == loop.ref {
		return false
	}
	k, ok := w.tasks[e.Ref]
	if !ok {
		return e.Iteration > 0 // a task a dynamic fork in the body ran
	}
	for l := k.base().loop; l != nil; l = l.loop {
		if l == loop {
			return true
		}
	}
	return false
}

// scheduledWith returns the entries Conductor schedules at once with entries[i], from i on, and
// the index of the last: a SWITCH or DECISION with its case's first task, a DO_WHILE with its
// body's first task, each with what that one brings (a nested FORK_JOIN: through its JOIN,
// which joinsEarly has placed already).
func (w *Workflow) scheduledWith(entries []TaskRun, i int) ([]TaskRun, int) {
	out := []TaskRun{entries[i]}
	k := w.tasks[entries[i].Ref]
	switch t := k.(type) {
	case *forkJoinTask:
		for t.join != nil && i+1 < len(entries) && out[len(out)-1].Ref != t.join.ref {
			i++
			out = append(out, entries[i])
		}
		return out, i
	}
	if i+1 < len(entries) && firstChild(k, entries[i+1].Ref) {
		more, last := w.scheduledWith(entries, i+1)
		return append(out, more...), last
	}
	return out, i
}

// firstChild reports whether ref is the first task of a case of SWITCH or DECISION k, or of
// the body of DO_WHILE k.
func firstChild(k kind, ref string) bool {
	var sw *switchTask
	switch t := k.(type) {
	case *switchTask:
		sw = t
	case *decisionTask:
		sw = &t.switchTask
	case *doWhileTask:
		return len(t.wt.LoopOver) > 0 && t.wt.LoopOver[0] != nil && t.wt.LoopOver[0].TaskReferenceName == ref
	default:
		return false
	}
	for _, c := range sw.cases {
		if len(c) > 0 && c[0] == ref {
			return true
		}
	}
	return len(sw.deflt) > 0 && sw.deflt[0] == ref
}
