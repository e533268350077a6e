-- rtbf_impact: per dataset holding personal identifiers, what a deletion request touches: downstream datasets, models, readers.
-- The surface to prepare for; `lakewarden rtbf --subject …` answers it for one person.
WITH personal AS (
  SELECT dataset_uri,
         array_to_string(array_agg(DISTINCT entity ORDER BY entity), ', ') AS identifiers
  FROM classifications
  WHERE entity IN ('EMAIL_ADDRESS', 'PHONE_NUMBER', 'PERSON', 'US_SSN', 'UK_NINO', 'UK_NHS',
                   'IBAN_CODE', 'CREDIT_CARD', 'PASSPORT_NUMBER', 'DATE_OF_BIRTH', 'STREET_ADDRESS')
  GROUP BY dataset_uri
),
down AS (
  SELECT source_uri, COUNT(DISTINCT target_uri) AS downstream,
         SUM(CASE WHEN target_in_catalog THEN 0 ELSE 1 END) AS downstream_outside_lake
  FROM lineage_edges GROUP BY source_uri
),
trained AS (
  SELECT dataset_uri, COUNT(DISTINCT model_uri) AS models FROM model_inputs GROUP BY dataset_uri
),
readers AS (
  SELECT dataset_uri, COUNT(DISTINCT principal) AS readers, MAX(event_time) AS last_read
  FROM access_events
  WHERE operation = 'read' AND (status IS NULL OR status < 400)
  GROUP BY dataset_uri
)
SELECT p.dataset_uri,
       p.identifiers,
       COALESCE(d.downstream, 0)              AS downstream,
       COALESCE(d.downstream_outside_lake, 0) AS downstream_outside_lake,
       COALESCE(t.models, 0)                  AS models,
       COALESCE(r.readers, 0)                 AS readers,
       r.last_read
FROM personal p
LEFT JOIN down d    ON d.source_uri = p.dataset_uri
LEFT JOIN trained t ON t.dataset_uri = p.dataset_uri
LEFT JOIN readers r ON r.dataset_uri = p.dataset_uri
ORDER BY downstream + models DESC, readers DESC, p.dataset_uri
