package jetstream

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// storeRetries bounds how often ensureStream retries a stream whose store the server failed to
// make (see ensureStream); the waits between tries double from storeRetryWait.
const (
	storeRetries   = 5
	storeRetryWait = 5 * time.Millisecond
)

// errCodeStreamCreate is the server's err_code for a stream it could not create, the store among
// other causes (JSStreamCreateErrF).
const errCodeStreamCreate jetstream.ErrorCode = 10049

// ensureStream creates the pipeline's stream, and updates it only when another process made it
// with another config: an update racing another process's consumer creation is a data race in
// nats-server v2.15.2 (filestore UpdateConfig against ConsumerStore), and creating a stream that
// exists with the same config changes nothing.
//
// A create failing with err_code 10049 is retried a few times (about 150 ms in all) before its
// error is returned: when an account's last file stream is deleted, nats-server v2.15.2 removes
// the account's emptied directories in a goroutine of its own, which can remove the directory a
// concurrent create has just made (TestStreamCreateBesideDelete). Any other error, and the
// context's end, return at once.
func (e *Engine) ensureStream(ctx context.Context, sc jetstream.StreamConfig) error {
	wait := storeRetryWait
	for try := 0; ; try++ {
		_, err := e.js.CreateStream(ctx, sc)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			_, err = e.js.UpdateStream(ctx, sc)
		}
		var api *jetstream.APIError
		if err == nil || try == storeRetries || !errors.As(err, &api) || api.ErrorCode != errCodeStreamCreate {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}
