-- models_trained_on_pii: models whose training inputs hold personal data, directly or one lineage hop upstream.
WITH pii AS (
  SELECT dataset_uri,
         array_to_string(array_agg(DISTINCT entity ORDER BY entity), ', ') AS entities
  FROM classifications
  WHERE sensitivity IN ('HIGH', 'MEDIUM')
  GROUP BY dataset_uri
),
inputs AS (
  -- the training input itself …
  SELECT i.model_uri, i.run_id, i.dataset_uri AS input_uri, i.dataset_uri AS pii_uri, 'direct' AS how
  FROM model_inputs i
  UNION ALL
  -- … or a dataset it was built from
  SELECT i.model_uri, i.run_id, i.dataset_uri, e.source_uri, 'upstream' AS how
  FROM model_inputs i
  JOIN lineage_edges e ON e.target_uri = i.dataset_uri
)
SELECT m.model_uri,
       m.model_name,
       m.model_version,
       x.input_uri,
       x.pii_uri,
       x.how,
       p.entities,
       m.event_time AS trained_at
FROM inputs x
JOIN pii p ON p.dataset_uri = x.pii_uri
LEFT JOIN models m ON m.model_uri = x.model_uri AND m.run_id = x.run_id
ORDER BY m.model_uri, x.how, x.pii_uri
