-- unmasked_downstream: lineage edges carrying data out of datasets with sensitive columns without masking.
-- `masked` comes from OpenLineage column lineage: false = some derived field is
-- not masked; NULL = the producer sent no column lineage (unknown, listed too).
SELECT e.source_uri,
       e.target_uri,
       e.target_in_catalog,
       CASE WHEN e.masked IS NULL THEN 'unknown (no column lineage)' ELSE 'not masked' END AS masking,
       array_to_string(array_agg(DISTINCT c.entity ORDER BY c.entity), ', ') AS source_entities,
       e.job_namespace,
       e.job_name,
       MAX(e.event_time) AS last_run
FROM lineage_edges e
JOIN classifications c ON c.dataset_uri = e.source_uri
WHERE c.sensitivity IN ('HIGH', 'MEDIUM')
  AND (e.masked IS NULL OR e.masked = false)
GROUP BY e.source_uri, e.target_uri, e.target_in_catalog, e.masked, e.job_namespace, e.job_name
ORDER BY e.source_uri, e.target_uri
