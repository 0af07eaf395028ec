package store

import (
	"context"
	"fmt"
	"sort"
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
		err = db.read.SelectContext(ctx, &cols, `SELECT table_name AS tbl, column_name AS col, is_nullable = 'NO' AS "notnull"
			FROM information_schema.columns WHERE table_schema = current_schema()`)
		if err == nil {
			err = db.read.SelectContext(ctx, &indexes, `SELECT indexname FROM pg_indexes
				WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'`)
		}
	} else {
		err = db.read.SelectContext(ctx, &cols, `SELECT m.name AS tbl, p.name AS col, (p."notnull" OR p.pk > 0) AS "notnull"
			FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
		if err == nil {
			err = db.read.SelectContext(ctx, &indexes, `SELECT name FROM sqlite_master
				WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'`)
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
