//! SQL filters on the index-backed tables reach Tantivy: a selective query
//! loads only the matching documents, and answers exactly what the same query
//! answers with pushdown off.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::util::pretty::pretty_format_batches;
use lakewarden_catalog::{Catalog, IngestFormat, Table};
use lakewarden_index::{ingest, Aliases, IngestOptions};
use lakewarden_query::indexed::IndexedTable;
use lakewarden_query::{open_session, run, SessionOptions};

fn audit_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/audit")
}

async fn catalog_with_s3_logs() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("cat").to_str().unwrap())
        .await
        .unwrap();
    let logs = audit_fixtures().join("s3-access");
    let summary = ingest(
        &catalog,
        &[logs.display().to_string()],
        &IngestOptions {
            format: IngestFormat::S3,
            model_namespaces: vec![],
            force: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(summary.files_ingested, 2);
    assert!(summary.index_error.is_none(), "{:?}", summary.index_error);
    (dir, catalog)
}

/// Runs `sql` with pushdown on and off; returns (rendered result, docs read on, docs read off, docs total).
async fn both_ways(catalog: &Catalog, sql: &str) -> (String, u64, u64, u64) {
    let mut out = Vec::new();
    for pushdown in [true, false] {
        let opts = SessionOptions {
            aliases: Aliases::new([("s3://corp-lake".to_string(), "file:///lake".to_string())]),
            index_pushdown: pushdown,
            ..SessionOptions::default()
        };
        let (ctx, _) = open_session(catalog, &opts).await.unwrap();
        let batches = run(&ctx, sql).await.unwrap();
        let provider = ctx
            .table_provider(Table::AccessEvents.name())
            .await
            .unwrap();
        let any: Arc<dyn std::any::Any + Send + Sync> = provider;
        let table = any.downcast::<IndexedTable>().expect("index-backed table");
        let searches = table.searches();
        assert_eq!(searches.len(), 1, "one index search per query");
        out.push((
            pretty_format_batches(&batches).unwrap().to_string(),
            searches[0].docs_read,
            searches[0].docs_total,
        ));
    }
    assert_eq!(out[0].0, out[1].0, "pushdown changed the answer of {sql}");
    (out[0].0.clone(), out[0].1, out[1].1, out[0].2)
}

#[tokio::test]
async fn selective_queries_read_only_matching_documents() {
    let (_dir, catalog) = catalog_with_s3_logs().await;

    let (rows, on, off, total) = both_ways(
        &catalog,
        "SELECT operation, status, count(*) AS n FROM access_events \
         WHERE principal = 'arn:aws:iam::123456789012:user/intern' GROUP BY 1, 2 ORDER BY 1",
    )
    .await;
    assert_eq!(total, 411);
    assert_eq!(off, 411);
    assert_eq!(on, 2, "{rows}");
    assert!(rows.contains("| head") && rows.contains("| 403"), "{rows}");

    // Time range and prefix, ANDed; an OR of two principals.
    let (_, on, _, _) = both_ways(
        &catalog,
        "SELECT count(*) FROM access_events WHERE event_time >= '2024-05-01T09:00:00Z' \
         AND event_time < '2024-05-01T23:59:59Z' AND object_uri LIKE 's3://corp-lake/sales/%'",
    )
    .await;
    assert_eq!(on, 2);
    let (_, on, _, _) = both_ways(
        &catalog,
        "SELECT count(*) FROM access_events WHERE principal = 'arn:aws:iam::123456789012:user/intern' \
         OR principal_detail = 'session=bob'",
    )
    .await;
    assert_eq!(on, 4);

    // A dataset filter becomes an object-prefix search through the aliases
    // (inexact: DataFusion re-checks the resolved dataset).
    let (rows, on, _, _) = both_ways(
        &catalog,
        "SELECT count(*) AS n FROM access_events WHERE dataset_uri IN ('file:///lake/sales') \
         AND principal_detail = 'session=jane.doe@corp.example'",
    )
    .await;
    // No dataset is in this catalog, so dataset_uri is NULL everywhere: zero rows,
    // but the index still only loaded the objects under the dataset's spellings.
    assert!(rows.contains("| 0 "), "{rows}");
    assert!(on < 60, "read {on} documents for one dataset");
}

#[tokio::test]
async fn reingesting_changes_nothing_and_reindex_rebuilds() {
    let (dir, catalog) = catalog_with_s3_logs().await;
    let again = ingest(
        &catalog,
        &[audit_fixtures().join("s3-access").display().to_string()],
        &IngestOptions {
            format: IngestFormat::S3,
            model_namespaces: vec![],
            force: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(again.files_ingested, 2);
    let (ctx, _) = open_session(&catalog, &SessionOptions::default())
        .await
        .unwrap();
    let n = run(
        &ctx,
        "SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM access_events",
    )
    .await
    .unwrap();
    let text = pretty_format_batches(&n).unwrap().to_string();
    assert!(text.contains("| 411 | 411 |"), "{text}");

    // Losing the index loses nothing: it is rebuilt from the catalog.
    std::fs::remove_dir_all(dir.path().join("cat/index")).unwrap();
    let stats = lakewarden_index::sync_indexes(&catalog, false)
        .await
        .unwrap();
    assert_eq!(stats[&Table::AccessEvents].rows_indexed, 411);
}
