//! Batch helpers: conforming batches to a table's schema, validating vocabularies and
//! ranges, extracting and filtering by key.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::{DataType, Float64Type};

use crate::error::CatalogError;
use crate::schema::Table;

fn invalid(table: Table, reason: String) -> CatalogError {
    CatalogError::InvalidBatch {
        table: table.name().to_string(),
        reason,
    }
}

/// Returns `batch` with exactly `table.schema()`: columns taken by name and cast where
/// the type differs (e.g. `Utf8View` → `Utf8`), absent nullable columns filled with
/// nulls. With `strict`, columns the table does not have are an error (writes);
/// otherwise they are dropped (reads of files from other versions).
pub fn conform_batch(
    table: Table,
    batch: &RecordBatch,
    strict: bool,
) -> Result<RecordBatch, CatalogError> {
    let schema = table.schema();
    if strict {
        for f in batch.schema().fields() {
            if schema.field_with_name(f.name()).is_err() {
                return Err(invalid(
                    table,
                    format!("unknown column {} (not in the {table} schema)", f.name()),
                ));
            }
        }
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let col = match batch.column_by_name(field.name()) {
            Some(c) if c.data_type() == field.data_type() => Arc::clone(c),
            Some(c) => cast(c, field.data_type()).map_err(|e| {
                invalid(
                    table,
                    format!(
                        "column {}: cannot convert {} to {}: {e}",
                        field.name(),
                        c.data_type(),
                        field.data_type()
                    ),
                )
            })?,
            None if field.is_nullable() => new_null_array(field.data_type(), batch.num_rows()),
            None => return Err(invalid(table, format!("missing column {}", field.name()))),
        };
        columns.push(col);
    }
    RecordBatch::try_new(schema, columns).map_err(|e| invalid(table, e.to_string()))
}

/// Checks the table's closed vocabularies and `0..1` ranges, and that the key column
/// holds no empty string.
pub fn validate_batch(table: Table, batch: &RecordBatch) -> Result<(), CatalogError> {
    for (column, allowed) in table.vocabularies() {
        let Some(col) = batch.column_by_name(column) else {
            continue;
        };
        let Some(values) = col.as_string_opt::<i32>() else {
            return Err(invalid(table, format!("column {column} is not Utf8")));
        };
        for (row, v) in values.iter().enumerate() {
            match v {
                Some(v) if allowed.contains(&v) => {}
                Some(v) => {
                    return Err(invalid(
                        table,
                        format!(
                            "column {column} row {row}: {v:?} is not one of {}",
                            allowed.join("|")
                        ),
                    ))
                }
                None => return Err(invalid(table, format!("column {column} row {row}: null"))),
            }
        }
    }
    for column in table.unit_interval_columns() {
        let Some(col) = batch.column_by_name(column) else {
            continue;
        };
        let Some(values) = col.as_primitive_opt::<Float64Type>() else {
            return Err(invalid(table, format!("column {column} is not Float64")));
        };
        for (row, v) in values.iter().enumerate() {
            if let Some(v) = v {
                if !(0.0..=1.0).contains(&v) {
                    return Err(invalid(
                        table,
                        format!("column {column} row {row}: {v} is outside 0..1"),
                    ));
                }
            }
        }
    }
    let keys = key_array(table, batch)?;
    if let Some(row) = (0..keys.len()).find(|&i| keys.is_null(i) || keys.value(i).is_empty()) {
        return Err(invalid(
            table,
            format!("key column {} row {row} is empty", table.key_column()),
        ));
    }
    Ok(())
}

fn key_array(table: Table, batch: &RecordBatch) -> Result<arrow::array::StringArray, CatalogError> {
    let name = table.key_column();
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| invalid(table, format!("missing key column {name}")))?;
    let col = if col.data_type() == &DataType::Utf8 {
        Arc::clone(col)
    } else {
        cast(col, &DataType::Utf8).map_err(|e| CatalogError::arrow(table, e))?
    };
    Ok(col.as_string::<i32>().clone())
}

/// The distinct values of the table's key column in `batch`.
pub fn batch_keys(table: Table, batch: &RecordBatch) -> Result<BTreeSet<String>, CatalogError> {
    let keys = key_array(table, batch)?;
    Ok(keys.iter().flatten().map(str::to_string).collect())
}

/// The rows of `batch` whose key is (`keep_listed`) or is not (`!keep_listed`) in `keys`.
pub fn filter_by_keys(
    table: Table,
    batch: &RecordBatch,
    keys: &BTreeSet<String>,
    keep_listed: bool,
) -> Result<RecordBatch, CatalogError> {
    let key_col = key_array(table, batch)?;
    let mask: BooleanArray = key_col
        .iter()
        .map(|k| Some(k.is_some_and(|k| keys.contains(k)) == keep_listed))
        .collect();
    filter_record_batch(batch, &mask).map_err(|e| CatalogError::arrow(table, e))
}

/// A key value occurring in more than one row of `batches`, if any.
pub fn duplicate_key(
    table: Table,
    batches: &[RecordBatch],
) -> Result<Option<String>, CatalogError> {
    let mut seen = BTreeSet::new();
    for b in batches {
        for k in key_array(table, b)?.iter().flatten() {
            if !seen.insert(k.to_string()) {
                return Ok(Some(k.to_string()));
            }
        }
    }
    Ok(None)
}
