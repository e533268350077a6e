//! The object_store [`CredentialProvider`] of a resolved profile: base
//! credentials (static keys, `credential_process`, the environment), then
//! each role of the chain assumed through STS. The result is cached until
//! shortly before it expires (5 minutes, or half its lifetime when that is
//! shorter), then fetched again; if that early refresh fails, the cached
//! credentials serve until they really expire (a warning is logged and the
//! refresh is tried again 30 s later).

use super::sts::{assume_role, StsEndpoint};
use super::{BaseCredentials, ResolvedProfile};
use crate::error::LakeError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use object_store::aws::AwsCredential;
use object_store::CredentialProvider;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Refresh this long before credentials expire.
pub(crate) const REFRESH_EARLY: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// After a failed early refresh, try again after this.
const RETRY_REFRESH: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// A `credential_process` that has not exited by then is killed.
pub(crate) const PROCESS_TIMEOUT: Duration = Duration::from_secs(120);
/// At most this much of a process's output is read.
const PROCESS_OUTPUT_LIMIT: u64 = 1 << 20;

struct Cached {
    credential: Arc<AwsCredential>,
    expires: Option<DateTime<Utc>>,
    refresh_at: Option<DateTime<Utc>>,
}

/// Credentials of one resolved profile, for one store.
pub(crate) struct ProfileProvider {
    profile: ResolvedProfile,
    sts: StsEndpoint,
    /// The STS client; `None` when the chain assumes no role.
    http: Option<reqwest::Client>,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for ProfileProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileProvider")
            .field("profile", &self.profile.name)
            .field("base", &self.profile.base)
            .field(
                "roles",
                &self
                    .profile
                    .roles
                    .iter()
                    .map(|r| r.role_arn.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("sts", &self.sts.url.as_str())
            .finish()
    }
}

/// When to fetch again credentials fetched at `now` that expire at `expires`.
pub(crate) fn refresh_at(now: DateTime<Utc>, expires: DateTime<Utc>) -> DateTime<Utc> {
    let lifetime = expires - now;
    expires - REFRESH_EARLY.min(lifetime / 2)
}

impl ProfileProvider {
    pub(crate) fn new(
        profile: ResolvedProfile,
        sts: StsEndpoint,
        http: Option<reqwest::Client>,
    ) -> ProfileProvider {
        ProfileProvider {
            profile,
            sts,
            http,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    fn error(&self, reason: impl Into<String>) -> LakeError {
        LakeError::AwsProfile {
            profile: self.profile.name.clone(),
            reason: reason.into(),
        }
    }

    /// Fetch the chain's credentials and when they expire (`None`: never).
    async fn fetch(&self) -> Result<(AwsCredential, Option<DateTime<Utc>>), LakeError> {
        let selected = self.profile.name.clone();
        let (mut credential, mut expires) = match &self.profile.base {
            BaseCredentials::Static {
                key_id,
                secret_key,
                token,
                ..
            } => (
                AwsCredential {
                    key_id: key_id.clone(),
                    secret_key: secret_key.clone(),
                    token: token.clone(),
                },
                None,
            ),
            BaseCredentials::Environment { profile } => {
                let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
                match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                    (Some(key_id), Some(secret_key)) => (
                        AwsCredential {
                            key_id,
                            secret_key,
                            token: var("AWS_SESSION_TOKEN"),
                        },
                        None,
                    ),
                    _ => {
                        return Err(self.error(format!(
                            "{}credential_source = Environment but AWS_ACCESS_KEY_ID / \
                             AWS_SECRET_ACCESS_KEY are not set",
                            super::in_chain(&selected, profile)
                        )))
                    }
                }
            }
            BaseCredentials::Process { profile, command } => {
                let (profile, command) = (profile.clone(), command.clone());
                let sel = selected.clone();
                tokio::task::spawn_blocking(move || {
                    run_credential_process(&sel, &profile, &command, PROCESS_TIMEOUT)
                })
                .await
                .map_err(|_| self.error("credential_process task failed"))??
            }
        };
        for step in &self.profile.roles {
            let Some(http) = &self.http else {
                return Err(self.error("no HTTP client for STS"));
            };
            let t = assume_role(http, &self.sts, &credential, step, &selected).await?;
            tracing::debug!(
                profile = %selected,
                role = %step.role_arn,
                expires = %t.expiration,
                "assumed role"
            );
            credential = t.credential;
            expires = Some(t.expiration);
        }
        Ok((credential, expires))
    }
}

#[async_trait]
impl CredentialProvider for ProfileProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut cache = self.cache.lock().await;
        let now = Utc::now();
        if let Some(c) = cache.as_ref() {
            if c.refresh_at.is_none_or(|r| now < r) {
                return Ok(Arc::clone(&c.credential));
            }
        }
        match self.fetch().await {
            Ok((credential, expires)) => {
                let credential = Arc::new(credential);
                *cache = Some(Cached {
                    credential: Arc::clone(&credential),
                    expires,
                    refresh_at: expires.map(|e| refresh_at(now, e)),
                });
                Ok(credential)
            }
            Err(e) => {
                if let Some(c) = cache.as_mut() {
                    if c.expires.is_none_or(|x| now < x) {
                        tracing::warn!(
                            "{e}; the current credentials serve until they expire{}",
                            c.expires
                                .map(|x| format!(" at {}", x.to_rfc3339()))
                                .unwrap_or_default()
                        );
                        c.refresh_at = Some(now + RETRY_REFRESH);
                        return Ok(Arc::clone(&c.credential));
                    }
                }
                Err(object_store::Error::Generic {
                    store: "S3",
                    source: Box::new(e),
                })
            }
        }
    }
}

