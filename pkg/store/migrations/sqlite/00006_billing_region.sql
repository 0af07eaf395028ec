-- Version 6: what Plivo charged for each text, and each company's region for
-- phone numbers written without a country code.
--
-- SQLite has no exact decimal type (a NUMERIC column would turn "0.00650"
-- into a float), so amounts are TEXT, as Plivo wrote them, and the store
-- sums them exactly with its decimal_sum function. The report's number and
-- sender indexes are rebuilt with the two columns the totals now sum, as on
-- PostgreSQL.
--
-- The rollups carry the charge too (see the PostgreSQL twin): units, and the
-- amount as exact decimal text, which the triggers add with the store's
-- decimal_add function (registered on every connection of the store, see
-- decimal.go). The three rollup triggers are made again with the charge, the
-- update trigger also for a change of the charge alone.

-- +goose Up
ALTER TABLE companies ADD COLUMN default_region TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN units INTEGER;
ALTER TABLE messages ADD COLUMN total_rate TEXT;
ALTER TABLE messages ADD COLUMN total_amount TEXT;
ALTER TABLE pending_statuses ADD COLUMN units INTEGER;
ALTER TABLE pending_statuses ADD COLUMN total_rate TEXT;
ALTER TABLE pending_statuses ADD COLUMN total_amount TEXT;
ALTER TABLE pending_statuses ADD COLUMN opted_out BOOLEAN NOT NULL DEFAULT FALSE;
DROP INDEX messages_report_number;
DROP INDEX messages_report_sender;
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments, units, total_amount);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments, units, total_amount);

ALTER TABLE message_rollups ADD COLUMN units BIGINT NOT NULL DEFAULT 0;
ALTER TABLE message_rollups ADD COLUMN amount TEXT NOT NULL DEFAULT '0';
ALTER TABLE message_rollup_deltas ADD COLUMN units BIGINT NOT NULL DEFAULT 0;
ALTER TABLE message_rollup_deltas ADD COLUMN amount TEXT NOT NULL DEFAULT '0';

DROP TRIGGER messages_rollup_insert;
DROP TRIGGER messages_rollup_delete;
DROP TRIGGER messages_rollup_update;
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
    VALUES (new.company_id, substr(new.created_at, 1, 10) || ' 00:00:00+00:00', new.number_id, COALESCE(new.sent_by, 0),
        new.direction, new.status, 1, new.segments, COALESCE(new.units, 0), decimal_add(new.total_amount, NULL))
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments,
        units = units + excluded.units, amount = decimal_add(amount, excluded.amount);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
    VALUES (old.company_id, substr(old.created_at, 1, 10) || ' 00:00:00+00:00', old.number_id, COALESCE(old.sent_by, 0),
        old.direction, old.status, -1, -old.segments, -COALESCE(old.units, 0), decimal_add('-' || COALESCE(old.total_amount, '0'), NULL))
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments,
        units = units + excluded.units, amount = decimal_add(amount, excluded.amount);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_update AFTER UPDATE OF status, segments, number_id, sent_by, direction, created_at, units, total_amount ON messages
WHEN old.status IS NOT new.status OR old.segments IS NOT new.segments OR old.number_id IS NOT new.number_id
    OR old.sent_by IS NOT new.sent_by OR old.direction IS NOT new.direction OR old.created_at IS NOT new.created_at
    OR old.units IS NOT new.units OR old.total_amount IS NOT new.total_amount
BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
    VALUES (old.company_id, substr(old.created_at, 1, 10) || ' 00:00:00+00:00', old.number_id, COALESCE(old.sent_by, 0),
        old.direction, old.status, -1, -old.segments, -COALESCE(old.units, 0), decimal_add('-' || COALESCE(old.total_amount, '0'), NULL))
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments,
        units = units + excluded.units, amount = decimal_add(amount, excluded.amount);
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
    VALUES (new.company_id, substr(new.created_at, 1, 10) || ' 00:00:00+00:00', new.number_id, COALESCE(new.sent_by, 0),
        new.direction, new.status, 1, new.segments, COALESCE(new.units, 0), decimal_add(new.total_amount, NULL))
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments,
        units = units + excluded.units, amount = decimal_add(amount, excluded.amount);
END;
-- +goose StatementEnd

-- What is charged already (see the PostgreSQL twin).
INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
SELECT company_id, substr(created_at, 1, 10) || ' 00:00:00+00:00', number_id, COALESCE(sent_by, 0),
    direction, status, 0, 0, COALESCE(sum(units), 0), COALESCE(decimal_sum(total_amount), '0')
FROM messages WHERE units IS NOT NULL OR total_amount IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
DO UPDATE SET units = excluded.units, amount = excluded.amount;

-- +goose Down
-- Version 5's rollup triggers first: SQLite drops no column a trigger reads.
DROP TRIGGER messages_rollup_update;
DROP TRIGGER messages_rollup_delete;
DROP TRIGGER messages_rollup_insert;
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (new.company_id, substr(new.created_at, 1, 10) || ' 00:00:00+00:00', new.number_id, COALESCE(new.sent_by, 0),
        new.direction, new.status, 1, new.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (old.company_id, substr(old.created_at, 1, 10) || ' 00:00:00+00:00', old.number_id, COALESCE(old.sent_by, 0),
        old.direction, old.status, -1, -old.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_rollup_update AFTER UPDATE OF status, segments, number_id, sent_by, direction, created_at ON messages
WHEN old.status IS NOT new.status OR old.segments IS NOT new.segments OR old.number_id IS NOT new.number_id
    OR old.sent_by IS NOT new.sent_by OR old.direction IS NOT new.direction OR old.created_at IS NOT new.created_at
BEGIN
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (old.company_id, substr(old.created_at, 1, 10) || ' 00:00:00+00:00', old.number_id, COALESCE(old.sent_by, 0),
        old.direction, old.status, -1, -old.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
    INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments)
    VALUES (new.company_id, substr(new.created_at, 1, 10) || ' 00:00:00+00:00', new.number_id, COALESCE(new.sent_by, 0),
        new.direction, new.status, 1, new.segments)
    ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
    DO UPDATE SET messages = messages + excluded.messages, segments = segments + excluded.segments;
END;
-- +goose StatementEnd
ALTER TABLE message_rollup_deltas DROP COLUMN amount;
ALTER TABLE message_rollup_deltas DROP COLUMN units;
ALTER TABLE message_rollups DROP COLUMN amount;
ALTER TABLE message_rollups DROP COLUMN units;
DROP INDEX messages_report_number;
DROP INDEX messages_report_sender;
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments);
ALTER TABLE pending_statuses DROP COLUMN opted_out;
ALTER TABLE pending_statuses DROP COLUMN total_amount;
ALTER TABLE pending_statuses DROP COLUMN total_rate;
ALTER TABLE pending_statuses DROP COLUMN units;
ALTER TABLE messages DROP COLUMN total_amount;
ALTER TABLE messages DROP COLUMN total_rate;
ALTER TABLE messages DROP COLUMN units;
ALTER TABLE companies DROP COLUMN default_region;
