//! Tolerant readers for CSV and JSON Lines.
//!
//! Why not DataFusion's CSV/JSON readers: they fail a whole file on one ragged
//! row and cannot decode Latin-1 / CP1252. These readers skip and count bad
//! rows (the dataset fails only above a configurable share), sniff the
//! delimiter and header, decode legacy encodings with a note, and stream:
//! one batch at a time, never a whole file in memory.

use crate::error::LakeError;
use crate::format::{self, Compression};
use crate::read::{ChunkData, FlatColumn, MAX_NULL_BOOST};
use crate::sample::{rate_for, NonNullSampler};
use arrow::array::{ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use encoding_rs::WINDOWS_1252;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

/// Bytes looked at to sniff delimiter, header and encoding.
const SNIFF_BYTES: usize = 64 * 1024;

/// What a text reader tells the dataset report.
#[derive(Debug, Default, Clone)]
pub struct TextStats {
    /// Good rows in the file.
    pub rows: u64,
    /// Rows handed on (all of them in full mode).
    pub rows_sampled: u64,
    pub bad_rows: u64,
    pub first_bad_line: u64,
    pub notes: Vec<String>,
}

/// Receives batches; returns false to stop reading (the consumer is gone).
pub type Emit<'a> = dyn FnMut(ChunkData, u64) -> bool + 'a;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Windows1252,
}

/// Open a possibly compressed reader and take the sniffing head off it.
fn open_text(
    uri: &str,
    raw: Box<dyn Read + Send>,
    compression: Compression,
) -> Result<(Vec<u8>, Box<dyn Read + Send>), LakeError> {
    let mut reader: Box<dyn Read + Send> = match compression {
        Compression::None => raw,
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| LakeError::corrupt(uri, format!("cannot read: {e}")))?;
    if let Some(problem) = format::text_content_problem(&head) {
        return Err(LakeError::corrupt(uri, problem));
    }
    let head_clone = head.clone();
    Ok((
        head,
        Box::new(std::io::Cursor::new(head_clone).chain(reader)),
    ))
}

fn sniff_encoding(head: &[u8]) -> Encoding {
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // A multi-byte character cut by the sniff window is still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

fn decode_field<'a>(bytes: &'a [u8], enc: Encoding, fallback_used: &mut bool) -> Cow<'a, str> {
    match enc {
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                *fallback_used = true;
                WINDOWS_1252.decode_without_bom_handling(bytes).0
            }
        },
        Encoding::Windows1252 => WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// Count fields of one line for `delim`, honouring double quotes.
fn field_count(line: &[u8], delim: u8) -> usize {
    let mut n = 1;
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delim && !quoted {
            n += 1;
        }
    }
    n
}

