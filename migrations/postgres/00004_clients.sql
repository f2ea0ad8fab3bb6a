-- Client keys (README, "客户端密钥"; internal/clients): keys aigw issues to
-- its own users. Only the key's SHA-256 (hex) and its hint are stored,
-- never the key. models is a JSON array of globs ('[]' = every model), kept
-- as TEXT like in SQLite; budget is NULL for no budget, period '' then;
-- expires_at is NULL for never.
--
-- request_logs gains the client's name ('' for the static [auth] keys) and
-- its key hint; (client, created_at) serves a client's spend in a period,
-- logs tail --client and logs stats --by client.

-- +goose Up
CREATE TABLE clients (
    id         BIGSERIAL        PRIMARY KEY,
    name       TEXT             NOT NULL UNIQUE,
    key_hash   TEXT             NOT NULL UNIQUE,
    key_hint   TEXT             NOT NULL DEFAULT '',
    models     TEXT             NOT NULL DEFAULT '[]',
    rpm        BIGINT           NOT NULL DEFAULT 0,
    tpm        BIGINT           NOT NULL DEFAULT 0,
    budget     DOUBLE PRECISION,
    period     TEXT             NOT NULL DEFAULT '',
    expires_at TIMESTAMPTZ,
    disabled   BOOLEAN          NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ      NOT NULL,
    note       TEXT             NOT NULL DEFAULT ''
);

ALTER TABLE request_logs ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE request_logs ADD COLUMN client_key_hint TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_request_logs_client_created_at ON request_logs (client, created_at);

-- +goose Down
DROP INDEX ix_request_logs_client_created_at;
ALTER TABLE request_logs DROP COLUMN client_key_hint;
ALTER TABLE request_logs DROP COLUMN client;
DROP TABLE clients;
