package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// OpenSQLite opens (creating it if needed) the embedded store in the file
// path. Writes go through one connection — SQLite has one writer anyway, and
// queuing in the pool beats lock contention — with immediate transactions;
// reads use a pool of read-only connections on the WAL. Other processes may
// open the same file (`inboxd admin create` next to a running server): they
// wait on the busy timeout. It does not apply the schema: call Migrate.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	params := []string{
		"_pragma=busy_timeout(5000)",
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)", // a webhook is answered only after its commit is on disk
		"_time_format=sqlite",
	}
	write, err := sqlx.Open("sqlite", base+"?"+strings.Join(append(params, "_txlock=immediate"), "&"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sqlx.Open("sqlite", base+"?"+strings.Join(append(params, "_pragma=query_only(1)"), "&"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	readStmts, writeStmts := newStmts(read, sqlx.QUESTION), newStmts(write, sqlx.QUESTION)
	db := &DB{
		queries:    queries{q: read, stmts: readStmts, bind: sqlx.QUESTION, now: utcNow},
		write:      write,
		read:       read,
		writeStmts: writeStmts,
		path:       path,
		closers:    []func() error{readStmts.close, writeStmts.close, read.Close, write.Close},
	}
	return db, nil
}

func sqliteUniqueViolation(err error) (string, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		// "UNIQUE constraint failed: users.email (2067)"
		msg := e.Error()
		if i := strings.Index(msg, "failed: "); i >= 0 {
			msg = msg[i+len("failed: "):]
		}
		if i := strings.Index(msg, " ("); i >= 0 {
			msg = msg[:i]
		}
		return msg, true
	}
	return "", false
}
