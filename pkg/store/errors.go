package store

import (
	"database/sql"
	"errors"
	"fmt"

	"smsinbox/pkg/inbox"
)

// notFound maps sql.ErrNoRows to the domain's not_found and wraps the rest.
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return inbox.NotFound(what)
	}
	return fmt.Errorf("load %s: %w", what, err)
}

// unavailable marks a failure to reach the database: the caller retries.
func unavailable(what string, err error) error {
	return inbox.Unavailable("the database ("+what+")", err)
}
