-- Routes (README, "路由"): the route a request came through ('' when it
-- named a model, not a route) and every target tried with its outcome,
-- e.g. 'openai/gpt-4o 503; azure/gpt-4o 200'.

-- +goose Up
ALTER TABLE request_logs ADD COLUMN route TEXT NOT NULL DEFAULT '';
ALTER TABLE request_logs ADD COLUMN tried TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE request_logs DROP COLUMN tried;
ALTER TABLE request_logs DROP COLUMN route;
