// Package smsinbox holds what belongs to the whole module: the canonical
// PostgreSQL schema, embedded so that the binary can apply it.
package smsinbox

import _ "embed"

// PostgresSchema is schema.sql: idempotent DDL for PostgreSQL.
//
//go:embed schema.sql
var PostgresSchema string
