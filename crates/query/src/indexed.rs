//! `access_events`, `lineage_edges`, `models` and `model_inputs` as DataFusion
//! tables backed by their Tantivy indexes.
//!
//! SQL filters are translated into index [`Predicate`]s where the index can
//! answer them exactly — `=` / `IN` on any column, `LIKE 'prefix%'` and
//! `starts_with` on strings, `<` `<=` `>` `>=` (and `BETWEEN`) on times and
//! numbers, `OR` of those — so a selective query loads only the matching
//! documents. Everything else is filtered by DataFusion after the scan.
//!
//! Locations are resolved at query time ([`LocationResolver`]): access events
//! gain a `dataset_uri` column (the catalog dataset holding `object_uri`, after
//! `[aliases]`), and lineage URIs are rewritten to catalog datasets, with
//! `*_in_catalog` flags for datasets outside the scanned lake. A filter on
//! `access_events.dataset_uri` is pushed down as "object_uri is, or is under,
//! one of the dataset's spellings" (inexact: DataFusion re-checks it).

use std::fmt;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::ScalarValue;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{BinaryExpr, Expr, Like, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use lakewarden_catalog::Table;
use lakewarden_index::{Literal, LocationResolver, Predicate, SearchStats, TableIndex};

/// How a table's location columns are resolved at query time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Locations {
    /// `access_events`: add `dataset_uri` from `object_uri`.
    AccessEvents,
    /// `lineage_edges`: rewrite `source_uri` / `target_uri`, add `*_in_catalog`.
    LineageEdges,
    /// `model_inputs`: rewrite `dataset_uri`, add `in_catalog`.
    ModelInputs,
    None,
}

impl Locations {
    fn of(table: Table) -> Locations {
        match table {
            Table::AccessEvents => Locations::AccessEvents,
            Table::LineageEdges => Locations::LineageEdges,
            Table::ModelInputs => Locations::ModelInputs,
            _ => Locations::None,
        }
    }

    /// Columns whose values are rewritten (no pushdown on them).
    fn rewritten(self) -> &'static [&'static str] {
        match self {
            Locations::LineageEdges => &["source_uri", "target_uri"],
            Locations::ModelInputs => &["dataset_uri"],
            Locations::AccessEvents | Locations::None => &[],
        }
    }
}

/// The SQL schema of an index-backed table: the catalog table's columns plus
/// the resolved-location columns.
pub fn output_schema(table: Table) -> SchemaRef {
    let base = table.schema();
    let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
    match Locations::of(table) {
        Locations::AccessEvents => fields.push(Field::new("dataset_uri", DataType::Utf8, true)),
        Locations::LineageEdges => {
            fields.push(Field::new("source_in_catalog", DataType::Boolean, false));
            fields.push(Field::new("target_in_catalog", DataType::Boolean, false));
        }
        Locations::ModelInputs => fields.push(Field::new("in_catalog", DataType::Boolean, false)),
        Locations::None => {}
    }
    Arc::new(Schema::new(fields))
}

/// Adds / rewrites the location columns of rows of `table` (catalog schema in,
/// [`output_schema`] out).
pub fn resolve_locations(
    table: Table,
    batch: &RecordBatch,
    resolver: &LocationResolver,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let schema = output_schema(table);
    let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
    let col = |name: &str| -> Result<&StringArray, arrow::error::ArrowError> {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| arrow::error::ArrowError::SchemaError(format!("no column {name}")))
    };
    let idx = |name: &str| batch.schema().index_of(name);
    match Locations::of(table) {
        Locations::AccessEvents => {
            let objects = col("object_uri")?;
            let datasets: StringArray = objects
                .iter()
                .map(|o| o.and_then(|o| resolver.dataset_of(o)))
                .collect();
            cols.push(Arc::new(datasets));
        }
        Locations::LineageEdges => {
            let mut flags = Vec::new();
            for name in ["source_uri", "target_uri"] {
                let (resolved, in_catalog) = resolve_column(col(name)?, resolver);
                cols[idx(name)?] = Arc::new(resolved);
                flags.push(Arc::new(in_catalog) as ArrayRef);
            }
            cols.extend(flags);
        }
        Locations::ModelInputs => {
            let (resolved, in_catalog) = resolve_column(col("dataset_uri")?, resolver);
            cols[idx("dataset_uri")?] = Arc::new(resolved);
            cols.push(Arc::new(in_catalog));
        }
        Locations::None => {}
    }
    RecordBatch::try_new(schema, cols)
}