/// Pick the delimiter whose field count is most consistent over the first lines.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
        .take(50)
        .collect();
    // The last line may be cut by the sniff window.
    let lines = if lines.len() > 2 {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    let mut best = (b',', 0.0f64);
    for &d in b",;\t|" {
        let counts: Vec<usize> = lines.iter().map(|l| field_count(l, d)).collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let same = counts.iter().filter(|&&c| c == first).count() as f64 / counts.len() as f64;
        // Consistency first, then more columns.
        let score = same * 1000.0 + first as f64;
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

fn looks_like_header(fields: &[String]) -> bool {
    if fields.is_empty() {
        return false;
    }
    let mut seen = std::collections::HashSet::new();
    fields.iter().all(|f| {
        let t = f.trim();
        !t.is_empty()
            && t.len() <= 64
            && t.parse::<f64>().is_err()
            && !t.contains('@')
            && !t.chars().next().is_some_and(|c| c.is_ascii_digit())
            && seen.insert(t.to_lowercase())
    })
}

fn unique_names(raw: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    raw.into_iter()
        .enumerate()
        .map(|(i, n)| {
            let n = n.trim().to_string();
            let base = if n.is_empty() {
                format!("column_{}", i + 1)
            } else {
                n
            };
            let c = seen.entry(base.clone()).or_insert(0);
            *c += 1;
            if *c == 1 {
                base
            } else {
                format!("{base}_{c}")
            }
        })
        .collect()
}

/// Parameters shared by the text readers.
pub struct TextOptions {
    pub batch_size: usize,
    pub max_bad_share: f64,
    pub delimiter_hint: Option<u8>,
    /// Rows to draw (sample mode); `None` keeps every row.
    pub sample_rows: Option<u64>,
    pub seed: u64,
    /// Stored size of the file, to estimate its row count for the sampling rate.
    pub size_hint: u64,
    pub compression: Compression,
}

impl TextOptions {
    /// The row sampler for a file whose first bytes are `head`: the rate is
    /// estimated from the head's average line length (whole files are read
    /// anyway; sampling saves the classification work). A file with
    /// mostly-null columns gets its rate raised so that its sparsest column
    /// holds as many non-null values as a full one (see [`NonNullSampler`];
    /// up to [`MAX_NULL_BOOST`]×, as for Parquet).
    fn sampler(&self, head: &[u8]) -> NonNullSampler {
        let lines = head.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
        let avg = (head.len() as u64 / lines).max(1);
        let inflate = match self.compression {
            Compression::Gzip => 5,
            Compression::None => 1,
        };
        let est_rows = self.size_hint.saturating_mul(inflate) / avg;
        NonNullSampler::new(
            self.seed,
            rate_for(self.sample_rows, est_rows.max(lines)),
            MAX_NULL_BOOST,
        )
    }
}

/// Read a CSV stream. `emit(batch, first_row_index)`.
pub fn read_csv(
    uri: &str,
    raw: Box<dyn Read + Send>,
    opts: &TextOptions,
    emit: &mut Emit<'_>,
) -> Result<TextStats, LakeError> {
    let (head, reader) = open_text(uri, raw, opts.compression)?;
    let mut sampler = opts.sampler(&head);
    let mut stats = TextStats::default();
    let enc = sniff_encoding(&head);
    if enc == Encoding::Windows1252 {
        stats
            .notes
            .push("not valid UTF-8: decoded as Windows-1252 (Latin-1)".into());
    }
    let head_str = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let delim = opts
        .delimiter_hint
        .unwrap_or_else(|| sniff_delimiter(head_str));
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut fallback_used = false;
    let mut record = csv::ByteRecord::new();
    let mut names: Option<Vec<String>> = None;
    let mut pending_first: Option<Vec<Option<String>>> = None;
    let mut builders: Vec<StringBuilder> = Vec::new();
    let mut in_batch = 0usize;
    let mut first_row = 0u64;
    let mut schema: Option<Arc<Schema>> = None;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(LakeError::corrupt(uri, format!("read failed: {e}")));
                }
                stats.bad_rows += 1;
                if stats.first_bad_line == 0 {
                    stats.first_bad_line = e.position().map(|p| p.line()).unwrap_or(0);
                }
                continue;
            }
        }
        let mut fields: Vec<String> = record
            .iter()
            .map(|f| decode_field(f, enc, &mut fallback_used).into_owned())
            .collect();
        if names.is_none() {
            if let Some(f) = fields.first_mut() {
                if let Some(s) = f.strip_prefix('\u{feff}') {
                    *f = s.to_string();
                }
            }
            if fields.len() == 1 && fields[0].is_empty() {
                continue;
            }
            if looks_like_header(&fields) {
                names = Some(unique_names(fields));
            } else {
                names = Some((1..=fields.len()).map(|i| format!("column_{i}")).collect());
                pending_first = Some(fields.into_iter().map(Some).collect());
            }
            let n = names.as_ref().map(Vec::len).unwrap_or(0);
            schema = Some(Arc::new(Schema::new(
                names
                    .as_ref()
                    .expect("set above")
                    .iter()
                    .map(|n| Field::new(n, DataType::Utf8, true))
                    .collect::<Vec<_>>(),
            )));
            builders = (0..n).map(|_| StringBuilder::new()).collect();
            if pending_first.is_none() {
                continue;
            }
            fields = pending_first
                .take()
                .expect("set above")
                .into_iter()
                .map(|f| f.unwrap_or_default())
                .collect();
        }
        let width = builders.len();
        if fields.len() != width {
            // A trailing empty line or a ragged row.
            if fields.len() == 1 && fields[0].is_empty() {
                continue;
            }
            stats.bad_rows += 1;
            if stats.first_bad_line == 0 {
                stats.first_bad_line = record.position().map(|p| p.line()).unwrap_or(0);
            }
            continue;
        }
        stats.rows += 1;
        let row = stats.rows - 1;
        if !sampler.may_keep(row) {
            continue;
        }
        let non_null = fields.iter().enumerate().filter(|(_, f)| !f.is_empty());
        if !sampler.keep(row, non_null.map(|(i, _)| i)) {
            continue;
        }
        for (b, f) in builders.iter_mut().zip(fields) {
            if f.is_empty() {
                b.append_null();
            } else {
                b.append_value(f);
            }
        }
        in_batch += 1;
        stats.rows_sampled += 1;
        if in_batch >= opts.batch_size {
            let batch = finish_batch(
                uri,
                schema.as_ref().expect("schema before rows"),
                &mut builders,
            )?;
            if !emit(ChunkData::Arrow(batch), first_row) {
                return Ok(stats);
            }
            first_row += in_batch as u64;
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        let batch = finish_batch(
            uri,
            schema.as_ref().expect("schema before rows"),
            &mut builders,
        )?;
        emit(ChunkData::Arrow(batch), first_row);
    } else if let Some(schema) = &schema {
        // A header-only file: an empty batch carries the column names.
        if stats.rows == 0 {
            emit(ChunkData::Arrow(RecordBatch::new_empty(schema.clone())), 0);
        }
    }
    if fallback_used {
        stats
            .notes
            .push("some fields were not valid UTF-8 and were decoded as Windows-1252".into());
    }
    check_bad_share(uri, &stats, opts)?;
    Ok(stats)
}

