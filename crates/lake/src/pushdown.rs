//! Predicate pushdown for exact identifier searches (`lakewarden rtbf`).
//!
//! An [`IdFilter`] says which rows a caller wants: those where some listed
//! top-level column, **trimmed**, equals one of its identifiers (an integer
//! column: equals one as a number, so `00123` finds `123`). It is a hint that
//! lets a reader skip data, never a filter the caller may rely on: readers
//! return a superset of the wanted rows and the caller compares each value
//! itself. Skipping must never lose a wanted row, so the predicate handed to
//! statistics is wider than the comparison:
//!
//! * text columns: a value that trims to `t` is `t` followed by whitespace
//!   (sorting in `[t, t + U+3001)`: U+3000 is the highest whitespace), or
//!   starts with whitespace (ASCII whitespace sorts below `!`, the others at
//!   or above U+0085). Bloom filters are not used: they answer for the exact
//!   stored bytes only.
//! * integer columns: `IN (ids that parse as integers and fit the type)`.
//! * boolean columns: `= true` / `= false` for the ids `true` / `false`
//!   (their text form), nothing for other ids.
//! * any other type (decimals, floats, dates, binary, dictionaries,
//!   nested): refused — their rendered text is what is compared, and its
//!   order is not the stored order.
//!
//! Parquet: row groups are pruned with DataFusion's `PruningPredicate`
//! over the footer's column-chunk statistics ([`parquet_row_groups`]), and
//! in the row groups read, a row filter ([`parquet_row_filter`]) decodes the
//! filter's columns first so that the others are decoded for the rows the
//! predicate keeps only;
//! byte-array statistics are ignored when the file does not declare the
//! unsigned sort order or uses the deprecated min/max fields (old writers
//! compared signed bytes). Min/max truncated by the writer remain bounds.
//! Delta: the same predicate goes to `deltalake`'s DataFusion provider,
//! which skips files by the log's statistics and prunes row groups the same
//! way; [`ScanFigures`] reads back what its plan fetched.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray, RecordBatch, UInt64Array};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::error::ArrowError;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::logical_expr::execution_props::ExecutionProps;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::utils::disjunction;
use datafusion::logical_expr::{lit, Expr};
use datafusion::physical_expr::create_physical_expr;
use datafusion::physical_optimizer::pruning::{PruningPredicateBuilder, PruningStatistics};
use datafusion::physical_plan::metrics::MetricValue;
use datafusion::physical_plan::ExecutionPlan;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{ArrowPredicateFn, RowFilter};
use parquet::arrow::ProjectionMask;
use parquet::basic::{ColumnOrder, SortOrder, Type as PhysicalType};
use parquet::file::metadata::ParquetMetaData;
use parquet::schema::types::SchemaDescriptor;

/// The rows a reader may keep: some column of `columns` holds one of its
/// identifiers. See the module documentation for what "holds" means.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdFilter {
    pub columns: Vec<IdColumn>,
}

/// One top-level column and the identifiers wanted in it (trimmed, non-empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdColumn {
    pub name: String,
    pub ids: BTreeSet<String>,
}

/// Whether a read used its [`IdFilter`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Pushdown {
    /// The read had no filter.
    #[default]
    NotAsked,
    /// Every file was read with the predicate.
    Applied,
    /// Read without it (at least in part); why, in one line.
    Refused(String),
}

impl Pushdown {
    /// The outcome of a dataset from those of its files: one refusal makes
    /// the dataset's (the first reason is kept).
    pub fn merge(&mut self, file: Pushdown) {
        match (&*self, file) {
            (Pushdown::Refused(_), _) => {}
            (_, r @ Pushdown::Refused(_)) => *self = r,
            (_, Pushdown::Applied) => *self = Pushdown::Applied,
            (_, Pushdown::NotAsked) => {}
        }
    }
}

impl IdFilter {
    /// The predicate over `schema` (a file's or a table's), with `partition`
    /// the hive partition values a reader adds as text columns. `Err`: the
    /// filter cannot be pushed down safely (one line, no values).
    pub fn predicate(
        &self,
        schema: &Schema,
        partition: &[(String, String)],
    ) -> Result<Expr, String> {
        let mut terms = Vec::new();
        for c in &self.columns {
            match schema.field_with_name(&c.name) {
                Ok(field) => terms.push(column_predicate(&c.name, field.data_type(), &c.ids)?),
                Err(_) => {
                    // Not in the file: a partition value (text), or no value at all.
                    let held = partition
                        .iter()
                        .any(|(k, v)| *k == c.name && c.ids.contains(v.trim()));
                    terms.push(lit(held));
                }
            }
        }
        Ok(disjunction(terms).unwrap_or_else(|| lit(false)))
    }
}

