package jetstream_test

// runWorkerIfAsked runs the test binary as a worker process when the environment asks for one.
func runWorkerIfAsked() bool { return false }
