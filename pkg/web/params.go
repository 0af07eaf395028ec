package web

import (
	"net/http"
	"strconv"

	"smsinbox/pkg/inbox"
)

// pathID reads an id from the path; anything but a positive integer names
// nothing, so it is not_found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, inbox.NotFound("resource")
	}
	return id, nil
}

// queryInt reads an optional integer query parameter.
func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, inbox.Errorf(inbox.KindMalformed, "invalid_parameter", "%s must be a non-negative integer", name)
	}
	return n, nil
}