fn resolve_column(uris: &StringArray, resolver: &LocationResolver) -> (StringArray, BooleanArray) {
    let mut resolved = Vec::with_capacity(uris.len());
    let mut known = Vec::with_capacity(uris.len());
    for u in uris.iter() {
        let found = u.and_then(|u| resolver.dataset_of(u));
        known.push(found.is_some());
        resolved.push(u.map(|u| match found {
            Some(d) => d.to_string(),
            None => resolver.aliases().apply(u).into_owned(),
        }));
    }
    (StringArray::from(resolved), BooleanArray::from(known))
}

/// An index-backed catalog table.
pub struct IndexedTable {
    table: Table,
    index: Arc<TableIndex>,
    resolver: Arc<LocationResolver>,
    schema: SchemaRef,
    pushdown: bool,
    searches: Mutex<Vec<SearchStats>>,
}

impl fmt::Debug for IndexedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexedTable")
            .field("table", &self.table)
            .field("pushdown", &self.pushdown)
            .finish()
    }
}

impl IndexedTable {
    /// `pushdown = false` answers every query by reading the whole index (the
    /// baseline of the pushdown benchmark).
    pub fn new(index: Arc<TableIndex>, resolver: Arc<LocationResolver>, pushdown: bool) -> Self {
        let table = index.table();
        IndexedTable {
            table,
            index,
            resolver,
            schema: output_schema(table),
            pushdown,
            searches: Mutex::new(Vec::new()),
        }
    }

    /// What every search of this table read so far (one entry per scan).
    pub fn searches(&self) -> Vec<SearchStats> {
        self.searches.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The predicate for `e` and whether it is exact, if the index can help.
    fn translate(&self, e: &Expr) -> Option<(Predicate, bool)> {
        if !self.pushdown {
            return None;
        }
        let (p, exact) = translate(e, self.table, &self.resolver)?;
        self.index.supports(&p).then_some((p, exact))
    }
}

#[async_trait]
impl TableProvider for IndexedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match self.translate(f) {
                Some((_, true)) => TableProviderFilterPushDown::Exact,
                Some((_, false)) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let mut predicates = Vec::new();
        let mut all_exact = true;
        for f in filters {
            match self.translate(f) {
                Some((p, exact)) => {
                    all_exact &= exact;
                    predicates.push(p);
                }
                None => all_exact = false,
            }
        }
        let index = Arc::clone(&self.index);
        let limit = if all_exact { limit } else { None };
        let (batch, stats) = tokio::task::spawn_blocking(move || index.search(&predicates, limit))
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        if let Ok(mut s) = self.searches.lock() {
            s.push(stats);
        }
        let batch = resolve_locations(self.table, &batch, &self.resolver)?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            Arc::clone(&self.schema),
            projection.cloned(),
        )?)
    }
}