fn finish_batch(
    uri: &str,
    schema: &Arc<Schema>,
    builders: &mut [StringBuilder],
) -> Result<RecordBatch, LakeError> {
    let cols: Vec<ArrayRef> = builders
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    RecordBatch::try_new(schema.clone(), cols).map_err(|e| LakeError::corrupt(uri, e.to_string()))
}

fn check_bad_share(uri: &str, stats: &TextStats, opts: &TextOptions) -> Result<(), LakeError> {
    let total = stats.rows + stats.bad_rows;
    if stats.bad_rows > 0 && stats.bad_rows as f64 > opts.max_bad_share * total as f64 {
        return Err(LakeError::TooManyBadRows {
            uri: uri.to_string(),
            bad: stats.bad_rows,
            total,
            limit_pct: opts.max_bad_share * 100.0,
            first_line: stats.first_bad_line,
        });
    }
    Ok(())
}

/// A JSON scalar at some path.
#[derive(Debug, Clone)]
enum Leaf {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// Flattened JSON columns of one batch. Lists add no path segment, so a
/// column's values may outnumber the batch's rows.
#[derive(Default)]
struct FlatBatch {
    /// Path → (values, record of each value).
    columns: BTreeMap<Vec<String>, (Vec<Leaf>, Vec<u32>)>,
    /// The record (within the batch) values are being pushed for.
    row: u32,
}

impl FlatBatch {
    fn push_value(&mut self, path: &mut Vec<String>, v: &serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    path.push(k.clone());
                    self.push_value(path, v);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for e in a {
                    self.push_value(path, e);
                }
            }
            Value::Null => self.leaf(path, Leaf::Null),
            Value::Bool(b) => self.leaf(path, Leaf::Bool(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => self.leaf(path, Leaf::Int(i)),
                None => self.leaf(path, Leaf::Float(n.as_f64().unwrap_or(f64::NAN))),
            },
            Value::String(s) => self.leaf(path, Leaf::Str(s.clone())),
        }
    }

    fn leaf(&mut self, path: &[String], leaf: Leaf) {
        if let Some((v, rows)) = self.columns.get_mut(path) {
            v.push(leaf);
            rows.push(self.row);
        } else {
            self.columns
                .insert(path.to_vec(), (vec![leaf], vec![self.row]));
        }
    }

