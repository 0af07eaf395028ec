-- Version 6: what Plivo charged for each text, and each company's region for
-- phone numbers written without a country code.
--
-- SQLite has no exact decimal type (a NUMERIC column would turn "0.00650"
-- into a float), so amounts are TEXT, as Plivo wrote them, and the store
-- sums them exactly with its decimal_sum function. The report's number and
-- sender indexes are rebuilt with the two columns the totals now sum, as on
-- PostgreSQL.

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

-- +goose Down
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
