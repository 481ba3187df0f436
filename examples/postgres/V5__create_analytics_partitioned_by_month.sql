-- Analytics events, range-partitioned by month on occurred_at, with a default partition for late or early events.
CREATE TABLE analytics (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    user_id      bigint      REFERENCES users (id) ON DELETE SET NULL,
    event_type   text        NOT NULL,
    properties   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE TABLE analytics_2026_10 PARTITION OF analytics FOR VALUES FROM ('2026-10-01 00:00:00+00') TO ('2026-11-01 00:00:00+00');
CREATE TABLE analytics_2026_11 PARTITION OF analytics FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00');
CREATE TABLE analytics_2026_12 PARTITION OF analytics FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00');
CREATE TABLE analytics_default PARTITION OF analytics DEFAULT;

CREATE INDEX analytics_user_id_idx ON analytics (user_id);
CREATE INDEX analytics_event_type_occurred_at_idx ON analytics (event_type, occurred_at);
