package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"smsinbox/pkg/store"
)

// openStore opens PostgreSQL when DATABASE_URL is set, else the embedded
// store in the data folder, and applies the schema (idempotent).
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	var (
		db  *store.DB
		err error
	)
	if cfg.DatabaseURL != "" {
		db, err = store.OpenPostgres(ctx, cfg.DatabaseURL)
	} else {
		db, err = store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "smsinbox.db"))
	}
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	log.Debug("store ready", "engine", db.Engine())
	return db, nil
}

func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("schema applied (%s)\n", db.Engine())
	return nil
}