    /// Flattens one record (the `in_batch`-th of the batch).
    fn push_record(&mut self, in_batch: usize, path: &mut Vec<String>, v: &serde_json::Value) {
        self.row = in_batch as u32;
        self.push_value(path, v);
    }

    /// Build one typed array per path: Int64 / Float64 / Boolean when every
    /// non-null value agrees, else Utf8 (mixed types are rendered as text).
    fn finish(&mut self) -> Vec<FlatColumn> {
        std::mem::take(&mut self.columns)
            .into_iter()
            .map(|(path, (leaves, rows))| FlatColumn {
                path,
                array: leaves_to_array(&leaves),
                rows,
            })
            .collect()
    }
}

fn leaves_to_array(leaves: &[Leaf]) -> ArrayRef {
    let (mut ints, mut floats, mut bools, mut strs) = (0, 0, 0, 0);
    for l in leaves {
        match l {
            Leaf::Int(_) => ints += 1,
            Leaf::Float(_) => floats += 1,
            Leaf::Bool(_) => bools += 1,
            Leaf::Str(_) => strs += 1,
            Leaf::Null => {}
        }
    }
    if strs == 0 && bools == 0 && floats == 0 && ints > 0 {
        let mut b = Int64Builder::with_capacity(leaves.len());
        for l in leaves {
            match l {
                Leaf::Int(i) => b.append_value(*i),
                _ => b.append_null(),
            }
        }
        return Arc::new(b.finish());
    }
    if strs == 0 && bools == 0 && floats > 0 {
        let mut b = Float64Builder::with_capacity(leaves.len());
        for l in leaves {
            match l {
                Leaf::Int(i) => b.append_value(*i as f64),
                Leaf::Float(f) => b.append_value(*f),
                _ => b.append_null(),
            }
        }
        return Arc::new(b.finish());
    }
    if strs == 0 && ints == 0 && floats == 0 && bools > 0 {
        let mut b = BooleanBuilder::with_capacity(leaves.len());
        for l in leaves {
            match l {
                Leaf::Bool(v) => b.append_value(*v),
                _ => b.append_null(),
            }
        }
        return Arc::new(b.finish());
    }
    let mut b = StringBuilder::with_capacity(leaves.len(), leaves.len() * 16);
    for l in leaves {
        match l {
            Leaf::Null => b.append_null(),
            Leaf::Bool(v) => b.append_value(if *v { "true" } else { "false" }),
            Leaf::Int(i) => b.append_value(i.to_string()),
            Leaf::Float(f) => b.append_value(f.to_string()),
            Leaf::Str(s) => b.append_value(s),
        }
    }
    Arc::new(b.finish())
}

/// Numbers the leaf paths of JSON records, for the sampler's per-column
/// non-null counts.
#[derive(Default)]
struct LeafIndex {
    index: HashMap<Vec<String>, usize>,
}

impl LeafIndex {
    /// The indices of the leaf paths that hold a non-null value in `v`
    /// (list elements add no segment, as in [`FlatBatch`]).
    fn non_null(&mut self, v: &serde_json::Value) -> Vec<usize> {
        fn walk(
            index: &mut HashMap<Vec<String>, usize>,
            path: &mut Vec<String>,
            v: &serde_json::Value,
            out: &mut Vec<usize>,
        ) {
            use serde_json::Value;
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        path.push(k.clone());
                        walk(index, path, v, out);
                        path.pop();
                    }
                }
                Value::Array(a) => a.iter().for_each(|e| walk(index, path, e, out)),
                Value::Null => {}
                _ => {
                    let next = index.len();
                    let i = *index.entry(path.clone()).or_insert(next);
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&mut self.index, &mut Vec::new(), v, &mut out);
        out
    }
}

