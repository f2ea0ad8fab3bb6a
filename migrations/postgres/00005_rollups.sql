-- Rollups of the request log for the dashboard (README, "控制台";
-- internal/store/rollups.go): the overview's charts and top lists read
-- these, never request_logs, so a 30-day overview stays fast with millions
-- of log rows.
--
-- request_rollups: one row per (grain, bucket, provider, requested_model,
-- client). grain is the bucket's length in seconds: 60 (the minute rows,
-- the source the others are summed from), 3600 and 86400 (hours and days,
-- so the top lists of a long range read few rows). bucket is the bucket's
-- start in unix seconds, a multiple of grain (UTC hours and days; minutes
-- are the same in every zone). request_rollup_totals: the same figures
-- without the dimensions, at 60 and 3600, for the charts.
--
-- Figures: requests; errors (status >= 400); prompt and completion tokens;
-- cost (the sum of the known costs); unpriced (rows with tokens but no
-- cost); and two histograms of counts, latency (every row) and time to
-- first byte (streams with ttft_ms > 0), in 24 buckets whose inclusive
-- upper bounds are 5, 10, 25, 50, 100, 200, 300, 500, 750, 1000, 1500,
-- 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000,
-- 300000, 600000 ms and above (lat_00..lat_23, ttft_00..ttft_23; the same
-- bounds as histBounds in rollups.go). The hour and day rows of
-- request_rollups leave the histograms at 0: they serve the top lists,
-- which show no percentiles, and the writer saves half its rollup work.
--
-- The log writer adds each batch's figures in the transaction that inserts
-- the batch; the statements below fill the tables from the rows already
-- logged (one pass over request_logs, the rest from the minute rows).

-- +goose Up
CREATE TABLE request_rollups (
    grain             BIGINT NOT NULL,
    bucket            BIGINT NOT NULL,
    provider          TEXT NOT NULL,
    requested_model   TEXT NOT NULL,
    client            TEXT NOT NULL,
    requests          BIGINT NOT NULL DEFAULT 0,
    errors            BIGINT NOT NULL DEFAULT 0,
    prompt_tokens     BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    cost              DOUBLE PRECISION NOT NULL DEFAULT 0,
    unpriced          BIGINT NOT NULL DEFAULT 0,
    lat_00 BIGINT NOT NULL DEFAULT 0, lat_01 BIGINT NOT NULL DEFAULT 0, lat_02 BIGINT NOT NULL DEFAULT 0, lat_03 BIGINT NOT NULL DEFAULT 0,
    lat_04 BIGINT NOT NULL DEFAULT 0, lat_05 BIGINT NOT NULL DEFAULT 0, lat_06 BIGINT NOT NULL DEFAULT 0, lat_07 BIGINT NOT NULL DEFAULT 0,
    lat_08 BIGINT NOT NULL DEFAULT 0, lat_09 BIGINT NOT NULL DEFAULT 0, lat_10 BIGINT NOT NULL DEFAULT 0, lat_11 BIGINT NOT NULL DEFAULT 0,
    lat_12 BIGINT NOT NULL DEFAULT 0, lat_13 BIGINT NOT NULL DEFAULT 0, lat_14 BIGINT NOT NULL DEFAULT 0, lat_15 BIGINT NOT NULL DEFAULT 0,
    lat_16 BIGINT NOT NULL DEFAULT 0, lat_17 BIGINT NOT NULL DEFAULT 0, lat_18 BIGINT NOT NULL DEFAULT 0, lat_19 BIGINT NOT NULL DEFAULT 0,
    lat_20 BIGINT NOT NULL DEFAULT 0, lat_21 BIGINT NOT NULL DEFAULT 0, lat_22 BIGINT NOT NULL DEFAULT 0, lat_23 BIGINT NOT NULL DEFAULT 0,
    ttft_00 BIGINT NOT NULL DEFAULT 0, ttft_01 BIGINT NOT NULL DEFAULT 0, ttft_02 BIGINT NOT NULL DEFAULT 0, ttft_03 BIGINT NOT NULL DEFAULT 0,
    ttft_04 BIGINT NOT NULL DEFAULT 0, ttft_05 BIGINT NOT NULL DEFAULT 0, ttft_06 BIGINT NOT NULL DEFAULT 0, ttft_07 BIGINT NOT NULL DEFAULT 0,
    ttft_08 BIGINT NOT NULL DEFAULT 0, ttft_09 BIGINT NOT NULL DEFAULT 0, ttft_10 BIGINT NOT NULL DEFAULT 0, ttft_11 BIGINT NOT NULL DEFAULT 0,
    ttft_12 BIGINT NOT NULL DEFAULT 0, ttft_13 BIGINT NOT NULL DEFAULT 0, ttft_14 BIGINT NOT NULL DEFAULT 0, ttft_15 BIGINT NOT NULL DEFAULT 0,
    ttft_16 BIGINT NOT NULL DEFAULT 0, ttft_17 BIGINT NOT NULL DEFAULT 0, ttft_18 BIGINT NOT NULL DEFAULT 0, ttft_19 BIGINT NOT NULL DEFAULT 0,
    ttft_20 BIGINT NOT NULL DEFAULT 0, ttft_21 BIGINT NOT NULL DEFAULT 0, ttft_22 BIGINT NOT NULL DEFAULT 0, ttft_23 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, bucket, provider, requested_model, client)
);

