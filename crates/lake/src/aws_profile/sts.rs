//! STS `AssumeRole`, by hand: a form POST
//! (`Action=AssumeRole&Version=2011-06-15&RoleArn=…&RoleSessionName=…`)
//! signed with SigV4 for service `sts` with the source credentials, over the
//! reqwest/rustls client object_store already builds; the XML answer's
//! `Credentials` become the next credentials of the chain.
//!
//! The endpoint is chosen in `store.rs`: `AWS_ENDPOINT_URL_STS`, else the
//! S3 endpoint override (`AWS_ENDPOINT_URL` / `AWS_ENDPOINT`, or the
//! profile's `endpoint_url`: S3-compatible test servers such as moto serve
//! STS on the same port), else `https://sts.{region}.amazonaws.com`.

use super::sigv4::{sign, Request, SigningKeys};
use super::RoleStep;
use crate::error::{sanitize, LakeError};
use chrono::{DateTime, Utc};
use object_store::aws::AwsCredential;
use serde::Deserialize;
use std::time::Duration;

/// Tries per AssumeRole (5xx, throttling and connection failures are tried
/// again; an answer such as AccessDenied is not).
const ATTEMPTS: u32 = 3;

/// Connect timeout of an STS request.
pub(crate) const STS_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Timeout of one STS request, answer included.
pub(crate) const STS_TIMEOUT: Duration = Duration::from_secs(30);

/// Where STS is, and the region its requests are signed for.
#[derive(Debug, Clone)]
pub(crate) struct StsEndpoint {
    pub url: url::Url,
    pub region: String,
}

impl StsEndpoint {
    /// `https://sts.{region}.amazonaws.com` (`.amazonaws.com.cn` in China).
    pub(crate) fn regional(region: &str) -> StsEndpoint {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        StsEndpoint {
            url: url::Url::parse(&format!("https://sts.{region}.{suffix}"))
                .unwrap_or_else(|_| url::Url::parse("https://sts.amazonaws.com").unwrap()),
            region: region.to_string(),
        }
    }
}

/// Temporary credentials and when they expire (`AwsCredential`'s `Debug`
/// hides the secret and the token).
#[derive(Debug)]
pub(crate) struct Temporary {
    pub credential: AwsCredential,
    pub expiration: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResponse {
    assume_role_result: AssumeRoleResult,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResult {
    credentials: XmlCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XmlCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorResponse {
    error: XmlError,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XmlError {
    code: String,
    message: Option<String>,
}

/// The credentials of an `AssumeRoleResponse`. The message of an error
/// never quotes the document (it holds secrets).
pub(crate) fn parse_assume_role_response(xml: &str) -> Result<Temporary, String> {
    let r: AssumeRoleResponse = quick_xml::de::from_str(xml).map_err(|_| {
        "the answer is not an AssumeRoleResponse with Credentials (AccessKeyId, \
         SecretAccessKey, SessionToken, Expiration)"
            .to_string()
    })?;
    let c = r.assume_role_result.credentials;
    let expiration = DateTime::parse_from_rfc3339(c.expiration.trim())
        .map_err(|_| "the answer's Expiration is not an ISO 8601 time".to_string())?
        .with_timezone(&Utc);
    Ok(Temporary {
        credential: AwsCredential {
            key_id: c.access_key_id.trim().to_string(),
            secret_key: c.secret_access_key.trim().to_string(),
            token: Some(c.session_token.trim().to_string()),
        },
        expiration,
    })
}

/// `Code: Message` of an STS `ErrorResponse` (sanitised, one line).
pub(crate) fn parse_error_response(xml: &str) -> Option<String> {
    let r: ErrorResponse = quick_xml::de::from_str(xml).ok()?;
    let code = sanitize(&r.error.code);
    Some(match r.error.message {
        Some(m) if !m.trim().is_empty() => format!("{code}: {}", sanitize(&m)),
        _ => code,
    })
}

/// The form body of the request.
pub(crate) fn request_body(step: &RoleStep, session_name: &str) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", "AssumeRole")
        .append_pair("Version", "2011-06-15")
        .append_pair("RoleArn", &step.role_arn)
        .append_pair("RoleSessionName", session_name);
    if let Some(id) = &step.external_id {
        form.append_pair("ExternalId", id);
    }
    if let Some(d) = step.duration_seconds {
        form.append_pair("DurationSeconds", &d.to_string());
    }
    form.finish()
}

/// Assume `step`'s role with `source`. `selected` is the profile the scan
/// asked for (errors name it, and the profile that names the role).
pub(crate) async fn assume_role(
    http: &reqwest::Client,
    endpoint: &StsEndpoint,
    source: &AwsCredential,
    step: &RoleStep,
    selected: &str,
) -> Result<Temporary, LakeError> {
    let fail = |why: String| {
        let whose = if step.profile == selected {
            String::new()
        } else {
            format!(" (from source profile {})", step.profile)
        };
        LakeError::AwsProfile {
            profile: selected.to_string(),
            reason: format!(
                "AssumeRole of {}{whose} at {} failed: {why}",
                step.role_arn, endpoint.url
            ),
        }
    };
    let session_name = step
        .session_name
        .clone()
        .unwrap_or_else(|| format!("lakewarden-{}", Utc::now().timestamp()));
    let body = request_body(step, &session_name);
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        let signed = sign(
            &Request {
                method: "POST",
                url: &endpoint.url,
                headers: &[("content-type", content_type)],
                body: body.as_bytes(),
            },
            &SigningKeys {
                key_id: &source.key_id,
                secret_key: &source.secret_key,
                session_token: source.token.as_deref(),
            },
            &endpoint.region,
            "sts",
            Utc::now(),
        );
        let mut req = http
            .post(endpoint.url.clone())
            .header("content-type", content_type)
            .body(body.clone());
        for (k, v) in &signed {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                last = if e.is_timeout() {
                    "timed out".to_string()
                } else {
                    format!("cannot connect ({})", sanitize(&without_url(&e)))
                };
                continue;
            }
        };
        let status = resp.status();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(_) => {
                last = format!("HTTP {}: the answer could not be read", status.as_u16());
                continue;
            }
        };
        if status.is_success() {
            return parse_assume_role_response(&text).map_err(fail);
        }
        let detail = parse_error_response(&text)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
        last = format!("HTTP {} {detail}", status.as_u16());
        let throttled = detail.starts_with("Throttling") || detail.starts_with("RequestLimit");
        if !(status.is_server_error() || status.as_u16() == 429 || throttled) {
            break;
        }
    }
    Err(fail(last))
}

