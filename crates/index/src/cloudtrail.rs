//! CloudTrail log files (`{"Records":[…]}`), S3 data events only.
//!
//! Records are streamed one at a time (the `Records` array is never held in
//! memory). A record that is valid JSON but lacks what an event needs is
//! malformed (reported by its 1-based record number); a file that is not
//! JSON or has no `Records` array is an error — events delivered before the
//! error stay delivered.
//!
//! Event id: SHA-256 of `cloudtrail` and the record's `eventID` (globally
//! unique, so the same record in two deliveries is one event); without an
//! `eventID`, of the source name and record number.

use std::fmt;
use std::io::Read;

use chrono::{DateTime, Utc};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::event::{
    is_ip, json_i64 as num, json_reason, json_str as s, stable_id, AccessEvent, LogFormat,
    Operation, ParseReport,
};
use crate::uri::resolve_aws_principal;
use crate::IndexError;

/// Parse a CloudTrail log file, calling `on_event` for every S3 data event.
pub fn parse_cloudtrail(
    reader: impl Read,
    source: &str,
    on_event: &mut dyn FnMut(AccessEvent),
) -> Result<ParseReport, IndexError> {
    let mut ctx = Ctx {
        source,
        report: ParseReport::default(),
        on_event,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let found = TopSeed { ctx: &mut ctx }
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|_| found));
    match found {
        Ok(true) => Ok(ctx.report),
        Ok(false) => Err(IndexError::Format {
            source_name: source.to_string(),
            reason: "no \"Records\" array (not a CloudTrail log file)".into(),
        }),
        Err(e) if e.is_io() => Err(IndexError::Io {
            source_name: source.to_string(),
            error: std::io::Error::new(
                e.io_error_kind().unwrap_or(std::io::ErrorKind::Other),
                "read failed",
            ),
        }),
        Err(e) => Err(IndexError::Format {
            source_name: source.to_string(),
            reason: format!(
                "after record {}: {} (line {})",
                ctx.report.lines,
                json_reason(&e),
                e.line()
            ),
        }),
    }
}

struct Ctx<'a, 'b> {
    source: &'a str,
    report: ParseReport,
    on_event: &'b mut dyn FnMut(AccessEvent),
}

impl Ctx<'_, '_> {
    fn record(&mut self, v: Value) {
        self.report.lines += 1;
        let n = self.report.lines;
        match record_to_event(&v, self.source, n) {
            Ok(Some(ev)) => {
                self.report.events += 1;
                (self.on_event)(ev);
            }
            Ok(None) => self.report.skipped += 1,
            Err(reason) => self.report.malformed(n, reason),
        }
    }
}

struct TopSeed<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail log object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" && !found {
                map.next_value_seed(RecordsSeed {
                    ctx: &mut *self.ctx,
                })?;
                found = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

struct RecordsSeed<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.ctx.record(v);
        }
        Ok(())
    }
}

/// S3 object-level API names → operation. `None`: not a known data event.
fn s3_data_operation(name: &str) -> Option<Operation> {
    Some(match name {
        "GetObject" | "SelectObjectContent" | "GetObjectTorrent" => Operation::Read,
        "PutObject"
        | "PostObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "CompleteMultipartUpload" => Operation::Write,
        "DeleteObject" | "DeleteObjects" | "AbortMultipartUpload" => Operation::Delete,
        "CopyObject" | "UploadPartCopy" => Operation::Copy,
        "HeadObject" | "HeadBucket" | "GetObjectAttributes" => Operation::Head,
        "ListObjects"
        | "ListObjectsV2"
        | "ListObjectVersions"
        | "ListMultipartUploads"
        | "ListParts" => Operation::List,
        "GetObjectAcl"
        | "PutObjectAcl"
        | "GetObjectTagging"
        | "PutObjectTagging"
        | "DeleteObjectTagging"
        | "RestoreObject"
        | "GetObjectRetention"
        | "PutObjectRetention"
        | "GetObjectLegalHold"
        | "PutObjectLegalHold" => Operation::Other,
        _ => return None,
    })
}

/// HTTP status of an S3 error code (CloudTrail records no status).
fn error_status(code: &str) -> Option<i32> {
    Some(match code {
        "NotModified" => 304,
        "InvalidRequest" | "InvalidArgument" | "ExpiredToken" | "BadDigest" => 400,
        "AccessDenied"
        | "AllAccessDisabled"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "RequestTimeTooSkewed"
        | "InvalidObjectState" => 403,
        "NoSuchKey" | "NoSuchBucket" | "NoSuchUpload" | "NoSuchVersion" => 404,
        "MethodNotAllowed" => 405,
        "PreconditionFailed" => 412,
        "InvalidRange" => 416,
        "InternalError" => 500,
        "ServiceUnavailable" | "SlowDown" => 503,
        _ => return None,
    })
}

