-- The report's counts, run in ClickHouse (clickhouse-client --multiquery < queries.sql,
-- or one at a time over HTTP). Change the two dates (UTC days, inclusive).
-- FINAL counts each play once however often it was ingested.

-- plays_by_item_day.csv
SELECT item_id AS item, day, count() AS plays, countIf(outcome = 'completed') AS completed,
       countIf(outcome = 'interrupted') AS interrupted, countIf(outcome = 'skipped') AS skipped,
       countIf(outcome = 'failed') AS failed, round(sum(duration_ms) / 3600000, 2) AS hours,
       uniqExact(device_id) AS screens
FROM milepost_plays FINAL
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY item, day
ORDER BY item, day
FORMAT CSVWithNames;

-- plays_by_site_day.csv
SELECT site, day, count() AS plays, countIf(outcome = 'completed') AS completed,
       countIf(outcome = 'interrupted') AS interrupted, countIf(outcome = 'skipped') AS skipped,
       countIf(outcome = 'failed') AS failed, round(sum(duration_ms) / 3600000, 2) AS hours,
       uniqExact(device_id) AS screens
FROM milepost_plays FINAL
ANY LEFT JOIN (SELECT device_id, argMax(site, reported) AS site FROM milepost_screens GROUP BY device_id)
USING device_id
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY site, day
ORDER BY site, day
FORMAT CSVWithNames;

-- plays by language
SELECT lang, count() AS plays
FROM milepost_plays FINAL
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY lang
ORDER BY plays DESC
FORMAT CSVWithNames;
