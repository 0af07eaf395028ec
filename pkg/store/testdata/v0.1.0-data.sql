-- Rows of a working smsinbox 0.1.0 database, written the way 0.1.0 wrote
-- them, portable to both engines (ids come from each table's sequence).
INSERT INTO companies (name, sms_enabled, optout_reply, help_reply, created_at)
    VALUES ('Legacy Staffing', TRUE, 'You are unsubscribed.', 'Reply STOP to stop.', '2026-06-01 09:00:00');
INSERT INTO users (company_id, email, name, role, password_hash, created_at)
    VALUES (1, 'admin@legacy.test', 'Ada Admin', 'admin', '$2a$04$abcdefghijklmnopqrstuuJ7b1nK5xJ8XbGZ4uYb7bqQ2eV6x2kG', '2026-06-01 09:00:00');
INSERT INTO numbers (company_id, e164, label, created_at) VALUES (1, '+14155550100', 'Recruiting', '2026-06-01 09:00:00');
INSERT INTO number_assignees (number_id, user_id) VALUES (1, 1);
INSERT INTO contacts (company_id, external_id, name, phone, email, kind, consent, consent_source, consent_at, last_message_at, created_at, updated_at)
    VALUES (1, 'ats-7', 'Cara Candidate', '+14155550123', 'cara@example.com', 'candidate', 'opted_in', 'keyword', '2026-06-02 10:00:00', '2026-06-02 10:05:00', '2026-06-01 09:00:00', '2026-06-02 10:05:00');
INSERT INTO contacts (company_id, external_id, name, phone, email, kind, consent, consent_source, created_at, updated_at)
    VALUES (1, NULL, 'Otto Optout', '+14155550124', '', 'hire', 'opted_out', 'keyword', '2026-06-01 09:00:00', '2026-06-01 09:00:00');
INSERT INTO consent_changes (company_id, contact_id, from_state, to_state, source, keyword, user_id, message_id, created_at)
    VALUES (1, 1, 'unknown', 'opted_in', 'application', '', NULL, NULL, '2026-06-01 09:00:00');
INSERT INTO consent_changes (company_id, contact_id, from_state, to_state, source, keyword, user_id, message_id, created_at)
    VALUES (1, 2, 'unknown', 'opted_out', 'keyword', 'STOP', NULL, 1, '2026-06-01 09:30:00');
INSERT INTO threads (company_id, number_id, contact_id, unread_count, read_by, read_at, replied_by, last_message_id, last_message_at, created_at)
    VALUES (1, 1, 1, 1, NULL, NULL, 1, 2, '2026-06-02 10:05:00', '2026-06-02 10:00:00');
INSERT INTO messages (company_id, thread_id, number_id, contact_id, direction, body, status, segments, encoding, sent_by, plivo_uuid, send_state, created_at, updated_at)
    VALUES (1, 1, 1, 1, 'outbound', 'Are you still interested?', 'delivered', 1, 'GSM-7', 1, 'uuid-out-1', 'done', '2026-06-02 10:00:00', '2026-06-02 10:01:00');
INSERT INTO messages (company_id, thread_id, number_id, contact_id, direction, body, status, segments, encoding, plivo_uuid, created_at, updated_at)
    VALUES (1, 1, 1, 1, 'inbound', 'Yes — tell me more', 'received', 1, 'UCS-2', 'uuid-in-1', '2026-06-02 10:05:00', '2026-06-02 10:05:00');
INSERT INTO topic_seqs (topic, seq) VALUES ('number:1', 2);
INSERT INTO events (topic, seq, type, payload, created_at)
    VALUES ('number:1', 1, 'message.created', '{"message":{"id":1}}', '2026-06-02 10:00:00');
INSERT INTO events (topic, seq, type, payload, created_at)
    VALUES ('number:1', 2, 'message.created', '{"message":{"id":2}}', '2026-06-02 10:05:00');
