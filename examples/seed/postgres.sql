-- Example data the local default loads after its rollout (bin/local-rollout, once: when no example.org user exists):
-- five users with conversations, messages, consents, refresh tokens, analytics events and audit entries, so that an
-- erasure request (README, Erasure API) has something to erase. Ids 1 to 5 are given explicitly; the identity then
-- restarts at 1000 so that new users never collide with them. Not a migration: a deployment never gets these rows.
INSERT INTO users (id, email, display_name, locale, created_at) OVERRIDING SYSTEM VALUE VALUES
    (1, 'ada.lovelace@example.org',   'Ada Lovelace',   'en-GB', '2026-09-01 09:00:00+00'),
    (2, 'alan.turing@example.org',    'Alan Turing',    'en-GB', '2026-09-02 10:30:00+00'),
    (3, 'grace.hopper@example.org',   'Grace Hopper',   'en-US', '2026-09-03 14:15:00+00'),
    (4, 'emmy.noether@example.org',   'Emmy Noether',   'de-DE', '2026-09-04 08:45:00+00'),
    (5, 'sofia.kovalevskaya@example.org', 'Sofia Kovalevskaya', 'fr-FR', '2026-09-05 16:20:00+00');

ALTER TABLE users ALTER COLUMN id RESTART WITH 1000;

INSERT INTO conversations (user_id, title, created_at)
SELECT u, t, '2026-10-01 12:00:00+00'::timestamptz + (u || ' days')::interval
FROM (VALUES (1, 'Analytical engine notes'), (2, 'Morphogenesis questions'), (2, 'Chess openings'), (3, 'Compiler design'),
             (4, 'Symmetry and conservation'), (5, 'Partial differential equations')) AS c(u, t);

INSERT INTO messages (conversation_id, role, content, created_at)
SELECT c.id, m.role, m.content, c.created_at + m.offset_minutes * interval '1 minute'
FROM conversations c
JOIN users u ON u.id = c.user_id AND u.email LIKE '%@example.org'
CROSS JOIN (VALUES ('user', 'Can you summarise where we left off?', 0),
                   ('assistant', 'Here is a summary of the last session.', 1),
                   ('user', 'Thanks, continue from there.', 5)) AS m(role, content, offset_minutes);

INSERT INTO refresh_tokens (user_id, token_hash, expires_at)
SELECT id, sha256(convert_to('seed-token-' || id, 'UTF8')), '2027-01-01 00:00:00+00' FROM users WHERE email LIKE '%@example.org';

INSERT INTO consent (user_id, purpose, granted, granted_at)
SELECT id, p, id % 2 = 1 OR p = 'service', '2026-09-10 00:00:00+00' FROM users CROSS JOIN (VALUES ('service'), ('analytics'), ('personalisation')) AS c(p)
WHERE email LIKE '%@example.org';

INSERT INTO analytics (user_id, event_type, properties, occurred_at)
SELECT id, e, '{"seed": true}'::jsonb, '2026-11-15 10:00:00+00'::timestamptz + (id || ' hours')::interval
FROM users CROSS JOIN (VALUES ('login'), ('message_sent'), ('export_requested')) AS a(e)
WHERE email LIKE '%@example.org';

INSERT INTO audit_log (entity_type, entity_id, action, actor_id, details, created_at)
SELECT 'user', id, 'update', id, '{"seed": true, "field": "display_name"}'::jsonb, '2026-11-20 09:00:00+00'
FROM users WHERE email LIKE '%@example.org';
