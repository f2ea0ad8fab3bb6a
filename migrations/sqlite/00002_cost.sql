-- Cost accounting (README, "价格与费用"): the cost of each request in the
-- price table's currency, NULL when no price applied (never 0 for
-- "unknown"), and the token counts it was computed from. prompt_tokens
-- keeps OpenAI's meaning (cached tokens included); cache_read_tokens and
-- cache_write_tokens are parts of it, reasoning_tokens part of
-- completion_tokens.

-- +goose Up
ALTER TABLE request_logs ADD COLUMN cost REAL;
ALTER TABLE request_logs ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE request_logs DROP COLUMN reasoning_tokens;
ALTER TABLE request_logs DROP COLUMN cache_write_tokens;
ALTER TABLE request_logs DROP COLUMN cache_read_tokens;
ALTER TABLE request_logs DROP COLUMN cost;