fn column_predicate(name: &str, dt: &DataType, ids: &BTreeSet<String>) -> Result<Expr, String> {
    let column = Expr::Column(Column::new_unqualified(name));
    let text = |s: String| -> Expr {
        lit(match dt {
            DataType::LargeUtf8 => ScalarValue::LargeUtf8(Some(s)),
            DataType::Utf8View => ScalarValue::Utf8View(Some(s)),
            _ => ScalarValue::Utf8(Some(s)),
        })
    };
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let mut terms = vec![
                // Leading ASCII whitespace (all below `!`) ...
                column.clone().lt(text("!".into())),
                // ... and the other Unicode whitespace (U+0085 and above).
                column.clone().gt_eq(text("\u{85}".into())),
            ];
            for id in ids {
                terms.push(
                    column
                        .clone()
                        .gt_eq(text(id.clone()))
                        .and(column.clone().lt(text(format!("{id}\u{3001}")))),
                );
            }
            Ok(disjunction(terms).unwrap_or_else(|| lit(false)))
        }
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => {
            let values: Vec<Expr> = ids
                .iter()
                .filter_map(|id| id.parse::<i128>().ok())
                .filter_map(|n| integer_scalar(dt, n))
                .map(lit)
                .collect();
            Ok(if values.is_empty() {
                lit(false)
            } else {
                column.in_list(values, false)
            })
        }
        DataType::Boolean => {
            let values: Vec<Expr> = ["true", "false"]
                .into_iter()
                .filter(|t| ids.contains(*t))
                .map(|t| lit(t == "true"))
                .collect();
            Ok(if values.is_empty() {
                lit(false)
            } else {
                column.in_list(values, false)
            })
        }
        other => Err(format!(
            "column {name} is {other}: its text form is compared, which statistics do not bound"
        )),
    }
}

/// A refusal's reason. DataFusion's own message is left out: it can spell
/// the predicate's literals, and those are identifiers (some derived, which
/// the report never shows raw).
fn refusal(what: &str) -> String {
    format!("{what} (DataFusion refused it)")
}

/// `n` as a scalar of integer type `dt`, if it fits.
fn integer_scalar(dt: &DataType, n: i128) -> Option<ScalarValue> {
    Some(match dt {
        DataType::Int8 => ScalarValue::Int8(Some(i8::try_from(n).ok()?)),
        DataType::Int16 => ScalarValue::Int16(Some(i16::try_from(n).ok()?)),
        DataType::Int32 => ScalarValue::Int32(Some(i32::try_from(n).ok()?)),
        DataType::Int64 => ScalarValue::Int64(Some(i64::try_from(n).ok()?)),
        DataType::UInt8 => ScalarValue::UInt8(Some(u8::try_from(n).ok()?)),
        DataType::UInt16 => ScalarValue::UInt16(Some(u16::try_from(n).ok()?)),
        DataType::UInt32 => ScalarValue::UInt32(Some(u32::try_from(n).ok()?)),
        DataType::UInt64 => ScalarValue::UInt64(Some(u64::try_from(n).ok()?)),
        _ => return None,
    })
}

/// Which row groups of one Parquet file may hold a wanted row (`true`: read
/// it). `schema` is the file's Arrow schema, `partition` its hive values.
pub fn parquet_row_groups(
    filter: &IdFilter,
    schema: &SchemaRef,
    md: &ParquetMetaData,
    partition: &[(String, String)],
) -> Result<Vec<bool>, String> {
    let expr = filter.predicate(schema, partition)?;
    let df_schema = DFSchema::try_from(schema.as_ref().clone())
        .map_err(|_| refusal("cannot plan the predicate"))?;
    let physical = create_physical_expr(
        &expr,
        &df_schema,
        &ExecutionProps::new(),
        &PhysicalPlanningContext::default(),
    )
    .map_err(|_| refusal("cannot plan the predicate"))?;
    // More ids than the builder's `IN` cap (or a term it cannot use) leave
    // the row groups in: pruning only ever keeps more.
    let pruning = PruningPredicateBuilder::new()
        .with_file_schema(Arc::clone(schema))
        .try_build(physical)
        .map_err(|_| refusal("cannot prune with the predicate"))?;
    pruning
        .prune(&RowGroupStatistics { schema, md })
        .map_err(|_| refusal("cannot prune with the predicate"))
}

