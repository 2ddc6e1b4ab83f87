package conductor

import (
	"errors"
	"fmt"
)

// Runtime holds what definitions are compiled against: the workers, the task handlers, the
// registered sub-workflow and task definitions, the engines and the options, and the index of
// the executions of its workflows that Lookup reads. Its configuration is immutable after New;
// it is safe for concurrent use; it owns no goroutine and needs no Close.
type Runtime struct {
	cfg config
}

// New returns a Runtime configured by opts. It fails when an option is invalid, or when
// WithPipelineOptions gives options a workflow cannot run with.
func New(opts ...Option) (*Runtime, error) {
	cfg := newConfig(opts)
	if err := checkPipelineOptions(cfg.pipeOpts); err != nil {
		cfg.errs = append(cfg.errs, err)
	}
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("conductor: invalid options: %w", errors.Join(cfg.errs...))
	}
	return &Runtime{cfg: cfg}, nil
}

// Load parses a JSON workflow definition and compiles it; see Compile.
func (rt *Runtime) Load(data []byte) (*Workflow, error) {
	def, err := ParseWorkflow(data)
	if err != nil {
		return nil, err
	}
	return rt.Compile(def)
}

// Compile checks def and compiles it to Baton stages and pipelines. Everything that can be
// known before a run is checked here, and every problem is reported, each as a
// *DefinitionError naming the task and field (joined with errors.Join when there are several);
// all match ErrInvalidDefinition. Sub-workflows named literally are compiled with it.
//
// Compile starts no goroutine; the Workflow's pipelines start at its first run and stop at
// Close. def must not be changed afterwards. Cost: one walk of the definition, plus a script
// compilation per JavaScript or jq program.
func (rt *Runtime) Compile(def *WorkflowDef) (*Workflow, error) {
	if def == nil {
		return nil, &DefinitionError{Err: fmt.Errorf("%w: nil definition", ErrMalformed)}
	}
	return compileWorkflow(&rt.cfg, def, []string{fmt.Sprintf("%s@%d", def.Name, def.Version)})
}
