-- retention: datasets older than the shortest retention policy that applies to them (rules/retention.toml).
-- Age is measured from the dataset's last modification (file modification time,
-- or Delta commit time) recorded by the last scan. Per-row dates are not
-- measured yet, so a dataset past its policy may hold only some old rows.
WITH entities AS (
  SELECT DISTINCT dataset_uri, entity FROM classifications
),
applicable AS (
  SELECT DISTINCT d.dataset_uri, d.last_modified, d.row_count, p.name AS policy, p.max_age_days, p.why,
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
)
SELECT dataset_uri,
       policy,
       max_age_days,
       age_days,
       age_days - max_age_days AS days_over,
       row_count,
       reason,
       why
FROM ranked
WHERE rn = 1
  AND age_days > max_age_days
ORDER BY days_over DESC, dataset_uri
