-- Version 6: what Plivo charged for each text, and each company's region for
-- phone numbers written without a country code.
--
-- Billing comes from Plivo's status callbacks (Units, TotalRate,
-- TotalAmount): exact decimals, never floats, so that the report's totals do
-- not lose a cent. Callbacks kept before their message is known keep it too,
-- and whether their error code was the carrier's opt-out.
-- The report's number and sender indexes hold every column its totals count
-- (index-only scans), so they are rebuilt with the two the totals now sum.
-- Building them holds writes to messages for as long as the builds take
-- (docs/OPERATIONS.md, "Upgrading").
--
-- The report's rollups (version 5) carry the charge too, so that a month's
-- totals stay a read of rollups: message_rollups and its deltas gain units
-- and amount, and the rollup trigger adds a message's charge with its count.
-- It also fires when only the charge changes: Plivo's callbacks set it after
-- the message is stored (an UPDATE of units or total_amount). The rollups
-- are then given the charge of the messages stored so far (on a database
-- this migration upgrades, none has one yet: the columns are new).

-- +goose Up
ALTER TABLE companies ADD COLUMN default_region TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN units INTEGER,
    ADD COLUMN total_rate NUMERIC,
    ADD COLUMN total_amount NUMERIC;
ALTER TABLE pending_statuses ADD COLUMN units INTEGER,
    ADD COLUMN total_rate NUMERIC,
    ADD COLUMN total_amount NUMERIC,
    ADD COLUMN opted_out BOOLEAN NOT NULL DEFAULT FALSE;
DROP INDEX messages_report_number;
DROP INDEX messages_report_sender;
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments, units, total_amount);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments, units, total_amount);

ALTER TABLE message_rollups ADD COLUMN units BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN amount NUMERIC NOT NULL DEFAULT 0;
ALTER TABLE message_rollup_deltas ADD COLUMN units BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN amount NUMERIC NOT NULL DEFAULT 0;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION messages_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
        VALUES (OLD.company_id, date_trunc('day', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', OLD.number_id,
            COALESCE(OLD.sent_by, 0), OLD.direction, OLD.status, -1, -OLD.segments,
            -COALESCE(OLD.units, 0), -COALESCE(OLD.total_amount, 0));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
        VALUES (NEW.company_id, date_trunc('day', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', NEW.number_id,
            COALESCE(NEW.sent_by, 0), NEW.direction, NEW.status, 1, NEW.segments,
            COALESCE(NEW.units, 0), COALESCE(NEW.total_amount, 0));
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

DROP TRIGGER messages_rollup_update ON messages;
CREATE TRIGGER messages_rollup_update AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.segments IS DISTINCT FROM NEW.segments
        OR OLD.number_id IS DISTINCT FROM NEW.number_id OR OLD.sent_by IS DISTINCT FROM NEW.sent_by
        OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.units IS DISTINCT FROM NEW.units OR OLD.total_amount IS DISTINCT FROM NEW.total_amount)
    EXECUTE FUNCTION messages_rollup();

-- What is charged already: the whole charge of each rollup's messages goes
-- on the rollup row (made with no count when only deltas hold its count);
-- the deltas carry none.
INSERT INTO message_rollups (company_id, day, number_id, sender_id, direction, status, messages, segments, units, amount)
SELECT company_id, date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', number_id, COALESCE(sent_by, 0),
    direction, status, 0, 0, COALESCE(sum(units), 0), COALESCE(sum(total_amount), 0)
FROM messages WHERE units IS NOT NULL OR total_amount IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (company_id, day, number_id, sender_id, direction, status)
DO UPDATE SET units = excluded.units, amount = excluded.amount;

-- +goose Down
-- Version 5's rollup trigger first: its columns go below.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION messages_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments)
        VALUES (OLD.company_id, date_trunc('day', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', OLD.number_id,
            COALESCE(OLD.sent_by, 0), OLD.direction, OLD.status, -1, -OLD.segments);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO message_rollup_deltas (company_id, day, number_id, sender_id, direction, status, messages, segments)
        VALUES (NEW.company_id, date_trunc('day', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', NEW.number_id,
            COALESCE(NEW.sent_by, 0), NEW.direction, NEW.status, 1, NEW.segments);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
DROP TRIGGER messages_rollup_update ON messages;
CREATE TRIGGER messages_rollup_update AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.segments IS DISTINCT FROM NEW.segments
        OR OLD.number_id IS DISTINCT FROM NEW.number_id OR OLD.sent_by IS DISTINCT FROM NEW.sent_by
        OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION messages_rollup();
ALTER TABLE message_rollup_deltas DROP COLUMN units, DROP COLUMN amount;
ALTER TABLE message_rollups DROP COLUMN units, DROP COLUMN amount;
DROP INDEX messages_report_number;
DROP INDEX messages_report_sender;
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments);
ALTER TABLE pending_statuses DROP COLUMN units, DROP COLUMN total_rate, DROP COLUMN total_amount, DROP COLUMN opted_out;
ALTER TABLE messages DROP COLUMN units, DROP COLUMN total_rate, DROP COLUMN total_amount;
ALTER TABLE companies DROP COLUMN default_region;
