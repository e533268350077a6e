//! AWS Signature Version 4 for the one request lakewarden signs itself (STS
//! `AssumeRole`; object_store signs its own S3 requests). HMAC-SHA256 is
//! written out over `sha2` (RFC 2104, checked against RFC 4231 vectors), so
//! no `hmac` crate is compiled for it.

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// Everything but the unreserved characters of RFC 3986, as SigV4 encodes.
const SIGV4: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// HMAC-SHA256 (RFC 2104 with a 64-byte block).
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The keys a request is signed with.
pub(crate) struct SigningKeys<'a> {
    pub key_id: &'a str,
    pub secret_key: &'a str,
    pub session_token: Option<&'a str>,
}

/// A request to sign: `headers` are the ones to send besides `host`,
/// `x-amz-date` and `x-amz-security-token`, which [`sign`] adds.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub url: &'a url::Url,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// `host[:port]` as an HTTP client sends it (no port when it is the
/// scheme's default).
pub(crate) fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The signing key: HMAC chain over date, region, service.
pub(crate) fn signing_key(secret_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac_sha256(format!("AWS4{secret_key}").as_bytes(), date.as_bytes());
    let k = hmac_sha256(&k, region.as_bytes());
    let k = hmac_sha256(&k, service.as_bytes());
    hmac_sha256(&k, b"aws4_request")
}

/// The canonical request and its signed-headers list.
fn canonical_request(req: &Request, headers: &[(String, String)]) -> (String, String) {
    let path = match req.url.path() {
        "" => "/",
        p => p,
    };
    let mut query: Vec<(String, String)> = req
        .url
        .query_pairs()
        .map(|(k, v)| {
            (
                utf8_percent_encode(&k, SIGV4).to_string(),
                utf8_percent_encode(&v, SIGV4).to_string(),
            )
        })
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let request = format!(
        "{}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{}",
        req.method,
        sha256_hex(req.body)
    );
    (request, signed)
}

/// Sign `req` for `service` in `region` at `now`: the headers to send on top
/// of `req.headers` (`host`, `x-amz-date`, `x-amz-security-token` when there
/// is a session token, `authorization`).
pub(crate) fn sign(
    req: &Request,
    keys: &SigningKeys,
    region: &str,
    service: &str,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = now.format("%Y%m%d").to_string();
    let mut added = vec![
        ("host".to_string(), host_header(req.url)),
        ("x-amz-date".to_string(), amz_date.clone()),
    ];
    if let Some(t) = keys.session_token {
        added.push(("x-amz-security-token".to_string(), t.to_string()));
    }
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .chain(added.iter().cloned())
        .collect();
    headers.sort();
    let (canonical, signed) = canonical_request(req, &headers);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let key = signing_key(keys.secret_key, &date, region, service);
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    added.push((
        "authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            keys.key_id
        ),
    ));
    added
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        // Test case 1: a 20-byte key.
        assert_eq!(
            hex::encode(hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    /// The example of the AWS documentation ("Signature Version 4 signing
    /// process": `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`
    /// at 20150830T123600Z with the documentation's example keys).
    #[test]
    fn sigv4_matches_the_aws_documented_iam_list_users_example() {
        let url = url::Url::parse("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")
            .unwrap();
        let req = Request {
            method: "GET",
            url: &url,
            headers: &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body: b"",
        };
        let now = Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap();
        let keys = SigningKeys {
            key_id: "AKIDEXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            session_token: None,
        };

        let mut headers = vec![
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
            ("host".to_string(), "iam.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        headers.sort();
        let (canonical, signed) = canonical_request(&req, &headers);
        assert_eq!(signed, "content-type;host;x-amz-date");
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            hex::encode(signing_key(keys.secret_key, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let out = sign(&req, &keys, "us-east-1", "iam", now);
        let get = |k: &str| out.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(get("host"), Some("iam.amazonaws.com"));
        assert_eq!(get("x-amz-security-token"), None);
        assert_eq!(
            get("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            )
        );
    }

    #[test]
    fn session_token_is_signed_and_ports_are_kept_in_host() {
        let url = url::Url::parse("http://127.0.0.1:5000/").unwrap();
        assert_eq!(host_header(&url), "127.0.0.1:5000");
        let https = url::Url::parse("https://sts.eu-west-1.amazonaws.com").unwrap();
        assert_eq!(host_header(&https), "sts.eu-west-1.amazonaws.com");
        let req = Request {
            method: "POST",
            url: &url,
            headers: &[],
            body: b"Action=AssumeRole",
        };
        let keys = SigningKeys {
            key_id: "AKID",
            secret_key: "s",
            session_token: Some("TOKEN"),
        };
        let out = sign(&req, &keys, "us-east-1", "sts", Utc::now());
        let auth = &out.iter().find(|(n, _)| n == "authorization").unwrap().1;
        assert!(auth.contains("/us-east-1/sts/aws4_request"), "{auth}");
        assert!(
            auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
            "{auth}"
        );
        assert!(out
            .iter()
            .any(|(n, v)| n == "x-amz-security-token" && v == "TOKEN"));
    }
}
