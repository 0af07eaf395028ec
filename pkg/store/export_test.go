package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Shape describes the schema as both engines can report it: every table's
// columns with their nullability, and every index name.
func (db *DB) Shape(ctx context.Context) ([]string, error) {
	var shape []string
	var cols []struct {
		Table   string `db:"tbl"`
		Column  string `db:"col"`
		NotNull bool   `db:"notnull"`
	}
	var indexes []string
	var err error
	if db.postgres {
		// A tsvector column is part of PostgreSQL's full-text index, which
		// SQLite's FTS5 table stands for.
		err = db.read.SelectContext(ctx, &cols, `SELECT table_name AS tbl, column_name AS col, is_nullable = 'NO' AS "notnull"
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
			AND data_type <> 'tsvector'`)
		if err == nil {
			// A GIN full-text index is the twin of SQLite's FTS5 table.
			err = db.read.SelectContext(ctx, &indexes, `SELECT CASE WHEN indexdef LIKE '%USING gin%' THEN 'search ' ELSE '' END || indexname
				FROM pg_indexes
				WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'`)
		}
	} else {
		// An FTS5 table (and its shadow tables, named after it) is the twin
		// of a PostgreSQL GIN index: it is listed as one, not as tables.
		err = db.read.SelectContext(ctx, &cols, `SELECT m.name AS tbl, p.name AS col, (p."notnull" OR p.pk > 0) AS "notnull"
			FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'
			AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%'
			AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%' AND m.name LIKE v.name || '\_%' ESCAPE '\')`)
		if err == nil {
			err = db.read.SelectContext(ctx, &indexes, `SELECT name FROM sqlite_master
				WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'
				UNION ALL SELECT 'search ' || name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'`)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		shape = append(shape, fmt.Sprintf("column %s.%s notnull=%v", c.Table, c.Column, c.NotNull))
	}
	for _, i := range indexes {
		shape = append(shape, "index "+i)
	}
	sort.Strings(shape)
	return shape, nil
}

// PostgresDefinition describes a PostgreSQL schema in full — every column's
// type, nullability and default, every constraint, every index's definition,
// every table's persistence (logged or not), every trigger and every
// function with its body — with the schema's own name taken out, so that
// two schemas built the same way compare equal. The migrations' version
// table is left out.
func PostgresDefinition(ctx context.Context, q interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}) ([]string, error) {
	var def []string
	for _, query := range []string{
		`SELECT format('column %s.%s %s null=%s default=%s', table_name, column_name, data_type, is_nullable, coalesce(column_default, '-'))
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`,
		`SELECT format('constraint %s.%s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
			FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
			WHERE n.nspname = current_schema() AND c.conrelid::regclass::text <> 'goose_db_version'`,
		`SELECT format('index %s', indexdef) FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename <> 'goose_db_version'`,
		`SELECT format('table %s persistence=%s', c.relname, c.relpersistence) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> 'goose_db_version'`,
		`SELECT format('trigger %s', pg_get_triggerdef(t.oid)) FROM pg_trigger t
			JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND NOT t.tgisinternal`,
		`SELECT format('function %s', pg_get_functiondef(p.oid)) FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()`,
	} {
		var rows []string
		if err := q.SelectContext(ctx, &rows, query); err != nil {
			return nil, err
		}
		def = append(def, rows...)
	}
	var names []string
	if err := q.SelectContext(ctx, &names, `SELECT current_schema()`); err != nil || len(names) != 1 {
		return nil, fmt.Errorf("current schema: %v", err)
	}
	schema := names[0]
	for i := range def {
		def[i] = strings.ReplaceAll(def[i], schema+".", "")
	}
	sort.Strings(def)
	return def, nil
}

// Read is the store's read pool, for tests that look at the database itself.
func (db *DB) Read() *sqlx.DB { return db.read }

// ExecForTest runs a statement on the write pool.
func (db *DB) ExecForTest(ctx context.Context, query string) error {
	_, err := db.write.ExecContext(ctx, query)
	return err
}

// ResponseBucketForTest runs ResponseBucketSQL on a number of seconds.
func (db *DB) ResponseBucketForTest(ctx context.Context, seconds int64) (int64, error) {
	var b int64
	err := db.read.GetContext(ctx, &b, sqlx.Rebind(db.queries.bind, `SELECT `+strings.ReplaceAll(ResponseBucketSQL, "seconds", "x.s")+
		` FROM (SELECT CAST(? AS BIGINT) AS s) x`), seconds)
	return b, err
}

// ChargeForTest adds up the charge the table holds for a company: units and
// amount of message_rollups or message_rollup_deltas, or units and
// total_amount of messages (an amount of "" when there is none to add).
func (db *DB) ChargeForTest(ctx context.Context, table string, companyID int64) (int64, string, error) {
	amount := "amount"
	if table == "messages" {
		amount = "total_amount"
	}
	var row struct {
		Units  int64   `db:"units"`
		Amount *string `db:"amount"`
	}
	err := db.read.GetContext(ctx, &row, sqlx.Rebind(db.queries.bind, `SELECT COALESCE(sum(units), 0) AS units, `+
		db.dialect.sumDecimal(amount)+` AS amount FROM `+table+` WHERE company_id = ?`), companyID)
	if row.Amount == nil {
		return row.Units, "", err
	}
	return row.Units, *row.Amount, err
}

// DecimalAddForTest runs SQLite's decimal_add(a, b).
func (db *DB) DecimalAddForTest(ctx context.Context, a, b any) (string, error) {
	var sum string
	err := db.read.GetContext(ctx, &sum, `SELECT decimal_add(?, ?)`, a, b)
	return sum, err
}