CREATE TABLE request_rollup_totals (
    grain             BIGINT NOT NULL,
    bucket            BIGINT NOT NULL,
    requests          BIGINT NOT NULL DEFAULT 0,
    errors            BIGINT NOT NULL DEFAULT 0,
    prompt_tokens     BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    cost              DOUBLE PRECISION NOT NULL DEFAULT 0,
    unpriced          BIGINT NOT NULL DEFAULT 0,
    lat_00 BIGINT NOT NULL DEFAULT 0, lat_01 BIGINT NOT NULL DEFAULT 0, lat_02 BIGINT NOT NULL DEFAULT 0, lat_03 BIGINT NOT NULL DEFAULT 0,
    lat_04 BIGINT NOT NULL DEFAULT 0, lat_05 BIGINT NOT NULL DEFAULT 0, lat_06 BIGINT NOT NULL DEFAULT 0, lat_07 BIGINT NOT NULL DEFAULT 0,
    lat_08 BIGINT NOT NULL DEFAULT 0, lat_09 BIGINT NOT NULL DEFAULT 0, lat_10 BIGINT NOT NULL DEFAULT 0, lat_11 BIGINT NOT NULL DEFAULT 0,
    lat_12 BIGINT NOT NULL DEFAULT 0, lat_13 BIGINT NOT NULL DEFAULT 0, lat_14 BIGINT NOT NULL DEFAULT 0, lat_15 BIGINT NOT NULL DEFAULT 0,
    lat_16 BIGINT NOT NULL DEFAULT 0, lat_17 BIGINT NOT NULL DEFAULT 0, lat_18 BIGINT NOT NULL DEFAULT 0, lat_19 BIGINT NOT NULL DEFAULT 0,
    lat_20 BIGINT NOT NULL DEFAULT 0, lat_21 BIGINT NOT NULL DEFAULT 0, lat_22 BIGINT NOT NULL DEFAULT 0, lat_23 BIGINT NOT NULL DEFAULT 0,
    ttft_00 BIGINT NOT NULL DEFAULT 0, ttft_01 BIGINT NOT NULL DEFAULT 0, ttft_02 BIGINT NOT NULL DEFAULT 0, ttft_03 BIGINT NOT NULL DEFAULT 0,
    ttft_04 BIGINT NOT NULL DEFAULT 0, ttft_05 BIGINT NOT NULL DEFAULT 0, ttft_06 BIGINT NOT NULL DEFAULT 0, ttft_07 BIGINT NOT NULL DEFAULT 0,
    ttft_08 BIGINT NOT NULL DEFAULT 0, ttft_09 BIGINT NOT NULL DEFAULT 0, ttft_10 BIGINT NOT NULL DEFAULT 0, ttft_11 BIGINT NOT NULL DEFAULT 0,
    ttft_12 BIGINT NOT NULL DEFAULT 0, ttft_13 BIGINT NOT NULL DEFAULT 0, ttft_14 BIGINT NOT NULL DEFAULT 0, ttft_15 BIGINT NOT NULL DEFAULT 0,
    ttft_16 BIGINT NOT NULL DEFAULT 0, ttft_17 BIGINT NOT NULL DEFAULT 0, ttft_18 BIGINT NOT NULL DEFAULT 0, ttft_19 BIGINT NOT NULL DEFAULT 0,
    ttft_20 BIGINT NOT NULL DEFAULT 0, ttft_21 BIGINT NOT NULL DEFAULT 0, ttft_22 BIGINT NOT NULL DEFAULT 0, ttft_23 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, bucket)
);

