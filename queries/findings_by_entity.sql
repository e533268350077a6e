-- findings_by_entity: how many datasets and columns hold each entity.
SELECT entity,
       sensitivity,
       COUNT(DISTINCT c.dataset_uri)                  AS datasets,
       COUNT(*)                                       AS columns,
       ROUND(AVG(confidence), 2)                      AS avg_confidence
FROM classifications c
JOIN datasets d ON d.dataset_uri = c.dataset_uri
GROUP BY entity, sensitivity
ORDER BY CASE sensitivity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 ELSE 2 END, datasets DESC, entity
