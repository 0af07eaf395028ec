-- Version 11: the company feed is numbered after commit.
--
-- A company's feed has one gapless seq for all of its numbers. Taking it
-- inside every writing transaction held the company's counter row until
-- commit, so every write of a company waited for the one before it to
-- commit, and for everything that one waited on (thread rows, other
-- counters): a convoy. Now a transaction stores its feed events in
-- feed_pending, which has no counter; right after the commit a short
-- transaction of its own moves them into events, numbered in id order, and
-- a sweep every second numbers what a crash left between the two. The feed
-- reads only numbered events, so its seqs stay gapless and each event is
-- there once.

-- +goose Up
CREATE TABLE feed_pending (
    id         BIGSERIAL PRIMARY KEY,
    topic      TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    contact_id BIGINT
);
CREATE INDEX feed_pending_topic ON feed_pending (topic, id);

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM feed_pending) THEN
        RAISE EXCEPTION 'feed_pending holds events not yet numbered: start inboxd once (it numbers them) before going below version 11';
    END IF;
END
$$;
-- +goose StatementEnd
DROP TABLE feed_pending;