/// A reqwest error's message without the URL it repeats.
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(u) = e.url() {
        msg = msg
            .replace(&format!(" for url ({u})"), "")
            .replace(&format!(" ({u})"), "")
            .replace(u.as_str(), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer of the STS API reference's AssumeRole example.
    const ANSWER: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>
       AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW
       LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGd
      </SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>"#;

    #[test]
    fn assume_role_answer_gives_the_credentials_and_expiration() {
        let t = parse_assume_role_response(ANSWER).unwrap();
        assert_eq!(t.credential.key_id, "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(
            t.credential.secret_key,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        );
        assert!(t
            .credential
            .token
            .as_deref()
            .unwrap()
            .starts_with("AQoDYXdzEPT//"));
        assert_eq!(t.expiration.to_rfc3339(), "2019-11-09T13:34:41+00:00");
        // Fractional seconds, as some servers write them.
        let frac = ANSWER.replace("13:34:41Z", "13:34:41.123Z");
        assert!(parse_assume_role_response(&frac).is_ok());
    }

    #[test]
    fn bad_answers_say_what_is_missing_without_quoting_them() {
        let no_token = ANSWER
            .replace("<SessionToken>", "<Other>")
            .replace("</SessionToken>", "</Other>");
        let e = parse_assume_role_response(&no_token).unwrap_err();
        assert!(e.contains("Credentials"), "{e}");
        assert!(!e.contains("wJalr") && !e.contains("ASIA"), "{e}");
        let bad_time = ANSWER.replace("2019-11-09T13:34:41Z", "tomorrow");
        let e = parse_assume_role_response(&bad_time).unwrap_err();
        assert!(e.contains("Expiration"), "{e}");
        assert!(parse_assume_role_response("not xml <<<").is_err());
    }

    #[test]
    fn error_answers_give_code_and_message() {
        let xml = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole</Message>
  </Error>
  <RequestId>c6104cbe</RequestId>
</ErrorResponse>"#;
        assert_eq!(
            parse_error_response(xml).as_deref(),
            Some(
                "AccessDenied: User: arn:aws:iam::123456789012:user/x is not authorized to \
                 perform: sts:AssumeRole"
            )
        );
        assert_eq!(parse_error_response(ANSWER), None);
    }

    #[test]
    fn request_body_is_the_documented_form() {
        let step = RoleStep {
            profile: "p".into(),
            role_arn: "arn:aws:iam::123456789012:role/lake-reader".into(),
            external_id: Some("ext 1".into()),
            session_name: None,
            duration_seconds: Some(900),
        };
        assert_eq!(
            request_body(&step, "s"),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Flake-reader\
             &RoleSessionName=s&ExternalId=ext+1&DurationSeconds=900"
        );
    }

    #[test]
    fn regional_endpoints() {
        assert_eq!(
            StsEndpoint::regional("eu-west-1").url.as_str(),
            "https://sts.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            StsEndpoint::regional("cn-north-1").url.as_str(),
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
    }
}
