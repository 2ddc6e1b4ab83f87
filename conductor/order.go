package conductor

// The log's order around loops, as Conductor lists tasks: a DO_WHILE is scheduled before its
// body, so its entry — made when the loop ends — is moved to just before the entries of its
// body's tasks (those of its last pass that ran in one go; an entry of another task of the
// run ends the search). Everything else stays in the order tasks ended.

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