/// Read JSON Lines (one object per line), or a `.json` file holding one array
/// of objects. Lines that are not JSON objects are skipped and counted.
pub fn read_json_lines(
    uri: &str,
    raw: Box<dyn Read + Send>,
    opts: &TextOptions,
    emit: &mut Emit<'_>,
) -> Result<TextStats, LakeError> {
    let (head, reader) = open_text(uri, raw, opts.compression)?;
    let mut sampler = opts.sampler(&head);
    let mut columns = LeafIndex::default();
    let mut stats = TextStats::default();
    let mut batch = FlatBatch::default();
    let mut in_batch = 0usize;
    let mut first_row = 0u64;
    let first_char = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let mut path = Vec::new();
    let mut flush = |batch: &mut FlatBatch, rows: usize, first_row: u64| -> bool {
        let columns = batch.finish();
        emit(ChunkData::Flat { rows, columns }, first_row)
    };
    if first_char == Some(b'[') {
        // A JSON array document: parsed whole (bounded by the value cap of the
        // caller's memory), then emitted in batches.
        let values: Vec<serde_json::Value> = serde_json::from_reader(reader).map_err(|e| {
            LakeError::corrupt(
                uri,
                format!("not a JSON array of objects: {}", e.classify_name()),
            )
        })?;
        for v in values {
            if !v.is_object() {
                stats.bad_rows += 1;
                continue;
            }
            stats.rows += 1;
            let row = stats.rows - 1;
            if !sampler.may_keep(row) || !sampler.keep(row, columns.non_null(&v)) {
                continue;
            }
            batch.push_record(in_batch, &mut path, &v);
            in_batch += 1;
            stats.rows_sampled += 1;
            if in_batch >= opts.batch_size {
                if !flush(&mut batch, in_batch, first_row) {
                    return Ok(stats);
                }
                first_row += in_batch as u64;
                in_batch = 0;
            }
        }
    } else {
        let mut reader = BufReader::with_capacity(256 * 1024, reader);
        let mut line = Vec::new();
        let mut line_no = 0u64;
        let mut fallback_used = false;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(|e| {
                LakeError::corrupt(uri, format!("read failed at line {}: {e}", line_no + 1))
            })?;
            if n == 0 {
                break;
            }
            line_no += 1;
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            if !sampler.may_keep(stats.rows) {
                // Still validated, so bad lines are counted in sample mode too.
                let ok = serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_ok()
                    && line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
                if ok {
                    stats.rows += 1;
                } else if std::str::from_utf8(&line).is_ok() {
                    stats.bad_rows += 1;
                    if stats.first_bad_line == 0 {
                        stats.first_bad_line = line_no;
                    }
                } else {
                    // Legacy-encoded line: counted as a row, not parsed.
                    stats.rows += 1;
                }
                continue;
            }
            let parsed = serde_json::from_slice::<serde_json::Value>(&line).or_else(|e| {
                if std::str::from_utf8(&line).is_err() {
                    fallback_used = true;
                    let s = WINDOWS_1252.decode_without_bom_handling(&line).0;
                    serde_json::from_str(&s)
                } else {
                    Err(e)
                }
            });
            match parsed {
                Ok(v) if v.is_object() => {
                    if !sampler.keep(stats.rows, columns.non_null(&v)) {
                        stats.rows += 1;
                        continue;
                    }
                    batch.push_record(in_batch, &mut path, &v);
                    in_batch += 1;
                    stats.rows += 1;
                    stats.rows_sampled += 1;
                }
                _ => {
                    stats.bad_rows += 1;
                    if stats.first_bad_line == 0 {
                        stats.first_bad_line = line_no;
                    }
                    continue;
                }
            }
            if in_batch >= opts.batch_size {
                if !flush(&mut batch, in_batch, first_row) {
                    return Ok(stats);
                }
                first_row += in_batch as u64;
                in_batch = 0;
            }
        }
        if fallback_used {
            stats
                .notes
                .push("some lines were not valid UTF-8 and were decoded as Windows-1252".into());
        }
    }
    if in_batch > 0 {
        flush(&mut batch, in_batch, first_row);
    }
    check_bad_share(uri, &stats, opts)?;
    Ok(stats)
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    /// serde_json messages can quote input; keep only the category.
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "unexpected end of file",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};

    fn opts() -> TextOptions {
        TextOptions {
            batch_size: 2,
            max_bad_share: 0.5,
            delimiter_hint: None,
            sample_rows: None,
            seed: 1,
            size_hint: 0,
            compression: Compression::None,
        }
    }

    fn collect_csv(
        data: &[u8],
        o: &TextOptions,
    ) -> Result<(Vec<RecordBatch>, TextStats), LakeError> {
        let mut out = Vec::new();
        let stats = read_csv(
            "mem.csv",
            Box::new(std::io::Cursor::new(data.to_vec())),
            o,
            &mut |c, _| {
                if let ChunkData::Arrow(b) = c {
                    out.push(b);
                }
                true
            },
        )?;
        Ok((out, stats))
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2;3\n4;5;6\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n\"x,y\"|2|3\n1|2|3\n"), b'|');
        assert_eq!(sniff_delimiter(b"a,b\n\"x;y\",2\n"), b',');
    }

    #[test]
    fn csv_with_header_quotes_and_ragged_rows() {
        let (batches, stats) =
            collect_csv(b"name,notes\nAnn,\"hi, there\"\nBob\nCy,ok\n", &opts()).unwrap();
        assert_eq!(stats.rows, 2);
        assert_eq!(stats.bad_rows, 1);
        assert_eq!(stats.first_bad_line, 3);
        let b = &batches[0];
        assert_eq!(b.schema().field(1).name(), "notes");
        assert_eq!(b.column(1).as_string::<i32>().value(0), "hi, there");
    }

    #[test]
    fn csv_without_header_gets_generated_names() {
        let (batches, stats) = collect_csv(b"1,2\n3,4\n", &opts()).unwrap();
        assert_eq!(stats.rows, 2);
        assert_eq!(batches[0].schema().field(0).name(), "column_1");
    }

    #[test]
    fn latin1_is_decoded_with_a_note() {
        let (batches, stats) =
            collect_csv(b"stra\xdfe;ort\nHauptstra\xdfe 1;K\xf6ln\n", &opts()).unwrap();
        assert!(stats.notes[0].contains("Windows-1252"));
        assert_eq!(batches[0].schema().field(0).name(), "straße");
        assert_eq!(batches[0].column(1).as_string::<i32>().value(0), "Köln");
    }

    #[test]
    fn too_many_bad_rows_fail_the_file() {
        let err = collect_csv(b"a,b\n1\n2\n3,4\n", &opts()).unwrap_err();
        assert!(err.to_string().contains("2 of 3 rows malformed"), "{err}");
    }

    #[test]
    fn binary_named_csv_is_an_error() {
        let err = collect_csv(b"PAR1\0\0\0garbage", &opts()).unwrap_err();
        assert!(err.to_string().contains("Parquet"), "{err}");
    }

    #[test]
    fn header_only_csv_yields_empty_batch() {
        let (batches, stats) = collect_csv(b"email,name\n", &opts()).unwrap();
        assert_eq!(stats.rows, 0);
        assert_eq!(batches[0].num_rows(), 0);
        assert_eq!(batches[0].num_columns(), 2);
    }

    #[test]
    fn json_lines_flatten_nested_fields_and_lists() {
        let data = b"{\"user\":{\"email\":\"a@b.co\"},\"tags\":[\"x\",\"y\"],\"n\":1}\nnot json\n{\"user\":{\"email\":null},\"n\":\"two\"}\n";
        let mut cols = Vec::new();
        let stats = read_json_lines(
            "mem.jsonl",
            Box::new(std::io::Cursor::new(data.to_vec())),
            &TextOptions {
                batch_size: 10,
                ..opts()
            },
            &mut |c, _| {
                if let ChunkData::Flat { columns, .. } = c {
                    cols.extend(columns);
                }
                true
            },
        )
        .unwrap();
        assert_eq!(stats.rows, 2);
        assert_eq!(stats.bad_rows, 1);
        assert_eq!(stats.first_bad_line, 2);
        let tags = cols.iter().find(|c| c.path == ["tags"]).unwrap();
        assert_eq!(tags.array.len(), 2);
        let email = cols.iter().find(|c| c.path == ["user", "email"]).unwrap();
        assert_eq!(email.array.null_count(), 1);
        // Mixed types become text.
        let n = cols.iter().find(|c| c.path == ["n"]).unwrap();
        assert_eq!(n.array.data_type(), &DataType::Utf8);
    }
}
