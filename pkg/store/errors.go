package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

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
	return inbox.DatabaseUnavailable(what, err)
}

// classify is the one place a database error is judged: a database that
// cannot be reached, or cannot answer now, is inbox.Unavailable (503 and
// Retry-After at the edge, retried by the outbox and the janitor); anything
// else — a constraint, a syntax error, a bug — is returned as it is and stays
// internal. Every statement the store runs passes its error through here.
func classify(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var domain *inbox.Error
	if errors.As(err, &domain) {
		return err
	}
	if unreachable(err) {
		return inbox.DatabaseUnavailable("", err)
	}
	return err
}

// unreachable reports whether err says the database could not be reached or
// could not answer in time, as opposed to refusing what it was asked:
//   - the connection failed: refused, reset, broken, a dial that timed out,
//     any network operation error, or an EOF where a reply was due;
//   - database/sql gave up on its connections (driver.ErrBadConn after its
//     retries, sql.ErrConnDone, a closed pool);
//   - the query ran out of time (context.DeadlineExceeded): the database did
//     not answer within what the caller could wait;
//   - the engine said so: PostgreSQL's connection exceptions (class 08),
//     administrator shutdown, crash shutdown and "cannot connect now"
//     (57P01–57P03), too many connections (53300); SQLite still busy after
//     its busy timeout.
func unreachable(err error) bool {
	var netErr *net.OpError
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded):
		return true
	case err.Error() == "sql: database is closed": // database/sql's unexported errDBClosed
		return true
	}
	return postgresUnreachable(err) || sqliteBusy(err)
}
