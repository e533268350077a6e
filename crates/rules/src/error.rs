//! The one error type of this crate.
//!
//! Rule files are written by people, so every message names the file (and the
//! pattern id where there is one): "rules/entities/iban_code.toml: pattern
//! `iban_compact`: ..." is something a user can act on, a bare regex error is not.

use std::path::PathBuf;

/// Everything that can go wrong while loading, compiling or scanning rules.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// A rules directory or file could not be read.
    #[error("cannot read rules from {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A rule file is not valid TOML or does not have the documented shape.
    #[error("{file}: invalid rule file: {source}")]
    Parse {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },

    /// A rule file parsed but its content is wrong (bad entity name, duplicate pattern id, ...).
    #[error("{file}: {message}")]
    InvalidEntity { file: String, message: String },

    /// One pattern of a rule file is unusable (syntax, could cross a newline, ...).
    #[error("{file}: pattern `{pattern}`: {message}")]
    InvalidPattern {
        file: String,
        pattern: String,
        message: String,
    },

    /// The same entity is defined by two files of the same layer (built-in or user).
    #[error("entity {entity} is defined twice: in {first} and in {second}")]
    DuplicateEntity {
        entity: String,
        first: String,
        second: String,
    },

    /// A matcher engine refused a pattern. `pattern` is `"(database)"` when the
    /// engine could not say which pattern failed.
    #[error("{file}: pattern `{pattern}`: cannot be compiled by {engine}: {message}")]
    Compile {
        engine: &'static str,
        file: String,
        pattern: String,
        message: String,
    },

    /// A scan failed at run time (scratch allocation, oversized haystack, ...).
    #[error("scan failed: {0}")]
    Scan(String),
}
