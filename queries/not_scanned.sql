-- not_scanned: datasets the last scans could not read, and why.
SELECT dataset_uri, format, status, COALESCE(error, notes) AS reason, last_scan_run
FROM datasets
WHERE status IN ('error', 'unsupported')
ORDER BY status, dataset_uri
