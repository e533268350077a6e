-- time_travel: sensitive data that may live on in older versions of Delta
-- tables. Each version time travel can still reach (its log entry exists)
-- older than the one scanned, for tables holding sensitive findings, with
-- the date its log entry may be cleaned and the date VACUUM may delete the
-- files it reads. A DELETE / MERGE / UPDATE does not remove old rows from
-- these versions: until both dates pass, `VERSION AS OF` still reads them.
SELECT v.dataset_uri,
       v.version,
       v.committed_at,
       v.operation,
       v.log_expires_at,
       v.files_vacuumable_at,
       s.entities,
       s.worst_sensitivity
FROM dataset_versions v
JOIN (
    SELECT dataset_uri,
           array_to_string(array_sort(array_agg(DISTINCT entity)), ', ') AS entities,
           MIN(CASE sensitivity WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END) AS rank,
           CASE MIN(CASE sensitivity WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END)
               WHEN 1 THEN 'HIGH' WHEN 2 THEN 'MEDIUM' ELSE 'LOW' END AS worst_sensitivity
    FROM classifications
    GROUP BY dataset_uri
) s ON s.dataset_uri = v.dataset_uri
JOIN datasets d ON d.dataset_uri = v.dataset_uri AND d.status = 'ok'
WHERE NOT v.scanned
ORDER BY s.rank, v.dataset_uri, v.version DESC
