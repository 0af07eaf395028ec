-- Version 11: the company feed is numbered after commit (the PostgreSQL
-- migration of the same version says why). SQLite has one writer at a
-- time, so it numbers its feed events inside the writing transaction and
-- leaves this table empty; it exists so both engines have one schema.

-- +goose Up
CREATE TABLE feed_pending (
    id         INTEGER PRIMARY KEY,
    topic      TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    contact_id INTEGER
);
CREATE INDEX feed_pending_topic ON feed_pending (topic, id);

-- +goose Down
DROP TABLE feed_pending;
