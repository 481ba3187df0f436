-- Audit trail and GDPR consent. The audit log keeps its rows when the actor is erased (actor becomes NULL).
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_type  text        NOT NULL,
    entity_id    bigint      NOT NULL,
    action       text        NOT NULL,
    actor_id     bigint      REFERENCES users (id) ON DELETE SET NULL,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id);
CREATE INDEX audit_log_created_at_idx ON audit_log (created_at);

CREATE TABLE consent (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text        NOT NULL,
    granted     boolean     NOT NULL,
    granted_at  timestamptz,
    revoked_at  timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT consent_user_purpose_unique UNIQUE (user_id, purpose)
);
CREATE INDEX consent_purpose_granted_idx ON consent (purpose) WHERE granted = false;