/// A row filter for one Parquet file: the filter's columns are decoded
/// first and only the rows the predicate keeps are decoded for the other
/// columns. `None` when no filter column is in the file (the predicate is a
/// constant then, which row-group pruning has applied).
pub fn parquet_row_filter(
    filter: &IdFilter,
    schema: &SchemaRef,
    descr: &SchemaDescriptor,
    partition: &[(String, String)],
) -> Result<Option<RowFilter>, String> {
    let expr = filter.predicate(schema, partition)?;
    // In file order: the order the predicate's batch has its columns in.
    let roots: BTreeSet<usize> = filter
        .columns
        .iter()
        .filter_map(|c| schema.index_of(&c.name).ok())
        .collect();
    if roots.is_empty() {
        return Ok(None);
    }
    let roots: Vec<usize> = roots.into_iter().collect();
    let projected = schema
        .project(&roots)
        .map_err(|_| refusal("cannot plan the row filter"))?;
    let df_schema =
        DFSchema::try_from(projected).map_err(|_| refusal("cannot plan the row filter"))?;
    let physical = create_physical_expr(
        &expr,
        &df_schema,
        &ExecutionProps::new(),
        &PhysicalPlanningContext::default(),
    )
    .map_err(|_| refusal("cannot plan the row filter"))?;
    let mask = ProjectionMask::roots(descr, roots);
    let predicate = ArrowPredicateFn::new(mask, move |batch: RecordBatch| {
        // A fixed message: an evaluation error could quote a value.
        let failed = || ArrowError::ComputeError("the identifier row filter failed".into());
        let kept = physical
            .evaluate(&batch)
            .and_then(|v| v.into_array(batch.num_rows()))
            .map_err(|_| failed())?;
        kept.as_boolean_opt().cloned().ok_or_else(failed)
    });
    Ok(Some(RowFilter::new(vec![Box::new(predicate)])))
}

/// A Parquet footer's row-group statistics, as DataFusion's pruning asks.
struct RowGroupStatistics<'a> {
    schema: &'a Schema,
    md: &'a ParquetMetaData,
}

impl RowGroupStatistics<'_> {
    /// The converter of a column whose statistics can be trusted for ordering.
    fn converter(&self, column: &Column) -> Option<StatisticsConverter<'_>> {
        let descr = self.md.file_metadata().schema_descr();
        let conv = StatisticsConverter::try_new(&column.name, self.schema, descr).ok()?;
        if let Some(idx) = conv.parquet_column_index() {
            if matches!(
                descr.column(idx).physical_type(),
                PhysicalType::BYTE_ARRAY | PhysicalType::FIXED_LEN_BYTE_ARRAY
            ) {
                let unsigned = matches!(
                    self.md.file_metadata().column_order(idx),
                    ColumnOrder::TYPE_DEFINED_ORDER(SortOrder::UNSIGNED)
                );
                // (A chunk of nulls only has no min/max and reads as
                // "deprecated": that one says nothing of the order.)
                let deprecated = self.md.row_groups().iter().any(|rg| {
                    rg.column(idx)
                        .statistics()
                        .is_some_and(|s| s.is_min_max_deprecated() && s.min_bytes_opt().is_some())
                });
                if !unsigned || deprecated {
                    return None;
                }
            }
        }
        Some(conv)
    }
}

impl PruningStatistics for RowGroupStatistics<'_> {
    fn min_values(&self, column: &Column) -> Option<ArrayRef> {
        self.converter(column)?
            .row_group_mins(self.md.row_groups().iter())
            .ok()
    }

    fn max_values(&self, column: &Column) -> Option<ArrayRef> {
        self.converter(column)?
            .row_group_maxes(self.md.row_groups().iter())
            .ok()
    }

    fn num_containers(&self) -> usize {
        self.md.num_row_groups()
    }

    fn null_counts(&self, column: &Column) -> Option<ArrayRef> {
        let counts = self
            .converter(column)?
            .row_group_null_counts(self.md.row_groups().iter())
            .ok()?;
        Some(Arc::new(counts))
    }

    fn row_counts(&self) -> Option<ArrayRef> {
        Some(Arc::new(UInt64Array::from_iter_values(
            self.md
                .row_groups()
                .iter()
                .map(|rg| rg.num_rows().max(0) as u64),
        )))
    }

    fn contained(
        &self,
        _column: &Column,
        _values: &std::collections::HashSet<ScalarValue>,
    ) -> Option<BooleanArray> {
        None
    }
}