/// Run `command` (through `sh -c`, as the AWS SDKs do) for the profile
/// `profile`; `selected` is the profile the scan asked for. Its standard
/// error is discarded and its output never reaches a message: both can hold
/// secrets.
pub(crate) fn run_credential_process(
    selected: &str,
    profile: &str,
    command: &str,
    timeout: Duration,
) -> Result<(AwsCredential, Option<DateTime<Utc>>), LakeError> {
    let fail = |why: String| LakeError::AwsProfile {
        profile: selected.to_string(),
        reason: if profile == selected {
            format!("credential_process {why}")
        } else {
            format!("credential_process of source profile {profile} {why}")
        },
    };
    let (shell, flag) = if cfg!(windows) {
        ("cmd", "/C")
    } else {
        ("sh", "-c")
    };
    let mut child = Command::new(shell)
        .arg(flag)
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("could not be started: {e}")))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stdout)
            .take(PROCESS_OUTPUT_LIMIT)
            .read_to_end(&mut out);
        // Drain the rest so the process is not blocked on a full pipe.
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        out
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "did not finish within {timeout:?} and was stopped"
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(fail(format!("could not be waited for: {e}"))),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(fail(format!(
            "failed ({status}; its output is not shown: run it yourself to see why)"
        )));
    }
    parse_process_output(&out, Utc::now()).map_err(|why| fail(why.to_string()))
}

