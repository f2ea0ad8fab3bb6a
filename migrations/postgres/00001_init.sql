-- Initial schema: the request log and the fetched model catalog.
--
-- Timestamps are timestamptz: stored as instants, shown in the session time
-- zone, which aigw sets to [database] timezone on every connection.
-- Several aigw instances may share this database; goose runs migrations
-- under a PostgreSQL advisory lock so concurrent starts are safe.

-- +goose Up
CREATE TABLE request_logs (
    id                BIGSERIAL   PRIMARY KEY,
    request_id        TEXT        NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    method            TEXT        NOT NULL DEFAULT '',
    path              TEXT        NOT NULL DEFAULT '',
    inbound_format    TEXT        NOT NULL DEFAULT '',
    requested_model   TEXT        NOT NULL DEFAULT '',
    upstream_model    TEXT        NOT NULL DEFAULT '',
    provider          TEXT        NOT NULL DEFAULT '',
    key_hint          TEXT        NOT NULL DEFAULT '',
    stream            BOOLEAN     NOT NULL DEFAULT FALSE,
    status_code       INTEGER     NOT NULL DEFAULT 0,
    error             TEXT        NOT NULL DEFAULT '',
    latency_ms        BIGINT      NOT NULL DEFAULT 0,
    ttft_ms           BIGINT      NOT NULL DEFAULT 0,
    prompt_tokens     BIGINT      NOT NULL DEFAULT 0,
    completion_tokens BIGINT      NOT NULL DEFAULT 0,
    total_tokens      BIGINT      NOT NULL DEFAULT 0,
    attempts          INTEGER     NOT NULL DEFAULT 0,
    request_bytes     BIGINT      NOT NULL DEFAULT 0,
    response_bytes    BIGINT      NOT NULL DEFAULT 0,
    client_ip         TEXT        NOT NULL DEFAULT '',
    request_body      TEXT        NOT NULL DEFAULT '',
    response_body     TEXT        NOT NULL DEFAULT ''
);

-- request_id is unique so that a retried batch or a replayed spill file
-- never inserts a row twice (INSERT ... ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX ux_request_logs_request_id ON request_logs (request_id);
-- logs tail (newest first), logs stats --since, prune --older-than
CREATE INDEX ix_request_logs_created_at ON request_logs (created_at);
-- logs tail --provider, logs stats --by provider
CREATE INDEX ix_request_logs_provider_created_at ON request_logs (provider, created_at);
-- logs tail --model matches the requested or the upstream model
CREATE INDEX ix_request_logs_requested_model ON request_logs (requested_model, created_at);
CREATE INDEX ix_request_logs_upstream_model ON request_logs (upstream_model, created_at);
-- logs tail --status 4xx / 5xx
CREATE INDEX ix_request_logs_status_code ON request_logs (status_code, created_at);

CREATE TABLE cached_models (
    id        BIGSERIAL   PRIMARY KEY,
    provider  TEXT        NOT NULL,
    model_id  TEXT        NOT NULL,
    owned_by  TEXT        NOT NULL DEFAULT '',
    created   BIGINT      NOT NULL DEFAULT 0,
    cached_at TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, model_id)
);

-- +goose Down
DROP TABLE cached_models;
DROP TABLE request_logs;
