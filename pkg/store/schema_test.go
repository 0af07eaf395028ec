package store_test

import (
	"context"
	"slices"
	"testing"

	"smsinbox/pkg/store/storetest"
)

// The SQLite schema is kept equivalent to schema.sql: same tables, columns,
// nullability and indexes.
func TestSchemasAgree(t *testing.T) {
	ctx := context.Background()
	pg, err := storetest.Postgres(t).Shape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := storetest.SQLite(t).Shape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pg {
		if !slices.Contains(lite, s) {
			t.Errorf("PostgreSQL has %s; SQLite does not", s)
		}
	}
	for _, s := range lite {
		if !slices.Contains(pg, s) {
			t.Errorf("SQLite has %s; PostgreSQL does not", s)
		}
	}
	if len(pg) < 100 {
		t.Errorf("the schema has %d items; want the whole schema compared", len(pg))
	}
}

// Migrate is idempotent: applying the schema again changes nothing.
func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	for name, db := range map[string]interface{ Migrate(context.Context) error }{
		"sqlite": storetest.SQLite(t), "postgres": storetest.Postgres(t),
	} {
		if err := db.Migrate(ctx); err != nil {
			t.Errorf("%s: second Migrate: %v", name, err)
		}
	}
}
