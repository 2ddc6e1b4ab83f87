package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/baton-go/baton/conductor"
)

// This file is the page's one action: completing or failing a waiting task (WAIT, HUMAN …) of a
// running execution.

var (
	// ErrForbidden: an action was asked of a dashboard without WithActions, or without the
	// header that proves it came from the dashboard's own page.
	ErrForbidden = errors.New("dashboard: actions are disabled")
	// ErrConflict: the task named by an action is not waiting for an update (any more).
	ErrConflict = errors.New("dashboard: task not waiting")
)

// actionHeader must be on every action request: the page's script sets it; a form or a link
// of another site cannot (a cross-origin request with it needs a CORS preflight, refused).
const actionHeader = "X-Baton-Action"

// checkAction refuses an action unless actions are enabled and the request is a POST from
// the page.
func (d *Dashboard) checkAction(r *http.Request) error {
	if !d.cfg.actions {
		return fmt.Errorf("%w: the program did not enable them (WithActions)", ErrForbidden)
	}
	if r.Method != http.MethodPost {
		return fmt.Errorf("%w: actions are POST requests", ErrInvalid)
	}
	if r.Header.Get(actionHeader) != "1" {
		return fmt.Errorf("%w: the request lacks the %s header the page sends", ErrForbidden, actionHeader)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host && o != "https://"+r.Host {
		return fmt.Errorf("%w: cross-origin request from %q", ErrForbidden, o)
	}
	return nil
}

// complete is POST api/complete?workflow=W&id=ID&task=REF&status=COMPLETED|FAILED[&reason=R]
// with, optionally, the task's output as a JSON object in the body (at most 1 MiB): it gives
// the waiting task REF of the running execution ID, started by Start, that update.
func (d *Dashboard) complete(w http.ResponseWriter, r *http.Request) {
	if err := d.checkAction(r); err != nil {
		writeJSON(w, nil, err)
		return
	}
	q := r.URL.Query()
	e, ok := d.workflowEntry(q.Get("workflow"))
	if !ok {
		writeJSON(w, nil, errUnknown("workflow", q.Get("workflow")))
		return
	}
	h := e.handle(q.Get("id"))
	if h == nil {
		writeJSON(w, nil, fmt.Errorf("%w: no running execution %q started by the dashboard's Start", ErrUnknown, q.Get("id")))
		return
	}
	u := conductor.TaskUpdate{Ref: q.Get("task"), Status: conductor.TaskUpdateStatus(q.Get("status")), Reason: q.Get("reason")}
	if u.Status != conductor.UpdateCompleted && u.Status != conductor.UpdateFailed {
		writeJSON(w, nil, fmt.Errorf("%w: status %q: want COMPLETED or FAILED", ErrInvalid, u.Status))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeJSON(w, nil, fmt.Errorf("%w: body: %w", ErrInvalid, err))
		return
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &u.Output); err != nil {
			writeJSON(w, nil, fmt.Errorf("%w: the output must be a JSON object: %w", ErrInvalid, err))
			return
		}
	}
	if err := h.UpdateTask(r.Context(), u); err != nil {
		if errors.Is(err, conductor.ErrNotWaiting) {
			writeJSON(w, nil, fmt.Errorf("%w: %w", ErrConflict, err))
			return
		}
		writeJSON(w, nil, fmt.Errorf("%w: %w", ErrInvalid, err))
		return
	}
	writeJSON(w, map[string]string{"ref": u.Ref, "status": string(u.Status)}, nil)
}