-- Backfill: the minute rows from the log (one pass), then the coarser
-- grains and the totals from the minute rows.
INSERT INTO request_rollups (grain, bucket, provider, requested_model, client,
    requests, errors, prompt_tokens, completion_tokens, cost, unpriced, lat_00, lat_01,
    lat_02, lat_03, lat_04, lat_05, lat_06, lat_07, lat_08, lat_09,
    lat_10, lat_11, lat_12, lat_13, lat_14, lat_15, lat_16, lat_17,
    lat_18, lat_19, lat_20, lat_21, lat_22, lat_23, ttft_00, ttft_01,
    ttft_02, ttft_03, ttft_04, ttft_05, ttft_06, ttft_07, ttft_08, ttft_09,
    ttft_10, ttft_11, ttft_12, ttft_13, ttft_14, ttft_15, ttft_16, ttft_17,
    ttft_18, ttft_19, ttft_20, ttft_21, ttft_22, ttft_23)
SELECT 60, ts - ts % 60, provider, requested_model, client,
    COUNT(*), COUNT(*) FILTER (WHERE status_code >= 400), SUM(prompt_tokens), SUM(completion_tokens), COALESCE(SUM(cost), 0),
    COUNT(*) FILTER (WHERE cost IS NULL AND prompt_tokens + completion_tokens > 0),
    COUNT(*) FILTER (WHERE lb = 0),
    COUNT(*) FILTER (WHERE lb = 1),
    COUNT(*) FILTER (WHERE lb = 2),
    COUNT(*) FILTER (WHERE lb = 3),
    COUNT(*) FILTER (WHERE lb = 4),
    COUNT(*) FILTER (WHERE lb = 5),
    COUNT(*) FILTER (WHERE lb = 6),
    COUNT(*) FILTER (WHERE lb = 7),
    COUNT(*) FILTER (WHERE lb = 8),
    COUNT(*) FILTER (WHERE lb = 9),
    COUNT(*) FILTER (WHERE lb = 10),
    COUNT(*) FILTER (WHERE lb = 11),
    COUNT(*) FILTER (WHERE lb = 12),
    COUNT(*) FILTER (WHERE lb = 13),
    COUNT(*) FILTER (WHERE lb = 14),
    COUNT(*) FILTER (WHERE lb = 15),
    COUNT(*) FILTER (WHERE lb = 16),
    COUNT(*) FILTER (WHERE lb = 17),
    COUNT(*) FILTER (WHERE lb = 18),
    COUNT(*) FILTER (WHERE lb = 19),
    COUNT(*) FILTER (WHERE lb = 20),
    COUNT(*) FILTER (WHERE lb = 21),
    COUNT(*) FILTER (WHERE lb = 22),
    COUNT(*) FILTER (WHERE lb = 23),
    COUNT(*) FILTER (WHERE tb = 0),
    COUNT(*) FILTER (WHERE tb = 1),
    COUNT(*) FILTER (WHERE tb = 2),
    COUNT(*) FILTER (WHERE tb = 3),
    COUNT(*) FILTER (WHERE tb = 4),
    COUNT(*) FILTER (WHERE tb = 5),
    COUNT(*) FILTER (WHERE tb = 6),
    COUNT(*) FILTER (WHERE tb = 7),
    COUNT(*) FILTER (WHERE tb = 8),
    COUNT(*) FILTER (WHERE tb = 9),
    COUNT(*) FILTER (WHERE tb = 10),
    COUNT(*) FILTER (WHERE tb = 11),
    COUNT(*) FILTER (WHERE tb = 12),
    COUNT(*) FILTER (WHERE tb = 13),
    COUNT(*) FILTER (WHERE tb = 14),
    COUNT(*) FILTER (WHERE tb = 15),
    COUNT(*) FILTER (WHERE tb = 16),
    COUNT(*) FILTER (WHERE tb = 17),
    COUNT(*) FILTER (WHERE tb = 18),
    COUNT(*) FILTER (WHERE tb = 19),
    COUNT(*) FILTER (WHERE tb = 20),
    COUNT(*) FILTER (WHERE tb = 21),
    COUNT(*) FILTER (WHERE tb = 22),
    COUNT(*) FILTER (WHERE tb = 23)
