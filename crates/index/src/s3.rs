//! S3 server access logs.
//!
//! Field order (AWS documentation): bucket_owner bucket \[time\] remote_ip
//! requester request_id operation key "request_uri" http_status error_code
//! bytes_sent object_size total_time turnaround_time "referrer" "user_agent"
//! version_id host_id sig_version cipher_suite auth_type host_header
//! tls_version access_point_arn acl_required — and AWS may append more.
//! Lines need the first 18 fields (through version_id); `-` means empty.
//!
//! Event id: SHA-256 of `s3` and the raw line (every line carries a unique
//! request id and host id, so identical lines are the same delivery).

use std::io::BufRead;

use chrono::{DateTime, NaiveDate, Utc};

use crate::event::{is_ip, stable_id, AccessEvent, LogFormat, Operation, ParseReport};
use crate::gz::for_each_line;
use crate::uri::{resolve_aws_principal, s3_uri};

const MIN_FIELDS: usize = 18;
const MAX_FIELDS: usize = 32;

const BUCKET: usize = 1;
const TIME: usize = 2;
const REMOTE_IP: usize = 3;
const REQUESTER: usize = 4;
const REQUEST_ID: usize = 5;
const OPERATION: usize = 6;
const KEY: usize = 7;
const HTTP_STATUS: usize = 9;
const ERROR_CODE: usize = 10;
const BYTES_SENT: usize = 11;
const OBJECT_SIZE: usize = 12;
const USER_AGENT: usize = 16;

/// Parse an S3 server access log, calling `on_event` for every well-formed
/// line. `source` names the file in the report's context only; event ids do
/// not depend on it.
pub fn parse_s3_access_log(
    reader: impl BufRead,
    _source: &str,
    on_event: &mut dyn FnMut(AccessEvent),
) -> ParseReport {
    let mut report = ParseReport::default();
    for_each_line(reader, &mut report, |n, line, report| {
        match parse_line(line) {
            Ok(ev) => {
                report.events += 1;
                on_event(ev);
            }
            Err(reason) => report.malformed(n, reason),
        }
    });
    report
}

type Span = (usize, usize);

/// Split a line into fields: plain (up to a space), `"quoted"` (up to a quote
/// followed by a space or the end; `\"` does not close) or `[bracketed]`.
fn split(line: &[u8], fields: &mut [Span; MAX_FIELDS]) -> Result<usize, String> {
    let n = line.len();
    let mut i = 0;
    let mut count = 0;
    while i < n && count < MAX_FIELDS {
        let (start, end, next) = match line[i] {
            b'"' => {
                let mut j = i + 1;
                loop {
                    let Some(p) = line[j..].iter().position(|&b| b == b'"') else {
                        return Err(format!("unterminated quoted field {}", count + 1));
                    };
                    let q = j + p;
                    let escaped = q > i + 1 && line[q - 1] == b'\\';
                    if !escaped && (q + 1 == n || line[q + 1] == b' ') {
                        break (i + 1, q, q + 1);
                    }
                    j = q + 1;
                }
            }
            b'[' => {
                let Some(p) = line[i..].iter().position(|&b| b == b']') else {
                    return Err(format!("unterminated bracketed field {}", count + 1));
                };
                (i + 1, i + p, i + p + 1)
            }
            _ => {
                let e = line[i..]
                    .iter()
                    .position(|&b| b == b' ')
                    .map_or(n, |p| i + p);
                (i, e, e)
            }
        };
        fields[count] = (start, end);
        count += 1;
        i = next;
        if i < n && line[i] != b' ' {
            return Err(format!("unexpected character after field {count}"));
        }
        while i < n && line[i] == b' ' {
            i += 1;
        }
    }
    Ok(count)
}

fn text(b: &[u8]) -> String {
    text_ref(b).into_owned()
}

/// `b` as text, borrowed when it is UTF-8 (for values that are only read).
fn text_ref(b: &[u8]) -> std::borrow::Cow<'_, str> {
    // `from_utf8` first: its validation is faster than the lossy decoder's.
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

fn opt_text(b: &[u8]) -> Option<String> {
    if b == b"-" || b.is_empty() {
        None
    } else {
        Some(text(b))
    }
}

fn opt_num(b: &[u8], what: &str) -> Result<Option<i64>, String> {
    if b == b"-" || b.is_empty() {
        return Ok(None);
    }
    let mut v: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(format!("{what} is not a number"));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(c - b'0')))
            .ok_or_else(|| format!("{what} out of range"))?;
    }
    Ok(Some(v))
}

