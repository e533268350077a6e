-- posture: per dataset, sensitive columns by entity and sensitivity level,
-- worst level first; then what was NOT scanned (errors, unsupported formats).
WITH found AS (
  SELECT c.dataset_uri,
         c.sensitivity,
         c.entity,
         COUNT(DISTINCT c.column_path)                       AS columns,
         ROUND(MAX(c.confidence), 2)                         AS max_confidence,
         array_to_string(array_agg(DISTINCT c.column_path), ', ') AS column_paths
  FROM classifications c
  JOIN datasets d ON d.dataset_uri = c.dataset_uri
  WHERE d.status = 'ok'
  GROUP BY c.dataset_uri, c.sensitivity, c.entity
)
SELECT dataset_uri,
       sensitivity,
       entity,
       columns,
       max_confidence,
       column_paths,
       'scanned' AS scan_status
FROM found
UNION ALL
SELECT dataset_uri,
       'UNKNOWN' AS sensitivity,
       NULL      AS entity,
       0         AS columns,
       NULL      AS max_confidence,
       COALESCE(error, notes) AS column_paths,
       status    AS scan_status
FROM datasets
WHERE status <> 'ok' AND status <> 'deleted'
ORDER BY CASE sensitivity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END,
         dataset_uri, entity
