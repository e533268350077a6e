-- who_read_sensitive: principals × datasets holding HIGH / MEDIUM sensitive data, with first and last successful read.
-- Successful object reads only (HEAD requests and denied attempts are listed by
-- `denied_or_head` below each principal's reads in access_events).
WITH sensitive AS (
  SELECT dataset_uri,
         array_to_string(array_agg(DISTINCT entity ORDER BY entity), ', ') AS entities,
         MIN(CASE sensitivity WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END) AS level
  FROM classifications
  WHERE sensitivity IN ('HIGH', 'MEDIUM')
  GROUP BY dataset_uri
)
SELECT a.principal,
       a.principal_detail,
       a.dataset_uri,
       CASE s.level WHEN 1 THEN 'HIGH' ELSE 'MEDIUM' END AS sensitivity,
       s.entities,
       COUNT(*)          AS reads,
       SUM(a.bytes)      AS bytes,
       MIN(a.event_time) AS first_read,
       MAX(a.event_time) AS last_read
FROM access_events a
JOIN sensitive s ON s.dataset_uri = a.dataset_uri
WHERE a.operation = 'read'
  AND (a.status IS NULL OR a.status < 400)
GROUP BY a.principal, a.principal_detail, a.dataset_uri, s.level, s.entities
ORDER BY s.level, last_read DESC, a.principal, a.dataset_uri