fn parse_line(line: &[u8]) -> Result<AccessEvent, String> {
    let mut f = [(0usize, 0usize); MAX_FIELDS];
    let count = split(line, &mut f)?;
    if count < MIN_FIELDS {
        return Err(format!("expected {MIN_FIELDS}+ fields, found {count}"));
    }
    let field = |i: usize| &line[f[i].0..f[i].1];

    let bucket = field(BUCKET);
    if bucket.is_empty() || bucket == b"-" {
        return Err("empty bucket".into());
    }
    let event_time = parse_time(field(TIME)).ok_or("time is not [dd/Mon/yyyy:HH:MM:SS +zzzz]")?;
    let api = field(OPERATION);
    if api.is_empty() || api == b"-" {
        return Err("empty operation".into());
    }
    let api_operation = text(api);
    let operation = s3_operation(&api_operation);
    let status = opt_num(field(HTTP_STATUS), "http_status")?
        .map(|s| i32::try_from(s).map_err(|_| "http_status out of range"))
        .transpose()?;
    let bytes_sent = opt_num(field(BYTES_SENT), "bytes_sent")?;
    let object_size = opt_num(field(OBJECT_SIZE), "object_size")?;
    let bytes = match operation {
        Operation::Write => object_size.or(bytes_sent),
        _ => bytes_sent,
    };
    let key = field(KEY);
    let bucket = text_ref(bucket);
    let object_uri = if key == b"-" {
        s3_uri(&bucket, "")
    } else {
        s3_uri(&bucket, &text_ref(key))
    };
    let (principal, principal_detail) = match field(REQUESTER) {
        b"-" | b"" => ("anonymous".to_string(), None),
        r => resolve_aws_principal(&text_ref(r)),
    };
    let source_ip = opt_text(field(REMOTE_IP)).filter(|s| is_ip(s));
    Ok(AccessEvent {
        event_id: stable_id(&[b"s3", line]),
        event_time,
        principal,
        principal_detail,
        operation,
        api_operation,
        object_uri,
        bytes,
        source_ip,
        status,
        error_code: opt_text(field(ERROR_CODE)),
        log_format: LogFormat::S3,
        user_agent: opt_text(field(USER_AGENT)),
        request_id: opt_text(field(REQUEST_ID)),
    })
}

/// `06/Feb/2019:00:00:38 +0000` → UTC.
fn parse_time(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let day = num(0..2)?;
    let month = match &b[3..6] {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    let year = num(7..11)? as i32;
    if b[14] != b':' || b[17] != b':' {
        return None;
    }
    let (h, m, s) = (num(12..14)?, num(15..17)?, num(18..20)?);
    let sign = match b[21] {
        b'+' => 1i64,
        b'-' => -1,
        _ => return None,
    };
    let off = sign * i64::from(num(22..24)? * 3600 + num(24..26)? * 60);
    let local = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(h, m, s)?;
    Some(local.and_utc() - chrono::TimeDelta::seconds(off))
}

/// `REST.GET.OBJECT` → read, etc. Sub-resources (`REST.GET.OBJECT_TAGGING`,
/// `REST.GET.ACL`) are `other`.
fn s3_operation(api: &str) -> Operation {
    let mut parts = api.splitn(3, '.');
    let _kind = parts.next();
    let verb = parts.next().unwrap_or("");
    let resource = parts.next().unwrap_or("");
    match (verb, resource) {
        (_, "MULTI_OBJECT_DELETE") => Operation::Delete,
        ("GET", "OBJECT") => Operation::Read,
        ("PUT", "OBJECT") | ("POST", "OBJECT") | ("PUT", "PART") | ("POST", "UPLOAD") => {
            Operation::Write
        }
        ("POST", "UPLOADS") => Operation::Write,
        ("DELETE", "OBJECT") | ("EXPIRE", "OBJECT") | ("DELETE", "UPLOAD") => Operation::Delete,
        ("HEAD", "OBJECT") | ("HEAD", "BUCKET") => Operation::Head,
        ("COPY", "OBJECT") | ("COPY", "OBJECT_GET") | ("COPY", "PART") | ("COPY", "PART_GET") => {
            Operation::Copy
        }
        ("GET", "BUCKET") | ("GET", "BUCKETVERSIONS") | ("GET", "UPLOADS") => Operation::List,
        _ => Operation::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations() {
        for (api, op) in [
            ("REST.GET.OBJECT", "read"),
            ("REST.PUT.OBJECT", "write"),
            ("REST.POST.UPLOAD", "write"),
            ("REST.PUT.PART", "write"),
            ("REST.DELETE.OBJECT", "delete"),
            ("REST.POST.MULTI_OBJECT_DELETE", "delete"),
            ("S3.EXPIRE.OBJECT", "delete"),
            ("BATCH.DELETE.OBJECT", "delete"),
            ("REST.HEAD.OBJECT", "head"),
            ("REST.GET.BUCKET", "list"),
            ("REST.GET.BUCKETVERSIONS", "list"),
            ("REST.COPY.OBJECT", "copy"),
            ("REST.COPY.OBJECT_GET", "copy"),
            ("REST.GET.OBJECT_TAGGING", "other"),
            ("REST.GET.ACL", "other"),
            ("WEBSITE.GET.OBJECT", "read"),
        ] {
            assert_eq!(s3_operation(api).as_str(), op, "{api}");
        }
    }

    #[test]
    fn times() {
        let t = parse_time(b"06/Feb/2019:00:00:38 +0000").unwrap();
        assert_eq!(t.to_rfc3339(), "2019-02-06T00:00:38+00:00");
        let t = parse_time(b"06/Feb/2019:01:30:38 +0130").unwrap();
        assert_eq!(t.to_rfc3339(), "2019-02-06T00:00:38+00:00");
        assert!(parse_time(b"31/Feb/2019:00:00:38 +0000").is_none());
        assert!(parse_time(b"06/Feb/2019 00:00:38").is_none());
    }

    #[test]
    fn quoted_fields_with_spaces_and_quotes() {
        // An unescaped quote followed by a space is ambiguous; it closes.
        let line = br#"a b "x y" [t z] "ua \"q\" inner" "has "quote"inside" -"#;
        let mut f = [(0, 0); MAX_FIELDS];
        let n = split(line, &mut f).unwrap();
        let got: Vec<&[u8]> = f[..n].iter().map(|&(s, e)| &line[s..e]).collect();
        assert_eq!(
            got,
            vec![
                &b"a"[..],
                b"b",
                b"x y",
                b"t z",
                br#"ua \"q\" inner"#,
                br#"has "quote"inside"#,
                b"-"
            ]
        );
        assert!(split(br#"a "open"#, &mut f).is_err());
    }
}
