-- milepost-fleet's tables in ClickHouse (`milepost-fleet ingest ... --clickhouse URL`
-- creates them when missing). Plain types and ReplacingMergeTree only, which every
-- ClickHouse release from Debian's 18.16 to today's reads the same.
--
-- One row per play, keyed by its identity: a play uploaded or ingested twice is two
-- rows until ClickHouse merges them; count with FINAL (queries.sql) to count it once.
CREATE TABLE IF NOT EXISTS milepost_plays
(
    device_id String,
    log_id String,
    id UInt64,
    item_id String,
    object Nullable(String),
    channel Nullable(String),
    sequence Nullable(Int64),
    started_at String,          -- RFC 3339 UTC with milliseconds, as the screen wrote it
    started DateTime('UTC'),    -- the same time to the second, for time functions
    day Date,                   -- its UTC day
    ended_at Nullable(String),
    duration_ms UInt64,
    outcome String,             -- completed, interrupted, skipped, failed
    detail Nullable(String),
    lang String,                -- the language it was shown in; '' when not recorded
    captions Nullable(String),
    clock_trusted Nullable(UInt8)
)
-- One partition: rows of the same play always meet when ClickHouse merges, and an
-- insert never spans more partitions than ClickHouse allows in one (100), whatever
-- days the rows say.
ENGINE = ReplacingMergeTree()
ORDER BY (device_id, log_id, id);

-- Where each screen is, from its status reports: the newest report wins.
CREATE TABLE IF NOT EXISTS milepost_screens
(
    device_id String,
    site String,
    region String,
    reported DateTime('UTC')    -- the report's time (the storage's)
)
ENGINE = ReplacingMergeTree(reported)
ORDER BY device_id;
