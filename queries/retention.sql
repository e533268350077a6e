-- retention: datasets and rows older than the shortest retention policy that
-- applies to them (rules/retention.toml).
-- A policy that names a `date_column` measures the age of rows from it: the
-- scan keeps each date column's values per calendar month (date_histograms),
-- so the rows past the policy are counted without reading the data again
-- (estimated_rows: the sample scaled to the dataset; a month counts once all
-- of it is past the policy). Otherwise the age is the dataset's last
-- modification (file modification time, or Delta commit time).
WITH entities AS (
  SELECT DISTINCT dataset_uri, entity FROM classifications
),
applicable AS (
  SELECT DISTINCT d.dataset_uri, d.last_modified, d.row_count, p.name AS policy, p.max_age_days, p.why,
         p.date_column_pattern,
         CASE WHEN p.entity IS NOT NULL THEN 'holds ' || p.entity ELSE 'matches ' || p.dataset_pattern END AS reason
  FROM datasets d
  CROSS JOIN retention_policies p
  LEFT JOIN entities e ON e.dataset_uri = d.dataset_uri AND e.entity = p.entity
  WHERE d.status = 'ok'
    AND (p.dataset_pattern IS NULL OR d.dataset_uri LIKE p.dataset_pattern)
    AND (p.entity IS NULL OR e.entity IS NOT NULL)
),
ranked AS (
  SELECT *,
         CAST((to_unixtime(now()) - to_unixtime(last_modified)) / 86400 AS BIGINT) AS age_days,
         ROW_NUMBER() OVER (PARTITION BY dataset_uri ORDER BY max_age_days, policy) AS rn
  FROM applicable
),
rows_past AS (
  SELECT r.dataset_uri, h.column_path,
         SUM(CASE WHEN (to_unixtime(now()) - to_unixtime(h.month)) / 86400 - 31 > r.max_age_days
                  THEN h.estimated_rows ELSE 0 END) AS rows_past,
         ROW_NUMBER() OVER (PARTITION BY r.dataset_uri
                            ORDER BY SUM(CASE WHEN (to_unixtime(now()) - to_unixtime(h.month)) / 86400 - 31 > r.max_age_days
                                              THEN h.estimated_rows ELSE 0 END) DESC, h.column_path) AS rn
  FROM ranked r
  JOIN date_histograms h
    ON h.dataset_uri = r.dataset_uri AND h.column_path LIKE r.date_column_pattern
  WHERE r.rn = 1
  GROUP BY r.dataset_uri, h.column_path
)
SELECT r.dataset_uri,
       r.policy,
       r.max_age_days,
       r.age_days,
       r.age_days - r.max_age_days AS days_over,
       r.row_count,
       p.rows_past AS rows_past_policy,
       COALESCE(p.column_path, 'last_modified') AS measured_from,
       r.reason,
       r.why
FROM ranked r
LEFT JOIN rows_past p ON p.dataset_uri = r.dataset_uri AND p.rn = 1
WHERE r.rn = 1
  AND (CASE WHEN p.column_path IS NOT NULL THEN p.rows_past > 0
            ELSE r.age_days > r.max_age_days END)
ORDER BY COALESCE(p.rows_past, 0) DESC, days_over DESC, r.dataset_uri
