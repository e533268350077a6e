//! Azure Storage resource logs (`StorageBlobLogs`, as diagnostic settings
//! write them to a storage account: one JSON object per line). A line holding
//! `{"records":[…]}` (the Event Hubs shape) is expanded.
//!
//! Principal: `identity.requester.objectId` (OAuth), with the UPN or app id as
//! detail; for other identity types (`AccountKey`, `SAS`, `Anonymous`, …) the
//! type, with the token hash as detail.
//!
//! Event id: SHA-256 of `azure` and the raw line (plus the index within a
//! `records` array).

use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::event::{
    is_ip, json_i64 as num, json_str as s, stable_id, AccessEvent, LogFormat, Operation,
    ParseReport,
};
use crate::gz::for_each_json_line;
use crate::uri::azure_url_to_abfss;

/// Parse Azure Storage blob logs, calling `on_event` for every blob event.
pub fn parse_azure_storage_log(
    reader: impl BufRead,
    _source: &str,
    on_event: &mut dyn FnMut(AccessEvent),
) -> ParseReport {
    let mut report = ParseReport::default();
    for_each_json_line(reader, &mut report, |n, line, v, report| {
        if let Some(records) = v.get("records").and_then(Value::as_array) {
            for (i, r) in records.iter().enumerate() {
                let idx = i.to_string();
                handle(
                    record_to_event(r, &[b"azure", line, idx.as_bytes()]),
                    n,
                    report,
                    on_event,
                );
            }
        } else {
            handle(record_to_event(&v, &[b"azure", line]), n, report, on_event);
        }
    });
    report
}

fn handle(
    r: Result<Option<AccessEvent>, String>,
    n: u64,
    report: &mut ParseReport,
    on_event: &mut dyn FnMut(AccessEvent),
) {
    match r {
        Ok(Some(ev)) => {
            report.events += 1;
            on_event(ev);
        }
        Ok(None) => report.skipped += 1,
        Err(reason) => report.malformed(n, reason),
    }
}

/// Blob and ADLS Gen2 (dfs) operation names → operation.
fn azure_operation(name: &str) -> Operation {
    match name {
        "GetBlob" | "ReadFile" | "QueryBlobContents" => Operation::Read,
        "PutBlob" | "PutBlock" | "PutBlockList" | "AppendBlock" | "PutPage" | "AppendFile"
        | "FlushFile" | "CreatePathFile" => Operation::Write,
        "DeleteBlob" | "DeleteFile" | "DeleteDirectory" | "DeletePath" => Operation::Delete,
        "ListBlobs" | "ListContainers" | "ListFilesystemDir" | "ListFilesystemFile"
        | "ListFilesystems" | "ListPaths" => Operation::List,
        "GetBlobProperties"
        | "GetBlobMetadata"
        | "GetPathProperties"
        | "GetFileProperties"
        | "GetContainerProperties" => Operation::Head,
        "CopyBlob"
        | "CopyBlobSource"
        | "CopyBlobDestination"
        | "PutBlobFromURL"
        | "PutBlockFromURL"
        | "PutPageFromURL"
        | "AppendBlockFromURL"
        | "StartCopyFromURL"
        | "CopyFromURL" => Operation::Copy,
        _ => Operation::Other,
    }
}

/// `1.2.3.4:5678` → `1.2.3.4`; `[::1]:5678` → `::1`; a bare IPv6 stays.
fn strip_port(s: &str) -> Option<String> {
    if let Some(rest) = s.strip_prefix('[') {
        let ip = rest.split(']').next()?;
        return is_ip(ip).then(|| ip.to_string());
    }
    if is_ip(s) {
        return Some(s.to_string());
    }
    let (ip, port) = s.rsplit_once(':')?;
    (port.bytes().all(|b| b.is_ascii_digit()) && is_ip(ip)).then(|| ip.to_string())
}

fn record_to_event(v: &Value, id_parts: &[&[u8]]) -> Result<Option<AccessEvent>, String> {
    if !v.is_object() {
        return Err("record is not a JSON object".into());
    }
    let props = v.get("properties");
    let service = props.and_then(|p| s(p, &["serviceType"]));
    if matches!(service, Some(t) if t != "blob" && t != "dfs") {
        return Ok(None);
    }
    let api = s(v, &["operationName"]).ok_or("missing operationName")?;
    let event_time = s(v, &["time"])
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or("missing or invalid time")?
        .with_timezone(&Utc);
    let uri = s(v, &["uri"]).ok_or("missing uri")?;
    if !(uri.starts_with("https://") || uri.starts_with("http://")) {
        return Err("uri is not an http(s) URL".into());
    }
    let operation = azure_operation(api);
    let status = num(v.get("statusCode"))
        .map(|c| i32::try_from(c).map_err(|_| "statusCode out of range"))
        .transpose()?;
    let bytes = match operation {
        Operation::Write => num(props.and_then(|p| p.get("requestBodySize"))),
        _ => num(props.and_then(|p| p.get("responseBodySize"))),
    };
    let identity = v.get("identity");
    let requester = identity.and_then(|i| i.get("requester"));
    let (principal, principal_detail) = match requester.and_then(|r| s(r, &["objectId"])) {
        Some(oid) => {
            let detail = requester
                .and_then(|r| s(r, &["upn"]).or_else(|| s(r, &["appId"])))
                .map(str::to_string);
            (oid.to_string(), detail)
        }
        None => {
            let kind = identity
                .and_then(|i| s(i, &["type"]))
                .unwrap_or("Anonymous");
            let detail = identity
                .and_then(|i| s(i, &["tokenHash"]))
                .map(str::to_string);
            let p = if kind.eq_ignore_ascii_case("anonymous") {
                "anonymous".to_string()
            } else {
                kind.to_string()
            };
            (p, detail)
        }
    };
    let error_code = status
        .filter(|&c| c >= 400)
        .and_then(|_| s(v, &["statusText"]))
        .map(str::to_string);
    Ok(Some(AccessEvent {
        event_id: stable_id(id_parts),
        event_time,
        principal,
        principal_detail,
        operation,
        api_operation: api.to_string(),
        object_uri: azure_url_to_abfss(uri),
        bytes,
        source_ip: s(v, &["callerIpAddress"]).and_then(strip_port),
        status,
        error_code,
        log_format: LogFormat::Azure,
        user_agent: props
            .and_then(|p| s(p, &["userAgentHeader"]))
            .map(str::to_string),
        request_id: s(v, &["correlationId"]).map(str::to_string),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("10.1.2.3:50012").as_deref(), Some("10.1.2.3"));
        assert_eq!(
            strip_port("[2001:db8::1]:443").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(strip_port("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(strip_port("not-an-ip:1"), None);
    }

    #[test]
    fn fractional_seconds_with_seven_digits() {
        let t = DateTime::parse_from_rfc3339("2019-02-28T19:10:21.2123117Z").unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 212_311_700);
    }
}
