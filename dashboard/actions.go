package dashboard

import (
	"errors"
	"fmt"
	"net/http"
)

// This file is the page's one action: completing a waiting task of a running execution.

var (
	// ErrForbidden: an action was asked of a dashboard without WithActions, or without the
	// header that proves it came from the dashboard's own page.
	ErrForbidden = errors.New("dashboard: actions are disabled")
	// ErrUnsupported: the action needs an API the conductor package does not have.
	ErrUnsupported = errors.New("dashboard: not supported")
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

func (d *Dashboard) complete(w http.ResponseWriter, r *http.Request) {
	if err := d.checkAction(r); err != nil {
		writeJSON(w, nil, err)
		return
	}
	writeJSON(w, nil, fmt.Errorf("%w: this conductor has no API to complete a waiting task", ErrUnsupported))
}