FROM (SELECT floor(extract(epoch FROM created_at))::bigint AS ts, provider, requested_model, client, status_code,
        prompt_tokens, completion_tokens, cost,
        CASE WHEN latency_ms <= 5 THEN 0 WHEN latency_ms <= 10 THEN 1 WHEN latency_ms <= 25 THEN 2 WHEN latency_ms <= 50 THEN 3 WHEN latency_ms <= 100 THEN 4 WHEN latency_ms <= 200 THEN 5 WHEN latency_ms <= 300 THEN 6 WHEN latency_ms <= 500 THEN 7 WHEN latency_ms <= 750 THEN 8 WHEN latency_ms <= 1000 THEN 9 WHEN latency_ms <= 1500 THEN 10 WHEN latency_ms <= 2000 THEN 11 WHEN latency_ms <= 3000 THEN 12 WHEN latency_ms <= 5000 THEN 13 WHEN latency_ms <= 7500 THEN 14 WHEN latency_ms <= 10000 THEN 15 WHEN latency_ms <= 15000 THEN 16 WHEN latency_ms <= 20000 THEN 17 WHEN latency_ms <= 30000 THEN 18 WHEN latency_ms <= 60000 THEN 19 WHEN latency_ms <= 120000 THEN 20 WHEN latency_ms <= 300000 THEN 21 WHEN latency_ms <= 600000 THEN 22 ELSE 23 END AS lb,
        CASE WHEN NOT stream OR ttft_ms <= 0 THEN -1 WHEN ttft_ms <= 5 THEN 0 WHEN ttft_ms <= 10 THEN 1 WHEN ttft_ms <= 25 THEN 2 WHEN ttft_ms <= 50 THEN 3 WHEN ttft_ms <= 100 THEN 4 WHEN ttft_ms <= 200 THEN 5 WHEN ttft_ms <= 300 THEN 6 WHEN ttft_ms <= 500 THEN 7 WHEN ttft_ms <= 750 THEN 8 WHEN ttft_ms <= 1000 THEN 9 WHEN ttft_ms <= 1500 THEN 10 WHEN ttft_ms <= 2000 THEN 11 WHEN ttft_ms <= 3000 THEN 12 WHEN ttft_ms <= 5000 THEN 13 WHEN ttft_ms <= 7500 THEN 14 WHEN ttft_ms <= 10000 THEN 15 WHEN ttft_ms <= 15000 THEN 16 WHEN ttft_ms <= 20000 THEN 17 WHEN ttft_ms <= 30000 THEN 18 WHEN ttft_ms <= 60000 THEN 19 WHEN ttft_ms <= 120000 THEN 20 WHEN ttft_ms <= 300000 THEN 21 WHEN ttft_ms <= 600000 THEN 22 ELSE 23 END AS tb
    FROM request_logs) AS l
GROUP BY ts - ts % 60, provider, requested_model, client;

INSERT INTO request_rollups (grain, bucket, provider, requested_model, client,
    requests, errors, prompt_tokens, completion_tokens, cost, unpriced)
SELECT 3600, bucket - bucket % 3600, provider, requested_model, client,
    SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost), SUM(unpriced)
FROM request_rollups WHERE grain = 60
GROUP BY bucket - bucket % 3600, provider, requested_model, client;

INSERT INTO request_rollups (grain, bucket, provider, requested_model, client,
    requests, errors, prompt_tokens, completion_tokens, cost, unpriced)
SELECT 86400, bucket - bucket % 86400, provider, requested_model, client,
    SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost), SUM(unpriced)
FROM request_rollups WHERE grain = 60
GROUP BY bucket - bucket % 86400, provider, requested_model, client;