fn principal(v: &Value) -> (String, Option<String>) {
    let Some(uid) = v.get("userIdentity") else {
        return ("unknown".into(), None);
    };
    let kind = s(uid, &["type"]).unwrap_or("");
    let mut details = Vec::new();
    let principal = if let Some(arn) = s(uid, &["arn"]) {
        let (mut p, d) = resolve_aws_principal(arn);
        // The session issuer keeps the role's path, which the STS ARN drops.
        if d.is_some() {
            if let Some(issuer) = s(uid, &["sessionContext", "sessionIssuer", "arn"]) {
                if issuer.contains(":role/") {
                    p = issuer.to_string();
                }
            }
        }
        details.extend(d);
        p
    } else if kind == "AWSService" {
        s(uid, &["invokedBy"]).unwrap_or("aws-service").to_string()
    } else if kind == "AnonymousPrincipal" {
        "anonymous".to_string()
    } else if let Some(acct) = s(uid, &["accountId"]) {
        format!("arn:aws:iam::{acct}:root")
    } else {
        s(uid, &["principalId"]).unwrap_or("unknown").to_string()
    };
    if kind != "AWSService" {
        if let Some(via) = s(uid, &["invokedBy"]) {
            details.push(format!("via={via}"));
        }
    }
    let detail = (!details.is_empty()).then(|| details.join("; "));
    (principal, detail)
}

fn record_to_event(v: &Value, source: &str, n: u64) -> Result<Option<AccessEvent>, String> {
    if !v.is_object() {
        return Err("record is not a JSON object".into());
    }
    if s(v, &["eventSource"]) != Some("s3.amazonaws.com") {
        return Ok(None);
    }
    if let Some(cat) = s(v, &["eventCategory"]) {
        if cat != "Data" {
            return Ok(None);
        }
    }
    if v.get("managementEvent").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let api = s(v, &["eventName"]).ok_or("missing eventName")?;
    let explicit_data = s(v, &["eventCategory"]).is_some()
        || v.get("managementEvent").and_then(Value::as_bool) == Some(false);
    let operation = match s3_data_operation(api) {
        Some(op) => op,
        None if explicit_data => Operation::Other,
        None => return Ok(None),
    };
    let event_time = s(v, &["eventTime"])
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or("missing or invalid eventTime")?
        .with_timezone(&Utc);
    let params = v.get("requestParameters");
    let bucket = params
        .and_then(|p| s(p, &["bucketName"]))
        .or_else(|| {
            v.get("resources")?
                .as_array()?
                .iter()
                .filter(|r| s(r, &["type"]) == Some("AWS::S3::Bucket"))
                .find_map(|r| s(r, &["ARN"])?.strip_prefix("arn:aws:s3:::"))
        })
        .ok_or("missing requestParameters.bucketName")?;
    // CloudTrail keys are not percent-encoded.
    let key = params.and_then(|p| s(p, &["key"])).unwrap_or("");
    let key = key.trim_matches('/');
    let object_uri = if key.is_empty() {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}/{key}")
    };
    let extra = v.get("additionalEventData");
    let bytes = match operation {
        Operation::Write | Operation::Copy => num(extra.and_then(|e| e.get("bytesTransferredIn"))),
        _ => num(extra.and_then(|e| e.get("bytesTransferredOut"))),
    };
    let (principal, principal_detail) = principal(v);
    let error_code = s(v, &["errorCode"]).map(str::to_string);
    let event_id = match s(v, &["eventID"]) {
        Some(id) => stable_id(&[b"cloudtrail", id.as_bytes()]),
        None => stable_id(&[b"cloudtrail", source.as_bytes(), n.to_string().as_bytes()]),
    };
    Ok(Some(AccessEvent {
        event_id,
        event_time,
        principal,
        principal_detail,
        operation,
        api_operation: api.to_string(),
        object_uri,
        bytes,
        source_ip: s(v, &["sourceIPAddress"])
            .filter(|ip| is_ip(ip))
            .map(str::to_string),
        status: error_code.as_deref().and_then(error_status),
        error_code,
        log_format: LogFormat::CloudTrail,
        user_agent: s(v, &["userAgent"]).map(str::to_string),
        request_id: s(v, &["requestID"]).map(str::to_string),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> (Result<ParseReport, IndexError>, Vec<AccessEvent>) {
        let mut evs = Vec::new();
        let r = parse_cloudtrail(json.as_bytes(), "t.json", &mut |e| evs.push(e));
        (r, evs)
    }

    #[test]
    fn not_cloudtrail_is_an_error_without_content() {
        let (r, _) = run(r#"{"secret@example.com": 1}"#);
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("no \"Records\""), "{msg}");
        let (r, _) = run(r#"{"Records": [{"eventSource": "s3.amazonaws.com"}, {"x": secret}]}"#);
        let msg = r.unwrap_err().to_string();
        assert!(!msg.contains("secret"), "{msg}");
        assert!(msg.contains("after record 1"), "{msg}");
    }

    #[test]
    fn other_top_level_keys_are_ignored() {
        let (r, evs) = run(r#"{"x": [1, {"a": 2}], "Records": []}"#);
        assert_eq!(r.unwrap().lines, 0);
        assert!(evs.is_empty());
    }
}
