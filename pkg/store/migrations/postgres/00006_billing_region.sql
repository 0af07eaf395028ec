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

-- +goose Down
DROP INDEX messages_report_number;
DROP INDEX messages_report_sender;
CREATE INDEX messages_report_number ON messages (company_id, number_id, created_at, id, sent_by, direction, status, segments);
CREATE INDEX messages_report_sender ON messages (company_id, sent_by, created_at, id, number_id, direction, status, segments);
ALTER TABLE pending_statuses DROP COLUMN units, DROP COLUMN total_rate, DROP COLUMN total_amount, DROP COLUMN opted_out;
ALTER TABLE messages DROP COLUMN units, DROP COLUMN total_rate, DROP COLUMN total_amount;
ALTER TABLE companies DROP COLUMN default_region;
