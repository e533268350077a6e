use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// At most this many malformed lines are described in a [`ParseReport`].
pub const MAX_REPORTED_MALFORMED: usize = 10;

/// What an access did, as a closed vocabulary (`access_events.operation`).
/// The raw API name is kept in [`AccessEvent::api_operation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    Read,
    Write,
    Delete,
    List,
    Head,
    Copy,
    Other,
}

impl Operation {
    pub const ALL: [Operation; 7] = [
        Operation::Read,
        Operation::Write,
        Operation::Delete,
        Operation::List,
        Operation::Head,
        Operation::Copy,
        Operation::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Delete => "delete",
            Operation::List => "list",
            Operation::Head => "head",
            Operation::Copy => "copy",
            Operation::Other => "other",
        }
    }
}

impl Serialize for Operation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which log an event came from (`access_events.log_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFormat {
    S3,
    CloudTrail,
    Azure,
}

impl LogFormat {
    pub const ALL: [LogFormat; 3] = [LogFormat::S3, LogFormat::CloudTrail, LogFormat::Azure];

    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::S3 => "s3",
            LogFormat::CloudTrail => "cloudtrail",
            LogFormat::Azure => "azure",
        }
    }

    /// Parse the `--format` spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl Serialize for LogFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One access to one object (or bucket / container), normalised across log
/// formats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessEvent {
    /// Stable id: SHA-256 hex, see each parser for what is hashed.
    pub event_id: String,
    #[serde(serialize_with = "ser_time")]
    pub event_time: DateTime<Utc>,
    /// IAM role/user ARN (assumed-role sessions resolved to the role), Azure
    /// object id, or `anonymous`.
    pub principal: String,
    /// e.g. `session=S` for an assumed role, the UPN / app id on Azure.
    pub principal_detail: Option<String>,
    pub operation: Operation,
    /// The raw API name (`REST.GET.OBJECT`, `GetObject`, `GetBlob`).
    pub api_operation: String,
    /// Canonical URI of the object, or of the bucket / container for
    /// bucket-level operations.
    pub object_uri: String,
    pub bytes: Option<i64>,
    pub source_ip: Option<String>,
    /// HTTP status (CloudTrail: derived from the error code, `None` on success).
    pub status: Option<i32>,
    /// Service error code (`AccessDenied`, `NoSuchKey`, …), when the log has one.
    pub error_code: Option<String>,
    pub log_format: LogFormat,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Counts of one parse. Line numbers are 1-based; for CloudTrail they are
/// record numbers within the `Records` array.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParseReport {
    /// Lines (records) read, blank lines included.
    pub lines: u64,
    /// Events produced.
    pub events: u64,
    /// Well-formed records deliberately ignored (management events, non-S3
    /// sources, OpenLineage dataset/job events).
    pub skipped: u64,
    pub malformed: u64,
    /// The first [`MAX_REPORTED_MALFORMED`] malformed lines: (line, reason).
    /// Reasons never contain input text.
    pub first_malformed: Vec<(u64, String)>,
    /// Set when reading stopped early (I/O or decompression error); what was
    /// read before is kept.
    pub read_error: Option<String>,
}

impl ParseReport {
    pub(crate) fn malformed(&mut self, line: u64, reason: impl Into<String>) {
        self.malformed += 1;
        if self.first_malformed.len() < MAX_REPORTED_MALFORMED {
            self.first_malformed.push((line, reason.into()));
        }
    }

    pub(crate) fn read_failed(&mut self, line: u64, e: &std::io::Error) {
        // io::Error messages from the decoders describe the stream, not data.
        self.read_error = Some(format!("after line {line}: {}", e.kind()));
    }
}

pub(crate) fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// SHA-256 hex of the parts, each followed by a NUL separator.
pub(crate) fn stable_id(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
        h.update([0u8]);
    }
    let mut hex = [0u8; 64];
    hex::encode_to_slice(h.finalize(), &mut hex).expect("64 hex digits for 32 bytes");
    String::from_utf8(hex.to_vec()).expect("hex digits are ASCII")
}

/// A serde_json error reduced to category and position (its message can
/// quote input).
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    let cat = match e.classify() {
        serde_json::error::Category::Io => "io",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Data => "data",
        serde_json::error::Category::Eof => "unexpected end",
    };
    format!("invalid JSON ({cat}) at column {}", e.column())
}

/// `true` if the string looks like an IPv4/IPv6 address.
pub(crate) fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// The non-empty string at `path` inside a JSON record.
pub(crate) fn json_str<'v>(v: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

/// An integer that logs write as a number or as a string.
pub(crate) fn json_i64(v: Option<&serde_json::Value>) -> Option<i64> {
    match v? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
