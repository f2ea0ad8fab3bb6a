-- Initial schema: the request log and the fetched model catalog.
--
-- created_at and cached_at are TEXT in the fixed layout
-- '2006-01-02 15:04:05.000-07:00' in the configured zone, e.g.
-- '2025-09-26 15:10:50.235+08:00': readable with the sqlite3 shell, and
-- sortable as text within one zone.
-- AUTOINCREMENT keeps ids from ever being reused after a prune, so
-- `logs tail -f` (id > last seen) never misses or repeats a row.

-- +goose Up
CREATE TABLE request_logs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id        TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    method            TEXT    NOT NULL DEFAULT '',
    path              TEXT    NOT NULL DEFAULT '',
    inbound_format    TEXT    NOT NULL DEFAULT '',
    requested_model   TEXT    NOT NULL DEFAULT '',
    upstream_model    TEXT    NOT NULL DEFAULT '',
    provider          TEXT    NOT NULL DEFAULT '',
    key_hint          TEXT    NOT NULL DEFAULT '',
    stream            INTEGER NOT NULL DEFAULT 0,
    status_code       INTEGER NOT NULL DEFAULT 0,
    error             TEXT    NOT NULL DEFAULT '',
    latency_ms        INTEGER NOT NULL DEFAULT 0,
    ttft_ms           INTEGER NOT NULL DEFAULT 0,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    total_tokens      INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    request_bytes     INTEGER NOT NULL DEFAULT 0,
    response_bytes    INTEGER NOT NULL DEFAULT 0,
    client_ip         TEXT    NOT NULL DEFAULT '',
    request_body      TEXT    NOT NULL DEFAULT '',
    response_body     TEXT    NOT NULL DEFAULT ''
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
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    provider  TEXT    NOT NULL,
    model_id  TEXT    NOT NULL,
    owned_by  TEXT    NOT NULL DEFAULT '',
    created   INTEGER NOT NULL DEFAULT 0,
    cached_at TEXT    NOT NULL,
    UNIQUE (provider, model_id)
);

-- +goose Down
DROP TABLE cached_models;
DROP TABLE request_logs;
