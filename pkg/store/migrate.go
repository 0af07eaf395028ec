package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The schema's versioned migrations, one set per engine with the same
// versions: migrations/postgres and migrations/sqlite. docs/OPERATIONS.md
// says how to add one.
//
//go:embed migrations
var migrations embed.FS

// Migration is one schema version and whether the store has it.
type Migration struct {
	Version   int64
	Name      string    // the file, e.g. 00002_states.sql
	Applied   bool      // the store is at this version or later
	AppliedAt time.Time // when it was applied, if it was
}

// ErrSchemaNewer means the store's schema is of a newer release than this
// program knows: running on it could write what that release does not expect.
var ErrSchemaNewer = errors.New("the database schema is newer than this inboxd")

// Migrate applies the pending migrations and returns those it applied. It
// holds a lock while it works (a PostgreSQL advisory lock, an exclusive file
// lock beside a SQLite file), so that instances starting together apply each
// migration once; the others wait, then find nothing to do. A database that
// an earlier release created without versions is adopted: the first
// migration's statements change nothing in it, and are recorded as applied.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	if err := db.refuseNewer(ctx, p); err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", db.Engine(), err)
	}
	var applied []Migration
	for _, r := range results {
		applied = append(applied, Migration{Version: r.Source.Version, Name: filepath.Base(r.Source.Path), Applied: true})
	}
	if !db.postgres {
		// SQLite has no autovacuum-driven statistics: gather them, so that
		// the planner picks the report's filter indexes over the time one.
		if _, err := db.write.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
			return applied, fmt.Errorf("optimize sqlite: %w", err)
		}
	}
	return applied, nil
}

// MigrateDownTo rolls the schema back to version (at least 1, the first
// release's schema), undoing each later migration in turn.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) ([]Migration, error) {
	if version < 1 {
		return nil, fmt.Errorf("cannot roll back below version 1, the first release's schema")
	}
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	results, err := p.DownTo(ctx, version)
	if err != nil {
		return nil, fmt.Errorf("roll back %s to version %d: %w", db.Engine(), version, err)
	}
	var undone []Migration
	for _, r := range results {
		undone = append(undone, Migration{Version: r.Source.Version, Name: filepath.Base(r.Source.Path)})
	}
	return undone, nil
}

// Migrations lists every migration this program knows, oldest first, and
// whether the store has it.
func (db *DB) Migrations(ctx context.Context) ([]Migration, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status of %s: %w", db.Engine(), err)
	}
	list := make([]Migration, len(status))
	for i, s := range status {
		list[i] = Migration{Version: s.Source.Version, Name: filepath.Base(s.Source.Path),
			Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt.UTC()}
	}
	return list, nil
}

// SchemaVersion reports the store's schema version and the latest this
// program knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := db.migrator()
	if err != nil {
		return 0, 0, err
	}
	return p.GetVersions(ctx)
}

func (db *DB) refuseNewer(ctx context.Context, p *goose.Provider) error {
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version of %s: %w", db.Engine(), err)
	}
	if current > latest {
		return fmt.Errorf("%w: it is at version %d, this inboxd knows up to %d; run the release that migrated it, or roll it back with that release's `inboxd migrate down-to %d`",
			ErrSchemaNewer, current, latest, latest)
	}
	return nil
}

// migrator is goose over the engine's migrations, with the engine's lock.
func (db *DB) migrator() (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	var locker lock.SessionLocker = &fileLock{path: db.path + ".migrate-lock"}
	if db.postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		locker = advisoryLock{}
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(dialect, db.write.DB, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("load %s migrations: %w", db.Engine(), err)
	}
	return p, nil
}

// advisoryLock serialises migrations of one PostgreSQL schema: a session
// advisory lock keyed by the schema's name, so that test schemas sharing a
// database do not wait for one another. pg_advisory_lock blocks until the
// holder is done (no polling), and is given up if ctx ends.
type advisoryLock struct{}

func (advisoryLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext('smsinbox migrate ' || current_schema()))`); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	return nil
}

func (advisoryLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext('smsinbox migrate ' || current_schema()))`); err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	return nil
}

// fileLock serialises migrations of one SQLite file across processes: an
// exclusive lock on a file beside it, polled so that ctx can end the wait.
type fileLock struct {
	path string
	f    *os.File
}

func (l *fileLock) SessionLock(ctx context.Context, _ *sql.Conn) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open the migration lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			l.f = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("take the migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (l *fileLock) SessionUnlock(context.Context, *sql.Conn) error {
	// Closing the file releases the lock.
	return l.f.Close()
}