/// SQL filter → index predicate (and whether the index answers it exactly).
fn translate(e: &Expr, table: Table, resolver: &LocationResolver) -> Option<(Predicate, bool)> {
    let locations = Locations::of(table);
    let column_ok = |name: &str| !locations.rewritten().contains(&name);
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if *op == Operator::Or => {
            let (l, le) = translate(left, table, resolver)?;
            let (r, re) = translate(right, table, resolver)?;
            let conj = |p: Predicate| match p {
                Predicate::Any(alts) => alts,
                other => vec![vec![other]],
            };
            let mut alts = conj(l);
            alts.extend(conj(r));
            Some((Predicate::Any(alts), le && re))
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if *op == Operator::And => {
            let (l, le) = translate(left, table, resolver)?;
            let (r, re) = translate(right, table, resolver)?;
            Some((Predicate::Any(vec![vec![l, r]]), le && re))
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (name, lit, op) = match (column_name(left), literal(right)) {
                (Some(c), Some(l)) => (c, l, *op),
                _ => (column_name(right)?, literal(left)?, op.swap()?),
            };
            if locations == Locations::AccessEvents && name == "dataset_uri" {
                return match (op, lit) {
                    (Operator::Eq, Literal::Str(s)) => {
                        Some((dataset_predicate(&[s], resolver), false))
                    }
                    _ => None,
                };
            }
            if !column_ok(&name) {
                return None;
            }
            let pred = match op {
                Operator::Eq => Predicate::In {
                    column: name,
                    values: vec![lit],
                },
                Operator::Lt => range(name, Bound::Unbounded, Bound::Excluded(lit)),
                Operator::LtEq => range(name, Bound::Unbounded, Bound::Included(lit)),
                Operator::Gt => range(name, Bound::Excluded(lit), Bound::Unbounded),
                Operator::GtEq => range(name, Bound::Included(lit), Bound::Unbounded),
                _ => return None,
            };
            Some((pred, true))
        }
        Expr::InList(list) if !list.negated => {
            let name = column_name(&list.expr)?;
            let values: Option<Vec<Literal>> = list.list.iter().map(literal).collect();
            let values = values?;
            if locations == Locations::AccessEvents && name == "dataset_uri" {
                let strs: Option<Vec<String>> = values
                    .into_iter()
                    .map(|v| match v {
                        Literal::Str(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                return Some((dataset_predicate(&strs?, resolver), false));
            }
            column_ok(&name).then_some((
                Predicate::In {
                    column: name,
                    values,
                },
                true,
            ))
        }
        Expr::Between(b) if !b.negated => {
            let name = column_name(&b.expr)?;
            if !column_ok(&name) || name == "dataset_uri" {
                return None;
            }
            Some((
                range(
                    name,
                    Bound::Included(literal(&b.low)?),
                    Bound::Included(literal(&b.high)?),
                ),
                true,
            ))
        }
        Expr::Like(Like {
            negated: false,
            expr,
            pattern,
            escape_char: None,
            case_insensitive: false,
        }) => {
            let name = column_name(expr)?;
            let Literal::Str(p) = literal(pattern)? else {
                return None;
            };
            let prefix = p.strip_suffix('%')?;
            if prefix.contains(['%', '_', '\\']) || !column_ok(&name) || name == "dataset_uri" {
                return None;
            }
            Some((
                Predicate::Prefix {
                    column: name,
                    prefix: prefix.to_string(),
                },
                true,
            ))
        }
        Expr::ScalarFunction(f) if f.name() == "starts_with" && f.args.len() == 2 => {
            let name = column_name(&f.args[0])?;
            let Literal::Str(prefix) = literal(&f.args[1])? else {
                return None;
            };
            if !column_ok(&name) || name == "dataset_uri" {
                return None;
            }
            Some((
                Predicate::Prefix {
                    column: name,
                    prefix,
                },
                true,
            ))
        }
        _ => None,
    }
}

/// "`object_uri` is, or lies under, a spelling of one of these datasets".
fn dataset_predicate(datasets: &[String], resolver: &LocationResolver) -> Predicate {
    let mut alts = Vec::new();
    for d in datasets {
        for s in resolver.aliases().spellings(d) {
            alts.push(vec![Predicate::In {
                column: "object_uri".into(),
                values: vec![Literal::Str(s.clone())],
            }]);
            alts.push(vec![Predicate::Prefix {
                column: "object_uri".into(),
                prefix: format!("{s}/"),
            }]);
        }
    }
    Predicate::Any(alts)
}

fn range(column: String, lower: Bound<Literal>, upper: Bound<Literal>) -> Predicate {
    Predicate::Range {
        column,
        lower,
        upper,
    }
}

fn column_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Column(c) => Some(c.name.clone()),
        // `CAST(col AS …)` is left alone: the cast can change what matches.
        _ => None,
    }
}

fn literal(e: &Expr) -> Option<Literal> {
    let Expr::Literal(v, _) = e else {
        return None;
    };
    Some(match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => Literal::Str(s.clone()),
        ScalarValue::Int64(Some(i)) => Literal::I64(*i),
        ScalarValue::Int32(Some(i)) => Literal::I64(i64::from(*i)),
        ScalarValue::Boolean(Some(b)) => Literal::Bool(*b),
        ScalarValue::TimestampMicrosecond(Some(t), _) => Literal::TimestampMicros(*t),
        ScalarValue::TimestampMillisecond(Some(t), _) => {
            Literal::TimestampMicros(t.checked_mul(1_000)?)
        }
        ScalarValue::TimestampSecond(Some(t), _) => {
            Literal::TimestampMicros(t.checked_mul(1_000_000)?)
        }
        // Nanoseconds are truncated towards minus infinity only when exact.
        ScalarValue::TimestampNanosecond(Some(t), _) if t % 1_000 == 0 => {
            Literal::TimestampMicros(t / 1_000)
        }
        _ => return None,
    })
}

/// Rows of `batches` as they would come out of an [`IndexedTable`] (used when
/// the index cannot be opened: the catalog is the system of record).
pub fn resolve_all(
    table: Table,
    batches: &[RecordBatch],
    resolver: &LocationResolver,
) -> Result<Vec<RecordBatch>, arrow::error::ArrowError> {
    batches
        .iter()
        .map(|b| resolve_locations(table, b, resolver))
        .collect()
}