INSERT INTO request_rollup_totals (grain, bucket,
    requests, errors, prompt_tokens, completion_tokens, cost, unpriced, lat_00, lat_01,
    lat_02, lat_03, lat_04, lat_05, lat_06, lat_07, lat_08, lat_09,
    lat_10, lat_11, lat_12, lat_13, lat_14, lat_15, lat_16, lat_17,
    lat_18, lat_19, lat_20, lat_21, lat_22, lat_23, ttft_00, ttft_01,
    ttft_02, ttft_03, ttft_04, ttft_05, ttft_06, ttft_07, ttft_08, ttft_09,
    ttft_10, ttft_11, ttft_12, ttft_13, ttft_14, ttft_15, ttft_16, ttft_17,
    ttft_18, ttft_19, ttft_20, ttft_21, ttft_22, ttft_23)
SELECT 60, bucket - bucket % 60,
    SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost), SUM(unpriced), SUM(lat_00), SUM(lat_01),
    SUM(lat_02), SUM(lat_03), SUM(lat_04), SUM(lat_05), SUM(lat_06), SUM(lat_07), SUM(lat_08), SUM(lat_09),
    SUM(lat_10), SUM(lat_11), SUM(lat_12), SUM(lat_13), SUM(lat_14), SUM(lat_15), SUM(lat_16), SUM(lat_17),
    SUM(lat_18), SUM(lat_19), SUM(lat_20), SUM(lat_21), SUM(lat_22), SUM(lat_23), SUM(ttft_00), SUM(ttft_01),
    SUM(ttft_02), SUM(ttft_03), SUM(ttft_04), SUM(ttft_05), SUM(ttft_06), SUM(ttft_07), SUM(ttft_08), SUM(ttft_09),
    SUM(ttft_10), SUM(ttft_11), SUM(ttft_12), SUM(ttft_13), SUM(ttft_14), SUM(ttft_15), SUM(ttft_16), SUM(ttft_17),
    SUM(ttft_18), SUM(ttft_19), SUM(ttft_20), SUM(ttft_21), SUM(ttft_22), SUM(ttft_23)
FROM request_rollups WHERE grain = 60
GROUP BY bucket - bucket % 60;

INSERT INTO request_rollup_totals (grain, bucket,
    requests, errors, prompt_tokens, completion_tokens, cost, unpriced, lat_00, lat_01,
    lat_02, lat_03, lat_04, lat_05, lat_06, lat_07, lat_08, lat_09,
    lat_10, lat_11, lat_12, lat_13, lat_14, lat_15, lat_16, lat_17,
    lat_18, lat_19, lat_20, lat_21, lat_22, lat_23, ttft_00, ttft_01,
    ttft_02, ttft_03, ttft_04, ttft_05, ttft_06, ttft_07, ttft_08, ttft_09,
    ttft_10, ttft_11, ttft_12, ttft_13, ttft_14, ttft_15, ttft_16, ttft_17,
    ttft_18, ttft_19, ttft_20, ttft_21, ttft_22, ttft_23)
SELECT 3600, bucket - bucket % 3600,
    SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost), SUM(unpriced), SUM(lat_00), SUM(lat_01),
    SUM(lat_02), SUM(lat_03), SUM(lat_04), SUM(lat_05), SUM(lat_06), SUM(lat_07), SUM(lat_08), SUM(lat_09),
    SUM(lat_10), SUM(lat_11), SUM(lat_12), SUM(lat_13), SUM(lat_14), SUM(lat_15), SUM(lat_16), SUM(lat_17),
    SUM(lat_18), SUM(lat_19), SUM(lat_20), SUM(lat_21), SUM(lat_22), SUM(lat_23), SUM(ttft_00), SUM(ttft_01),
    SUM(ttft_02), SUM(ttft_03), SUM(ttft_04), SUM(ttft_05), SUM(ttft_06), SUM(ttft_07), SUM(ttft_08), SUM(ttft_09),
    SUM(ttft_10), SUM(ttft_11), SUM(ttft_12), SUM(ttft_13), SUM(ttft_14), SUM(ttft_15), SUM(ttft_16), SUM(ttft_17),
    SUM(ttft_18), SUM(ttft_19), SUM(ttft_20), SUM(ttft_21), SUM(ttft_22), SUM(ttft_23)
FROM request_rollups WHERE grain = 60
GROUP BY bucket - bucket % 3600;

-- +goose Down
DROP TABLE request_rollup_totals;
DROP TABLE request_rollups;