/// The documented credential_process JSON (`Version` 1). Messages name the
/// field that is wrong, never a value.
pub(crate) fn parse_process_output(
    out: &[u8],
    now: DateTime<Utc>,
) -> Result<(AwsCredential, Option<DateTime<Utc>>), &'static str> {
    use serde_json::Value;
    let v: Value = serde_json::from_slice(out)
        .map_err(|_| "printed no JSON (expected {Version: 1, AccessKeyId, SecretAccessKey, …})")?;
    let o = v
        .as_object()
        .ok_or("printed JSON that is not an object (expected {Version: 1, AccessKeyId, SecretAccessKey, …})")?;
    match o.get("Version") {
        Some(n) if n.as_i64() == Some(1) => {}
        Some(_) => return Err("printed a Version other than 1"),
        None => return Err("printed no Version (must be 1)"),
    }
    let text = |k: &str| o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let key_id = text("AccessKeyId").ok_or("printed no AccessKeyId")?;
    let secret_key = text("SecretAccessKey").ok_or("printed no SecretAccessKey")?;
    let token = match o.get("SessionToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("printed a SessionToken that is not a string"),
    };
    let expires = match o.get("Expiration") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            DateTime::parse_from_rfc3339(s.trim())
                .map_err(|_| "printed an Expiration that is not an ISO 8601 time")?
                .with_timezone(&Utc),
        ),
        Some(_) => return Err("printed an Expiration that is not an ISO 8601 time"),
    };
    if expires.is_some_and(|e| e <= now) {
        return Err("printed credentials that have already expired");
    }
    Ok((
        AwsCredential {
            key_id: key_id.to_string(),
            secret_key: secret_key.to_string(),
            token,
        },
        expires,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn process_json_with_and_without_expiration() {
        let (c, e) = parse_process_output(
            br#"{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "s3cr3t",
                 "SessionToken": "tok", "Expiration": "2030-01-01T13:00:00Z"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(c.key_id, "ASIAPROC");
        assert_eq!(c.secret_key, "s3cr3t");
        assert_eq!(c.token.as_deref(), Some("tok"));
        assert_eq!(e, Some(Utc.with_ymd_and_hms(2030, 1, 1, 13, 0, 0).unwrap()));
        let (c, e) = parse_process_output(
            br#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s"}"#,
            now(),
        )
        .unwrap();
        assert_eq!((c.token, e), (None, None));
    }

    #[test]
    fn bad_process_json_names_the_field_not_the_value() {
        let cases: &[(&[u8], &str)] = &[
            (b"AKIA-not-json s3cr3t", "printed no JSON"),
            (b"[1]", "not an object"),
            (br#"{"AccessKeyId":"AKIA","SecretAccessKey":"s3cr3t"}"#, "no Version"),
            (br#"{"Version":2,"AccessKeyId":"AKIA","SecretAccessKey":"s3cr3t"}"#, "other than 1"),
            (br#"{"Version":1,"SecretAccessKey":"s3cr3t"}"#, "no AccessKeyId"),
            (br#"{"Version":1,"AccessKeyId":"AKIA"}"#, "no SecretAccessKey"),
            (
                br#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s3cr3t","Expiration":"soon"}"#,
                "not an ISO 8601 time",
            ),
            (
                br#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s3cr3t","Expiration":"2029-01-01T00:00:00Z"}"#,
                "already expired",
            ),
        ];
        for (out, want) in cases {
            let e = parse_process_output(out, now()).unwrap_err();
            assert!(e.contains(want), "{e} (wanted {want})");
            assert!(!e.contains("s3cr3t") && !e.contains("AKIA"), "{e}");
        }
    }

    #[test]
    fn credential_process_runs_a_command_and_hides_its_output_on_failure() {
        let cmd = r#"echo '{"Version": 1, "AccessKeyId": "AKIAPROCESS", "SecretAccessKey": "procsecret", "SessionToken": "proctoken", "Expiration": "2999-01-01T00:00:00Z"}'"#;
        let (c, e) = run_credential_process("p", "p", cmd, Duration::from_secs(10)).unwrap();
        assert_eq!(c.key_id, "AKIAPROCESS");
        assert_eq!(c.token.as_deref(), Some("proctoken"));
        assert!(e.is_some());

        let e = run_credential_process(
            "sel",
            "src",
            "echo AKIALEAKED; echo leaked-secret >&2; exit 3",
            Duration::from_secs(10),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("AWS profile sel: credential_process of source profile src failed ("),
            "{e}"
        );
        assert!(e.contains("3"), "{e}");
        assert!(!e.contains("LEAKED") && !e.contains("leaked"), "{e}");

        let e = run_credential_process("p", "p", "echo not-json-secret", Duration::from_secs(10))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "AWS profile p: credential_process printed no JSON (expected {Version: 1, AccessKeyId, SecretAccessKey, …})"
        );

        let e = run_credential_process("p", "p", "sleep 5", Duration::from_millis(200))
            .unwrap_err()
            .to_string();
        assert!(e.contains("did not finish within 200ms"), "{e}");
    }

    #[test]
    fn refresh_comes_five_minutes_early_or_at_half_life() {
        let t = now();
        assert_eq!(
            refresh_at(t, t + chrono::TimeDelta::hours(1)),
            t + chrono::TimeDelta::minutes(55)
        );
        assert_eq!(
            refresh_at(t, t + chrono::TimeDelta::minutes(4)),
            t + chrono::TimeDelta::minutes(2)
        );
    }

    /// A provider whose base is a credential_process that counts its runs:
    /// credentials far from expiry are served from the cache, ones inside
    /// the refresh window are fetched again.
    #[tokio::test]
    async fn cached_until_the_refresh_window() {
        let dir = tempfile::tempdir().unwrap();
        let count = dir.path().join("count");
        let expiry = dir.path().join("expiry");
        std::fs::write(&expiry, "2999-01-01T00:00:00Z").unwrap();
        let cmd = format!(
            r#"echo x >> '{c}'; n=$(wc -l < '{c}' | tr -d ' '); printf '{{"Version":1,"AccessKeyId":"AKIA%s","SecretAccessKey":"s","Expiration":"%s"}}' "$n" "$(cat '{e}')""#,
            c = count.display(),
            e = expiry.display()
        );
        let profile = ResolvedProfile {
            name: "p".into(),
            region: None,
            endpoint_url: None,
            ignore_endpoint_url: false,
            base: BaseCredentials::Process {
                profile: "p".into(),
                command: cmd,
            },
            roles: vec![],
        };
        let p = ProfileProvider::new(profile, StsEndpoint::regional("us-east-1"), None);
        assert_eq!(p.get_credential().await.unwrap().key_id, "AKIA1");
        assert_eq!(p.get_credential().await.unwrap().key_id, "AKIA1");
        // Next credentials expire in 2 minutes: inside the window, so every
        // call fetches again.
        let soon = (Utc::now() + chrono::TimeDelta::minutes(2)).to_rfc3339();
        std::fs::write(&expiry, soon).unwrap();
        p.cache.lock().await.as_mut().unwrap().refresh_at = Some(Utc::now());
        assert_eq!(p.get_credential().await.unwrap().key_id, "AKIA2");
        // Refreshed at half life (1 minute from now): still cached.
        assert_eq!(p.get_credential().await.unwrap().key_id, "AKIA2");
        // A failing refresh keeps the unexpired credentials.
        std::fs::write(&expiry, "garbage").unwrap();
        p.cache.lock().await.as_mut().unwrap().refresh_at = Some(Utc::now());
        assert_eq!(p.get_credential().await.unwrap().key_id, "AKIA2");
        assert_eq!(std::fs::read_to_string(&count).unwrap().lines().count(), 3);
    }
}
