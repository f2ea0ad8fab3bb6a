-- Client keys (README, "客户端密钥"; internal/clients): keys aigw issues to
-- its own users. Only the key's SHA-256 (hex) and its hint are stored,
-- never the key. models is a JSON array of globs ('[]' = every model);
-- budget is NULL for no budget, period '' then; expires_at is NULL for
-- never, else text in the layout of request_logs.created_at (00001), like
-- created_at. disabled is 0 or 1.
--
-- request_logs gains the client's name ('' for the static [auth] keys) and
-- its key hint; (client, created_at) serves a client's spend in a period,
-- logs tail --client and logs stats --by client.

-- +goose Up
CREATE TABLE clients (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    key_hash   TEXT    NOT NULL UNIQUE,
    key_hint   TEXT    NOT NULL DEFAULT '',
    models     TEXT    NOT NULL DEFAULT '[]',
    rpm        INTEGER NOT NULL DEFAULT 0,
    tpm        INTEGER NOT NULL DEFAULT 0,
    budget     REAL,
    period     TEXT    NOT NULL DEFAULT '',
    expires_at TEXT,
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT ''
);

ALTER TABLE request_logs ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE request_logs ADD COLUMN client_key_hint TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_request_logs_client_created_at ON request_logs (client, created_at);

-- +goose Down
DROP INDEX ix_request_logs_client_created_at;
ALTER TABLE request_logs DROP COLUMN client_key_hint;
ALTER TABLE request_logs DROP COLUMN client;
DROP TABLE clients;
