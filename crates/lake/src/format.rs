//! What a file is, decided from its name (and, where names lie, its first bytes).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compression {
    None,
    Gzip,
}

/// A dataset's format. `Unsupported` datasets are recorded, not read, so that
/// posture shows what was *not* scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv {
        compression: Compression,
        /// Delimiter implied by the extension (`.tsv`, `.psv`); sniffed otherwise.
        delimiter_hint: Option<u8>,
    },
    JsonLines {
        compression: Compression,
    },
    Delta,
    Unsupported {
        /// A short name of what it is (`avro`, `orc`, `xlsx`, `iceberg`, `unknown`, …).
        what: String,
    },
}

impl Format {
    /// The `datasets.format` vocabulary: parquet | csv | jsonl | delta | unknown.
    pub fn catalog_name(&self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv { .. } => "csv",
            Format::JsonLines { .. } => "jsonl",
            Format::Delta => "delta",
            Format::Unsupported { .. } => "unknown",
        }
    }

    pub fn delimiter_hint(&self) -> Option<u8> {
        match self {
            Format::Csv { delimiter_hint, .. } => *delimiter_hint,
            _ => None,
        }
    }

    pub fn is_supported(&self) -> bool {
        !matches!(self, Format::Unsupported { .. })
    }

    /// Two formats that may live in one folder dataset.
    pub fn same_kind(&self, other: &Format) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// Decide a file's format from its name.
pub fn from_name(name: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    let (stem, compression) = match lower.strip_suffix(".gz") {
        Some(s) => (s.to_string(), Compression::Gzip),
        None => (lower.clone(), Compression::None),
    };
    let ext = stem.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let unsupported = |what: &str| Format::Unsupported {
        what: what.to_string(),
    };
    match ext {
        "parquet" | "parq" | "pqt" if compression == Compression::None => Format::Parquet,
        "csv" => Format::Csv {
            compression,
            delimiter_hint: None,
        },
        "tsv" | "tab" => Format::Csv {
            compression,
            delimiter_hint: Some(b'\t'),
        },
        "psv" => Format::Csv {
            compression,
            delimiter_hint: Some(b'|'),
        },
        "jsonl" | "ndjson" | "json" => Format::JsonLines { compression },
        "" if stem.starts_with("part-") => unsupported("unknown"),
        "avro" | "orc" | "xlsx" | "xls" | "xlsm" | "ods" | "feather" | "arrow" | "ipc"
        | "sqlite" | "db" | "h5" | "hdf5" | "pkl" | "pickle" | "npy" | "npz" | "xml" | "txt"
        | "log" | "pdf" | "docx" | "zip" | "tar" | "bz2" | "zst" | "xz" | "snappy" | "lz4"
        | "sas7bdat" | "dta" | "sav" => unsupported(ext),
        _ => unsupported("unknown"),
    }
}

/// Names Spark and Hive treat as hidden: `_SUCCESS`, `_logs`, `.crc`, `.hidden`.
pub fn is_hidden(segment: &str) -> bool {
    segment.starts_with('_') || segment.starts_with('.')
}

/// A hive partition segment `key=value`.
pub fn partition_segment(segment: &str) -> Option<(&str, &str)> {
    let (k, v) = segment.split_once('=')?;
    (!k.is_empty() && !is_hidden(k)).then_some((k, v))
}

/// Sniff the first bytes of a file that claims to be text.
pub fn text_content_problem(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PAR1") {
        return Some("binary content: this is a Parquet file, not text");
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Some("gzip-compressed content in a file without a .gz extension");
    }
    if head.starts_with(b"Obj\x01") {
        return Some("binary content: this is an Avro file, not text");
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some("binary content: this is a zip archive (xlsx/docx?), not text");
    }
    if head.iter().take(8192).any(|&b| b == 0) {
        return Some("binary content (NUL bytes) in a text format file");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_formats() {
        assert_eq!(from_name("a.parquet"), Format::Parquet);
        assert_eq!(from_name("part-0000-x.snappy.parquet"), Format::Parquet);
        assert!(matches!(
            from_name("x.ndjson.gz"),
            Format::JsonLines {
                compression: Compression::Gzip
            }
        ));
        assert!(matches!(
            from_name("x.TSV"),
            Format::Csv {
                delimiter_hint: Some(b'\t'),
                ..
            }
        ));
        assert_eq!(from_name("x.avro").catalog_name(), "unknown");
        assert!(!from_name("x.xlsx").is_supported());
        assert!(is_hidden("_SUCCESS") && is_hidden(".x.crc") && !is_hidden("part-0"));
        assert_eq!(partition_segment("region=eu"), Some(("region", "eu")));
        assert_eq!(partition_segment("_x=1"), None);
    }

    #[test]
    fn sniffing_catches_binary_text_files() {
        assert!(text_content_problem(b"PAR1\x15\x04").is_some());
        assert!(text_content_problem(b"a,b\n1,2\n").is_none());
        assert!(text_content_problem(b"a\0b").is_some());
    }
}
