package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"smsinbox/pkg/store"
)

// openStore opens PostgreSQL when DATABASE_URL is set, else the embedded
// store in the data folder, and applies the pending migrations.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	db, err := openStoreOnly(ctx, cfg)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, m := range applied {
		log.Info("schema migrated", "engine", db.Engine(), "version", m.Version, "migration", m.Name)
	}
	if cfg.Clock != nil {
		db.SetClock(cfg.Clock)
	}
	log.Debug("store ready", "engine", db.Engine())
	return db, nil
}

// openStoreOnly opens the store without migrating it.
func openStoreOnly(ctx context.Context, cfg Config) (*store.DB, error) {
	if cfg.DatabaseURL != "" {
		return store.OpenPostgres(ctx, cfg.DatabaseURL)
	}
	return store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "smsinbox.db"))
}

func migrateFlags(*flag.FlagSet) func(context.Context, cli, []string) error {
	return func(ctx context.Context, c cli, args []string) error {
		action := "up"
		if len(args) > 0 {
			action, args = args[0], args[1:]
		}
		cfg, log, err := c.configured()
		if err != nil {
			return err
		}
		switch {
		case action == "up" && len(args) == 0:
			db, err := openStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer db.Close()
			current, _, err := db.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s schema at version %d\n", db.Engine(), current)
			return nil
		case action == "status" && len(args) == 0:
			db, err := openStoreOnly(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := db.Migrations(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "VERSION\tMIGRATION\tAPPLIED (%s)\n", db.Engine())
			for _, m := range list {
				applied := "pending"
				if m.Applied {
					applied = m.AppliedAt.Format("2006-01-02 15:04:05 UTC")
				}
				fmt.Fprintf(w, "%d\t%s\t%s\n", m.Version, m.Name, applied)
			}
			return w.Flush()
		case action == "down-to" && len(args) == 1:
			version, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("migrate down-to %q: want a version number (see inboxd migrate status)", args[0])
			}
			db, err := openStoreOnly(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			undone, err := db.MigrateDownTo(ctx, version)
			for _, m := range undone {
				fmt.Fprintf(c.stdout, "rolled back %s\n", m.Name)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s schema at version %d\n", db.Engine(), version)
			return nil
		}
		return fmt.Errorf("migrate: want up, status or down-to VERSION (see inboxd migrate --help)")
	}
}