/// What an executed DataFusion plan over Parquet files fetched (its Parquet
/// scans' metrics): Delta reads report these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanFigures {
    /// Bytes fetched from data files: footers, page indexes, column chunks.
    pub bytes: u64,
    /// Files the scan opened (planned files not pruned by their statistics).
    pub files: u64,
    pub row_groups_read: u64,
    /// Row groups of opened files pruned by statistics or bloom filters.
    pub row_groups_skipped: u64,
}

impl ScanFigures {
    pub fn of(plan: &Arc<dyn ExecutionPlan>) -> ScanFigures {
        let mut out = ScanFigures::default();
        collect_figures(plan, &mut out);
        out
    }
}

fn collect_figures(plan: &Arc<dyn ExecutionPlan>, out: &mut ScanFigures) {
    let scan = plan.downcast_ref::<DataSourceExec>().and_then(|exec| {
        exec.data_source()
            .downcast_ref::<FileScanConfig>()
            .map(|config| (exec, config))
    });
    if let Some((exec, config)) = scan {
        let planned: usize = config.file_groups.iter().map(|g| g.len()).sum();
        let (mut bytes, mut files_pruned, mut rg_pruned, mut rg_matched, mut bloom_pruned) =
            (0, 0, 0, 0, 0);
        if let Some(metrics) = exec.metrics() {
            for m in metrics.aggregate_by_name().iter() {
                match m.value() {
                    MetricValue::Count { name, count } if name == "bytes_scanned" => {
                        bytes = count.value()
                    }
                    MetricValue::PruningMetrics {
                        name,
                        pruning_metrics,
                    } => match name.as_ref() {
                        "files_ranges_pruned_statistics" => files_pruned = pruning_metrics.pruned(),
                        "row_groups_pruned_statistics" => {
                            rg_pruned = pruning_metrics.pruned();
                            rg_matched = pruning_metrics.matched();
                        }
                        "row_groups_pruned_bloom_filter" => bloom_pruned = pruning_metrics.pruned(),
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
        out.bytes += bytes as u64;
        out.files += planned.saturating_sub(files_pruned) as u64;
        out.row_groups_read += rg_matched.saturating_sub(bloom_pruned) as u64;
        out.row_groups_skipped += (rg_pruned + bloom_pruned) as u64;
    }
    for child in plan.children() {
        collect_figures(child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;
    use arrow::datatypes::Field;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};

    fn filter(column: &str, ids: &[&str]) -> IdFilter {
        IdFilter {
            columns: vec![IdColumn {
                name: column.into(),
                ids: ids.iter().map(|s| s.to_string()).collect(),
            }],
        }
    }

    /// A file of `groups` row groups, each holding the given values of `id`.
    fn footer(groups: &[Vec<Option<&str>>], stats: EnabledStatistics) -> ParquetMetaData {
        let schema = text_schema();
        let mut buf = Vec::new();
        let props = WriterProperties::builder()
            .set_statistics_enabled(stats)
            .build();
        let mut w = ArrowWriter::try_new(&mut buf, Arc::clone(&schema), Some(props)).unwrap();
        for g in groups {
            let batch = RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(StringArray::from(g.clone())) as ArrayRef],
            )
            .unwrap();
            w.write(&batch).unwrap();
            w.flush().unwrap();
        }
        w.close().unwrap();
        parquet::file::metadata::ParquetMetaDataReader::new()
            .parse_and_finish(&bytes::Bytes::from(buf))
            .unwrap()
    }

    fn text_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, true)]))
    }

    #[test]
    fn text_groups_outside_the_range_are_skipped() {
        let md = footer(
            &[
                vec![Some("C001"), Some("C099")],
                vec![Some("C100"), Some("C199")],
                vec![None, None],
            ],
            EnabledStatistics::Chunk,
        );
        let keep = parquet_row_groups(&filter("id", &["C150"]), &text_schema(), &md, &[]).unwrap();
        assert_eq!(keep, vec![false, true, false]);
    }

    #[test]
    fn values_that_trim_to_the_id_are_never_skipped() {
        // " C150" (leading space) sorts before every C…; "C150\t" after C150.
        let md = footer(
            &[
                vec![Some(" C150"), Some(" C151")],
                vec![Some("C150\t"), Some("C150\t")],
                vec![Some("\u{3000}C150"), Some("\u{3000}C150")],
                vec![Some("C200"), Some("C300")],
            ],
            EnabledStatistics::Chunk,
        );
        let keep = parquet_row_groups(&filter("id", &["C150"]), &text_schema(), &md, &[]).unwrap();
        assert_eq!(keep, vec![true, true, true, false]);
    }

    #[test]
    fn a_column_without_statistics_is_read() {
        let md = footer(&[vec![Some("A")], vec![Some("B")]], EnabledStatistics::None);
        let keep = parquet_row_groups(&filter("id", &["Z"]), &text_schema(), &md, &[]).unwrap();
        assert_eq!(keep, vec![true, true]);
    }

    #[test]
    fn integer_columns_compare_numbers_and_text_ids_that_are_no_number_match_nothing() {
        let schema = Schema::new(vec![Field::new("n", DataType::Int32, true)]);
        let p = filter("n", &["00123", "x7"])
            .predicate(&schema, &[])
            .unwrap();
        assert_eq!(
            p,
            Expr::Column(Column::new_unqualified("n")).in_list(vec![lit(123i32)], false)
        );
        let p = filter("n", &["abc", "99999999999"])
            .predicate(&schema, &[])
            .unwrap();
        assert_eq!(p, lit(false));
        // The same on a file: only the group whose range holds 123 is read.
        let batch = |v: Vec<i32>| {
            RecordBatch::try_from_iter([(
                "n",
                Arc::new(arrow::array::Int32Array::from(v)) as ArrayRef,
            )])
            .unwrap()
        };
        let mut buf = Vec::new();
        let b0 = batch(vec![1, 100]);
        let mut w = ArrowWriter::try_new(&mut buf, b0.schema(), None).unwrap();
        for b in [b0, batch(vec![101, 200]), batch(vec![201, 300])] {
            w.write(&b).unwrap();
            w.flush().unwrap();
        }
        w.close().unwrap();
        let md = parquet::file::metadata::ParquetMetaDataReader::new()
            .parse_and_finish(&bytes::Bytes::from(buf))
            .unwrap();
        let keep =
            parquet_row_groups(&filter("n", &["00123"]), &Arc::new(schema), &md, &[]).unwrap();
        assert_eq!(keep, vec![false, true, false]);
    }

    #[test]
    fn other_types_and_missing_columns() {
        let schema = Schema::new(vec![
            Field::new("amount", DataType::Float64, true),
            Field::new("id", DataType::Int64, true),
        ]);
        let err = filter("amount", &["1"])
            .predicate(&schema, &[])
            .unwrap_err();
        assert!(err.contains("amount"), "{err}");
        // Absent from the file: a partition value decides, else nothing is held.
        let part = [("region".to_string(), "eu ".to_string())];
        assert_eq!(
            filter("region", &["eu"]).predicate(&schema, &part).unwrap(),
            lit(true)
        );
        assert_eq!(
            filter("region", &["us"]).predicate(&schema, &part).unwrap(),
            lit(false)
        );
    }

    #[test]
    fn the_row_filter_keeps_every_row_that_trims_to_an_id() {
        let batch = RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(StringArray::from(vec!["a", " b ", "c", "b", "b\u{2003}"])) as ArrayRef,
            ),
            (
                "other",
                Arc::new(StringArray::from(vec!["1", "2", "3", "4", "5"])) as ArrayRef,
            ),
        ])
        .unwrap();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(buf),
        )
        .unwrap();
        let rows = parquet_row_filter(
            &filter("id", &["b"]),
            builder.schema(),
            builder.metadata().file_metadata().schema_descr(),
            &[],
        )
        .unwrap()
        .expect("the file has the column");
        let kept: Vec<String> = builder
            .with_row_filter(rows)
            .build()
            .unwrap()
            .flat_map(|b| {
                let b = b.unwrap();
                let other = b.column(1).as_string::<i32>().clone();
                (0..b.num_rows())
                    .map(move |i| other.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(kept, vec!["2", "4", "5"]);
    }

    #[test]
    fn a_partition_value_keeps_or_skips_the_whole_file() {
        let md = footer(
            &[vec![Some("A")], vec![Some("B")]],
            EnabledStatistics::Chunk,
        );
        let part = [("region".to_string(), "eu".to_string())];
        let keep = |id: &str| {
            parquet_row_groups(&filter("region", &[id]), &text_schema(), &md, &part).unwrap()
        };
        assert_eq!(keep("eu"), vec![true, true]);
        assert_eq!(keep("us"), vec![false, false]);
    }

    #[test]
    fn a_refusal_wins_when_outcomes_merge() {
        let mut p = Pushdown::NotAsked;
        p.merge(Pushdown::Applied);
        assert_eq!(p, Pushdown::Applied);
        p.merge(Pushdown::Refused("x".into()));
        p.merge(Pushdown::Applied);
        assert_eq!(p, Pushdown::Refused("x".into()));
    }
}
