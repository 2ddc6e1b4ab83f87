package conductor

import "context"

// JavaScript compiles the JavaScript of Conductor definitions: SWITCH with evaluatorType
// "javascript" (or "graaljs"), DECISION caseExpression, DO_WHILE loopCondition, INLINE and
// LAMBDA. The module github.com/baton-go/baton/conductor/engines implements it with goja; the
// core module has no engine, so that it needs no dependency. Without one, definitions using
// JavaScript fail to load with ErrNoEngine.
type JavaScript interface {
	// CompileJavaScript compiles a script whose completion value is its result (the value of
	// its last expression statement). A syntax error is reported here, at load. Compiling the
	// same source twice may return the same Program.
	CompileJavaScript(src string) (Program, error)
}

// JQ compiles the jq programs of JSON_JQ_TRANSFORM tasks. See JavaScript for where to find an
// implementation.
type JQ interface {
	// CompileJQ compiles a jq program. A syntax error is reported here, at load.
	CompileJQ(query string) (Program, error)
}

// Program is a compiled script or jq program. Run is called concurrently, from many runs at
// once, and must be safe for that.
type Program interface {
	// Run runs the program on input (bound to $ in JavaScript, to . in jq) and returns its
	// result as a JSON value (nil, bool, float64, string, []any, map[string]any; other Go
	// values are normalized through encoding/json). A jq program returns all its results, as
	// []any. Run must stop, with an error, when ctx is done: the run's time limit for scripts
	// (WithScriptTimeout) is ctx's deadline. It must give the program no access to the file
	// system, the network or the environment.
	Run(ctx context.Context, input any) (any, error)
}
