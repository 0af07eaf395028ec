package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"smsinbox/pkg/inbox"
)

// TestClassify: a database out of reach is unavailable (503, retried); a
// database refusing what it was asked stays as it is (500, a bug).
func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	for _, tt := range []struct {
		name        string
		err         error
		unavailable bool
	}{
		{"connection refused", refused, true},
		{"connection refused, wrapped", fmt.Errorf("load user: %w", refused), true},
		{"reset mid-query", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"broken pipe", syscall.EPIPE, true},
		{"a bad connection after database/sql's retries", driver.ErrBadConn, true},
		{"a transaction whose connection is gone", sql.ErrConnDone, true},
		{"a closed pool", errors.New("sql: database is closed"), true},
		{"a deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{"a dial timeout", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}, true},
		{"PostgreSQL: connection failure (08006)", &pq.Error{Code: "08006", Message: "connection failure"}, true},
		{"PostgreSQL: cannot connect now (57P03)", &pq.Error{Code: "57P03", Message: "the database system is starting up"}, true},
		{"PostgreSQL: admin shutdown (57P01)", &pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"PostgreSQL: too many connections (53300)", &pq.Error{Code: "53300", Message: "sorry, too many clients already"}, true},
		{"PostgreSQL: unique violation (23505)", &pq.Error{Code: "23505", Message: "duplicate key"}, false},
		{"PostgreSQL: syntax error (42601)", &pq.Error{Code: "42601", Message: "syntax error"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"a bug", errors.New("sql: Scan error on column index 3"), false},
		{"a client that went away", context.Canceled, false},
		{"already the domain's", inbox.NotFound("user"), false},
	} {
		got := classify(tt.err)
		if unavailable := inbox.ErrorKind(got) == inbox.KindUnavailable; unavailable != tt.unavailable {
			t.Errorf("%s: classify(%v) is %v (kind %d); want unavailable %v", tt.name, tt.err, got, inbox.ErrorKind(got), tt.unavailable)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("%s: classify(%v) = %v lost its cause", tt.name, tt.err, got)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) is not nil")
	}
}

// TestClassifySQLiteBusy: SQLite still busy after its busy timeout is
// unavailable: the write did not happen and may be tried again.
func TestClassifySQLiteBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20)&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	if _, err := a.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	tx, err := a.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = b.Exec(`INSERT INTO t VALUES (1)`)
	if err == nil {
		t.Fatal("a second writer got in while the first held the database")
	}
	if got := classify(err); inbox.ErrorKind(got) != inbox.KindUnavailable {
		t.Errorf("classify(%v) = %v; want unavailable", err, got)
	}
}
