package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver the server uses too
)

// createDatabase creates a fresh database name on the server of adminURL,
// a copy of template unless that is empty, and returns its URL.
func createDatabase(ctx context.Context, adminURL, name, template string) (string, error) {
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	stmt := `CREATE DATABASE "` + name + `"`
	if template != "" {
		stmt += ` TEMPLATE "` + template + `"`
	}
	// A template must have no connection: those of a server just stopped
	// may take a moment to end.
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, err = db.ExecContext(ctx, stmt)
		if err == nil || template == "" || !strings.Contains(err.Error(), "being accessed by other users") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// dropDatabase drops name, closing any connection still open to it.
func dropDatabase(ctx context.Context, adminURL, name string) error {
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	return err
}

// pgSettings reads the settings that decide whether a commit is durable.
func pgSettings(ctx context.Context, adminURL string) (fsync, syncCommit, version string, err error) {
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return "", "", "", err
	}
	defer db.Close()
	if err = db.QueryRowContext(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		return
	}
	if err = db.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&syncCommit); err != nil {
		return
	}
	err = db.QueryRowContext(ctx, "SHOW server_version").Scan(&version)
	return
}
