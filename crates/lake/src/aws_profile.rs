//! AWS named profiles, read the way the AWS CLI and SDKs read them, without
//! the AWS SDK: object_store 0.13 takes credentials from the environment
//! only, so this module turns a profile of the shared files into an
//! object_store [`CredentialProvider`](object_store::CredentialProvider)
//! (`provider.rs`), assuming roles through STS itself (`sts.rs`, signed by
//! `sigv4.rs`).
//!
//! Files: the config file (`AWS_CONFIG_FILE`, default `~/.aws/config`) and
//! the credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default
//! `~/.aws/credentials`); either may be missing. INI as the SDKs parse it:
//! in the config file a profile is `[profile NAME]` or `[default]`
//! (`[profile default]` wins over `[default]`; `[sso-session …]`,
//! `[services …]` and unprefixed `[NAME]` sections are not profiles); in the
//! credentials file it is `[NAME]` (`[profile NAME]` there is ignored, as
//! the SDKs do). Lines starting with `#` or `;` are comments; in a value,
//! `#` / `;` after whitespace start one. Setting names are case-insensitive.
//! Indented lines continue the setting above (nested blocks such as `s3 =`)
//! and never become settings of their own. A profile defined in both files
//! is merged, the credentials file winning key by key.
//!
//! What a profile can give ([`ProfileFiles::resolve`]):
//!
//! * static keys: `aws_access_key_id`, `aws_secret_access_key`,
//!   `aws_session_token`;
//! * `credential_process`: a command printing the documented JSON
//!   (`{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
//!   "Expiration"}`), run again before the expiration;
//! * `role_arn` with `source_profile` (chained: the source profile may
//!   assume a role itself; a source profile with static keys ends the chain
//!   even if it has a `role_arn`, and a profile may name itself to use its
//!   own keys, as in the SDKs; a cycle is an error) or with
//!   `credential_source = Environment` (`AWS_ACCESS_KEY_ID` /
//!   `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`), plus `external_id`,
//!   `role_session_name`, `duration_seconds`;
//! * `region` and `endpoint_url` (the global one; per-service `services`
//!   blocks are not read).
//!
//! Not supported, each a one-line error naming the profile: SSO profiles
//! (`sso_session`, `sso_start_url`, …; the error suggests
//! `aws configure export-credentials --format process` as a
//! `credential_process`), `web_identity_token_file` in a profile (the
//! `AWS_WEB_IDENTITY_TOKEN_FILE` / `AWS_ROLE_ARN` environment works),
//! `mfa_serial` (nothing here can prompt for a code), and `credential_source`
//! other than `Environment`.
//!
//! Errors never quote a line of the files or a secret; they name the
//! profile, the file and the line number.

pub(crate) mod provider;
pub(crate) mod sigv4;
pub(crate) mod sts;

use crate::error::LakeError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One profile's settings, names lower-cased.
type Settings = BTreeMap<String, String>;

/// The profiles of the shared config and credentials files, merged.
#[derive(Clone)]
pub struct ProfileFiles {
    config_path: PathBuf,
    credentials_path: PathBuf,
    profiles: BTreeMap<String, Settings>,
}

impl std::fmt::Debug for ProfileFiles {
    /// Paths and profile names only: the settings hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileFiles")
            .field("config_path", &self.config_path)
            .field("credentials_path", &self.credentials_path)
            .field("profiles", &self.profiles.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Where a profile's credentials come from, before any role is assumed.
#[derive(Clone, PartialEq, Eq)]
pub enum BaseCredentials {
    /// Keys written in the profile named `profile`.
    Static {
        profile: String,
        key_id: String,
        secret_key: String,
        token: Option<String>,
    },
    /// `credential_process` of the profile named `profile`.
    Process { profile: String, command: String },
    /// `credential_source = Environment`: the `AWS_*` key variables.
    Environment { profile: String },
}

impl std::fmt::Debug for BaseCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaseCredentials::Static {
                profile, key_id, ..
            } => f
                .debug_struct("Static")
                .field("profile", profile)
                .field("key_id", key_id)
                .finish_non_exhaustive(),
            BaseCredentials::Process { profile, .. } => f
                .debug_struct("Process")
                .field("profile", profile)
                .finish_non_exhaustive(),
            BaseCredentials::Environment { profile } => f
                .debug_struct("Environment")
                .field("profile", profile)
                .finish(),
        }
    }
}

/// One `AssumeRole` of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile that names the role.
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub duration_seconds: Option<u32>,
}

/// A profile resolved into where its credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedProfile {
    pub name: String,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// `ignore_configured_endpoint_urls = true` in the profile.
    pub ignore_endpoint_url: bool,
    pub base: BaseCredentials,
    /// Roles to assume in order: the first with the base credentials, each
    /// next one with the credentials of the one before; the last is the
    /// selected profile's own role.
    pub roles: Vec<RoleStep>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Config,
    Credentials,
}

/// `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE` (what older AWS CLIs read),
/// when set and not empty.
pub fn profile_from_env() -> Option<String> {
    ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

fn profile_error(profile: &str, reason: impl Into<String>) -> LakeError {
    LakeError::AwsProfile {
        profile: profile.to_string(),
        reason: reason.into(),
    }
}

/// A file path from the environment (`~/` expanded), else `~/.aws/NAME`.
fn file_path(var: &str, name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
        Some(v) => match (v.strip_prefix("~/"), &home) {
            (Some(rest), Some(h)) => h.join(rest),
            _ => PathBuf::from(v),
        },
        None => home
            .unwrap_or_else(|| PathBuf::from("~"))
            .join(".aws")
            .join(name),
    }
}

impl ProfileFiles {
    /// Read the files named by the environment (a missing file is empty).
    /// `profile` is only for the error message.
    pub fn load(profile: &str) -> Result<ProfileFiles, LakeError> {
        let config_path = file_path("AWS_CONFIG_FILE", "config");
        let credentials_path = file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let read = |p: &Path| match std::fs::read_to_string(p) {
            Ok(s) => Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(profile_error(
                profile,
                format!("cannot read {}: {e}", p.display()),
            )),
        };
        let config = read(&config_path)?;
        let credentials = read(&credentials_path)?;
        Self::parse_with_paths(&config, &credentials, config_path, credentials_path)
            .map_err(|e| profile_error(profile, e))
    }

    /// Parse the two files' text (tests, and [`load`](Self::load)).
    pub fn parse(config: &str, credentials: &str) -> Result<ProfileFiles, String> {
        Self::parse_with_paths(config, credentials, "config".into(), "credentials".into())
    }

    fn parse_with_paths(
        config: &str,
        credentials: &str,
        config_path: PathBuf,
        credentials_path: PathBuf,
    ) -> Result<ProfileFiles, String> {
        let mut profiles: BTreeMap<String, Settings> = BTreeMap::new();
        for (text, kind, path) in [
            (config, FileKind::Config, &config_path),
            (credentials, FileKind::Credentials, &credentials_path),
        ] {
            let sections = parse_ini(text, kind, path)?;
            let prefixed_default = sections.iter().any(|s| s.name == "default" && s.prefixed);
            for s in sections {
                if s.name == "default" && !s.prefixed && prefixed_default {
                    tracing::debug!(
                        "{}: [default] ignored, [profile default] wins",
                        path.display()
                    );
                    continue;
                }
                profiles.entry(s.name).or_default().extend(s.settings);
            }
        }
        Ok(ProfileFiles {
            config_path,
            credentials_path,
            profiles,
        })
    }

    /// True when a profile of this name is defined in either file.
    pub fn contains(&self, name: &str) -> bool {
        self.profiles.contains_key(name)
    }

    /// True when the profile names any source of credentials (keys, a role,
    /// a process, SSO, …), so that resolving it is worth an error when it
    /// fails. A `[default]` holding only `region` does not.
    pub fn defines_credentials(&self, name: &str) -> bool {
        const KEYS: &[&str] = &[
            "aws_access_key_id",
            "aws_secret_access_key",
            "role_arn",
            "source_profile",
            "credential_source",
            "credential_process",
            "web_identity_token_file",
            "sso_session",
            "sso_start_url",
            "sso_account_id",
            "sso_role_name",
        ];
        self.profiles
            .get(name)
            .is_some_and(|p| KEYS.iter().any(|k| p.contains_key(*k)))
    }

    /// "FILE or FILE", for messages.
    pub fn locations(&self) -> String {
        format!(
            "{} or {}",
            self.config_path.display(),
            self.credentials_path.display()
        )
    }

    /// Resolve profile `name` into its credential chain, region and endpoint.
    pub fn resolve(&self, name: &str) -> Result<ResolvedProfile, LakeError> {
        let selected = self
            .profiles
            .get(name)
            .ok_or_else(|| profile_error(name, format!("not found in {}", self.locations())))?;
        let mut visited: Vec<&str> = Vec::new();
        let mut roles: Vec<RoleStep> = Vec::new();
        let mut current = name;
        let base = loop {
            let profile = self.profiles.get(current).ok_or_else(|| {
                profile_error(
                    name,
                    format!(
                        "source_profile {current} (of profile {}) not found in {}",
                        visited.last().copied().unwrap_or(name),
                        self.locations()
                    ),
                )
            })?;
            if visited.contains(&current) {
                let mut path: Vec<&str> = visited.clone();
                path.push(current);
                return Err(profile_error(
                    name,
                    format!("source_profile cycle: {}", path.join(" -> ")),
                ));
            }
            visited.push(current);
            // After the first profile of a chain, static keys win over a
            // role_arn (the SDKs' rule).
            if visited.len() > 1 {
                if let Some(base) = static_keys(name, current, profile).transpose()? {
                    break base;
                }
            }
            let get = |k: &str| profile.get(k).filter(|v| !v.is_empty());
            if let Some(role_arn) = get("role_arn") {
                if get("web_identity_token_file").is_some() {
                    return Err(web_identity_error(name, current));
                }
                if get("mfa_serial").is_some() {
                    return Err(profile_error(
                        name,
                        format!(
                            "{}mfa_serial is set: roles that need an MFA code are \
                             not supported (use a credential_process that prompts, e.g. \
                             aws configure export-credentials --format process)",
                            in_chain(name, current)
                        ),
                    ));
                }
                roles.push(RoleStep {
                    profile: current.to_string(),
                    role_arn: role_arn.clone(),
                    external_id: get("external_id").cloned(),
                    session_name: get("role_session_name").cloned(),
                    duration_seconds: get("duration_seconds")
                        .map(|d| parse_duration(name, current, d))
                        .transpose()?,
                });
                match (get("source_profile"), get("credential_source")) {
                    (Some(_), Some(_)) => {
                        return Err(profile_error(
                            name,
                            format!(
                                "{}source_profile and credential_source are both set; \
                                 set one",
                                in_chain(name, current)
                            ),
                        ))
                    }
                    (None, None) => {
                        return Err(profile_error(
                            name,
                            format!(
                                "{}role_arn is set without source_profile or \
                                 credential_source",
                                in_chain(name, current)
                            ),
                        ))
                    }
                    (None, Some(source)) => {
                        break named_source(name, current, source)?;
                    }
                    (Some(source), None) if source == current => {
                        // A profile naming itself assumes its role with its
                        // own keys (or process).
                        break base_of(name, current, profile, visited.len())?;
                    }
                    (Some(source), None) => current = source,
                }
            } else {
                break base_of(name, current, profile, visited.len())?;
            }
        };
        roles.reverse();
        let get = |k: &str| selected.get(k).filter(|v| !v.is_empty()).cloned();
        Ok(ResolvedProfile {
            name: name.to_string(),
            region: get("region"),
            endpoint_url: get("endpoint_url"),
            ignore_endpoint_url: get("ignore_configured_endpoint_urls")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            base,
            roles,
        })
    }
}

/// "source profile X: " when `current` is not the selected profile `name`.
pub(crate) fn in_chain(name: &str, current: &str) -> String {
    if name == current {
        String::new()
    } else {
        format!("source profile {current}: ")
    }
}

fn web_identity_error(name: &str, current: &str) -> LakeError {
    profile_error(
        name,
        format!(
            "{}web_identity_token_file is not supported in profiles; set \
             AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN instead",
            in_chain(name, current)
        ),
    )
}

fn parse_duration(name: &str, current: &str, v: &str) -> Result<u32, LakeError> {
    match v.trim().parse::<u32>() {
        Ok(d) if (900..=43_200).contains(&d) => Ok(d),
        _ => Err(profile_error(
            name,
            format!(
                "{}duration_seconds must be a whole number of seconds from 900 to \
                 43200",
                in_chain(name, current)
            ),
        )),
    }
}

/// The profile's static keys, if it has any (`None`: no key at all).
/// `name` is the selected profile, `current` the one read.
fn static_keys(
    name: &str,
    current: &str,
    profile: &Settings,
) -> Option<Result<BaseCredentials, LakeError>> {
    let get = |k: &str| profile.get(k).filter(|v| !v.is_empty()).cloned();
    let half = |set: &str, unset: &str| {
        let what = format!("{set} is set but {unset} is not");
        Some(Err(if current == name {
            profile_error(name, what)
        } else {
            profile_error(name, format!("{}{what}", in_chain(name, current)))
        }))
    };
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (None, None) => None,
        (Some(key_id), Some(secret_key)) => Some(Ok(BaseCredentials::Static {
            profile: current.to_string(),
            key_id,
            secret_key,
            token: get("aws_session_token"),
        })),
        (Some(_), None) => half("aws_access_key_id", "aws_secret_access_key"),
        (None, Some(_)) => half("aws_secret_access_key", "aws_access_key_id"),
    }
}

/// The credentials a profile holds itself (no role): the first profile of a
/// chain has `depth` 1.
fn base_of(
    name: &str,
    current: &str,
    profile: &Settings,
    depth: usize,
) -> Result<BaseCredentials, LakeError> {
    let get = |k: &str| profile.get(k).filter(|v| !v.is_empty());
    if get("web_identity_token_file").is_some() {
        return Err(web_identity_error(name, current));
    }
    if [
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
    ]
    .iter()
    .any(|k| get(k).is_some())
    {
        return Err(profile_error(
            name,
            format!(
                "{}SSO profiles are not supported yet; give another profile \
                 credential_process = aws configure export-credentials --profile {current} \
                 --format process",
                in_chain(name, current)
            ),
        ));
    }
    if let Some(command) = get("credential_process") {
        return Ok(BaseCredentials::Process {
            profile: current.to_string(),
            command: command.clone(),
        });
    }
    match static_keys(name, current, profile) {
        Some(r) => r,
        None if depth == 1 => Err(profile_error(
            name,
            "has no credentials (aws_access_key_id / aws_secret_access_key, role_arn, \
             or credential_process)",
        )),
        None => Err(profile_error(
            name,
            format!(
                "source profile {current} has no credentials (aws_access_key_id / \
                 aws_secret_access_key, role_arn, or credential_process)"
            ),
        )),
    }
}

fn named_source(name: &str, current: &str, source: &str) -> Result<BaseCredentials, LakeError> {
    if source.eq_ignore_ascii_case("environment") {
        Ok(BaseCredentials::Environment {
            profile: current.to_string(),
        })
    } else {
        Err(profile_error(
            name,
            format!(
                "{}credential_source {source} is not supported (only Environment)",
                in_chain(name, current)
            ),
        ))
    }
}

struct ParsedSection {
    name: String,
    /// `[profile NAME]` rather than `[NAME]`.
    prefixed: bool,
    settings: Settings,
}

/// The profile sections of one file, in file order (a name may repeat).
/// Errors name the file and line, never the line's text.
fn parse_ini(text: &str, kind: FileKind, path: &Path) -> Result<Vec<ParsedSection>, String> {
    const WS: &[char] = &[' ', '\t'];
    let mut sections: Vec<ParsedSection> = Vec::new();
    // `None` inside a section that is not a profile (its settings are read
    // and dropped).
    let mut current: Option<usize> = None;
    let mut in_section = false;
    let mut last_key: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let err = |what: &str| format!("{} line {}: {what}", path.display(), i + 1);
        let trimmed = line.trim_matches(WS);
        if trimmed.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            let header = strip_comment(trimmed, false);
            let inner = header
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .ok_or_else(|| err("a section header must end with ]"))?;
            in_section = true;
            last_key = None;
            current = section_name(inner, kind, path).map(|(name, prefixed)| {
                sections.push(ParsedSection {
                    name,
                    prefixed,
                    settings: Settings::new(),
                });
                sections.len() - 1
            });
            continue;
        }
        if !in_section {
            return Err(err("a setting before any [section]"));
        }
        if line.starts_with(WS) {
            // Continuation of the setting above (a nested block).
            let key = last_key
                .as_ref()
                .ok_or_else(|| err("an indented line without a setting above it"))?;
            if let Some(idx) = current {
                if let Some(v) = sections[idx].settings.get_mut(key) {
                    v.push('\n');
                    v.push_str(trimmed);
                }
            }
            continue;
        }
        let (k, v) = strip_comment(trimmed, true)
            .split_once('=')
            .map(|(k, v)| (k.trim_matches(WS), v.trim_matches(WS)))
            .ok_or_else(|| err("expected name = value"))?;
        if k.is_empty() {
            return Err(err("a setting without a name"));
        }
        let key = k.to_ascii_lowercase();
        if let Some(idx) = current {
            sections[idx].settings.insert(key.clone(), v.to_string());
        }
        last_key = Some(key);
    }
    Ok(sections)
}

/// Cut a trailing comment: `#` or `;` (after whitespace when
/// `needs_whitespace`, as in values).
fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let mut prev_ws = false;
    for (idx, c) in line.char_indices() {
        if (c == '#' || c == ';') && (prev_ws || !needs_whitespace) {
            return line[..idx].trim_matches([' ', '\t']);
        }
        prev_ws = c == ' ' || c == '\t';
    }
    line
}

/// The profile a section header names, with whether it was `profile `
/// prefixed; `None` for sections that are not profiles of this file.
fn section_name(inner: &str, kind: FileKind, path: &Path) -> Option<(String, bool)> {
    let inner = inner.trim_matches([' ', '\t']);
    let (prefix, name) = match inner.split_once([' ', '\t']) {
        Some((p, n)) => (Some(p), n.trim_matches([' ', '\t'])),
        None => (None, inner),
    };
    if name.is_empty() {
        return None;
    }
    let ignored = |why: &str| {
        tracing::debug!("{}: section [{inner}] ignored: {why}", path.display());
        None
    };
    match (kind, prefix) {
        (FileKind::Config, Some("profile")) => Some((name.to_string(), true)),
        (FileKind::Config, None) if name == "default" => Some((name.to_string(), false)),
        (FileKind::Config, None) => ignored("config file profiles are [profile NAME]"),
        (FileKind::Config, Some(_)) => None, // sso-session, services, …
        (FileKind::Credentials, None) => Some((name.to_string(), false)),
        (FileKind::Credentials, Some(_)) => {
            ignored("credentials file profiles are [NAME], without a prefix")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(config: &str, credentials: &str) -> ProfileFiles {
        ProfileFiles::parse(config, credentials).unwrap()
    }

    fn reason(e: LakeError) -> String {
        e.to_string()
    }

    #[test]
    fn config_and_credentials_merge_with_credentials_winning() {
        let f = files(
            "# comment\n[default]\nregion = eu-west-1 # trailing comment\n\
             aws_access_key_id = FROM_CONFIG\n\n[profile dev]\nregion=us-west-2\n",
            "; comment\n[default]\naws_access_key_id = AKIDEXAMPLE\n\
             aws_secret_access_key = secret#not-a-comment\n[dev]\naws_access_key_id=DEVKEY\n\
             aws_secret_access_key=DEVSECRET\naws_session_token = tok\n",
        );
        let d = f.resolve("default").unwrap();
        assert_eq!(d.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            d.base,
            BaseCredentials::Static {
                profile: "default".into(),
                key_id: "AKIDEXAMPLE".into(),
                secret_key: "secret#not-a-comment".into(),
                token: None,
            }
        );
        assert!(d.roles.is_empty());
        let dev = f.resolve("dev").unwrap();
        assert_eq!(dev.region.as_deref(), Some("us-west-2"));
        assert!(matches!(
            dev.base,
            BaseCredentials::Static { ref key_id, ref token, .. }
                if key_id == "DEVKEY" && token.as_deref() == Some("tok")
        ));
    }

    #[test]
    fn profile_prefix_belongs_to_the_config_file_only() {
        // Config: `[x]` is not a profile, `[profile x]` is. Credentials:
        // `[x]` is, `[profile y]` is not.
        let f = files(
            "[plain]\nregion = eu-west-1\n[profile x]\nregion = eu-central-1\n",
            "[x]\naws_access_key_id = K\naws_secret_access_key = S\n\
             [profile y]\naws_access_key_id = K\naws_secret_access_key = S\n",
        );
        assert!(f.contains("x"));
        assert!(!f.contains("plain"));
        assert!(!f.contains("y"));
        assert!(!f.contains("profile y"));
        assert_eq!(
            f.resolve("x").unwrap().region.as_deref(),
            Some("eu-central-1")
        );
        let e = reason(f.resolve("plain").unwrap_err());
        assert!(e.contains("plain") && e.contains("not found in config or credentials"));
    }

    #[test]
    fn prefixed_default_wins_over_plain_default_in_config() {
        let f = files(
            "[default]\nregion = us-east-2\n[profile default]\nregion = ap-south-1\n",
            "",
        );
        assert_eq!(
            f.resolve_region_only("default").as_deref(),
            Some("ap-south-1")
        );
    }

    impl ProfileFiles {
        fn resolve_region_only(&self, name: &str) -> Option<String> {
            self.profiles.get(name)?.get("region").cloned()
        }
    }

    #[test]
    fn nested_blocks_and_case_do_not_leak_into_settings() {
        let f = files(
            "[profile n]\nS3 =\n  endpoint_url = http://nested:1\n  max_concurrent_requests = 4\n\
             Endpoint_URL = http://global:2\nREGION = eu-north-1\n\
             [services svc]\ns3 =\n  endpoint_url = http://svc:3\n\
             [sso-session corp]\nsso_region = us-east-1\n",
            "[n]\naws_access_key_id = K\naws_secret_access_key = S\n",
        );
        let n = f.resolve("n").unwrap();
        assert_eq!(n.endpoint_url.as_deref(), Some("http://global:2"));
        assert_eq!(n.region.as_deref(), Some("eu-north-1"));
        assert!(!f.contains("svc") && !f.contains("corp"));
    }

    #[test]
    fn malformed_lines_name_file_and_line_but_not_their_text() {
        let e = ProfileFiles::parse("[default]\nregion = x\nAKIASECRETLINE\n", "").unwrap_err();
        assert_eq!(e, "config line 3: expected name = value");
        let e = ProfileFiles::parse("", "aws_access_key_id = K\n").unwrap_err();
        assert_eq!(e, "credentials line 1: a setting before any [section]");
        let e = ProfileFiles::parse("[profile x\n", "").unwrap_err();
        assert!(e.starts_with("config line 1:"), "{e}");
    }

    #[test]
    fn chained_source_profiles_resolve_innermost_role_first() {
        let f = files(
            "[profile reader]\nrole_arn = arn:aws:iam::123456789012:role/lake-reader\n\
             source_profile = hop\nexternal_id = ext-1\nrole_session_name = nightly\n\
             duration_seconds = 1800\nregion = eu-west-1\n\
             [profile hop]\nrole_arn = arn:aws:iam::111111111111:role/hop\nsource_profile = base\n\
             [profile base]\nrole_arn = arn:aws:iam::999999999999:role/ignored\n",
            "[base]\naws_access_key_id = BASEKEY\naws_secret_access_key = BASESECRET\n",
        );
        let r = f.resolve("reader").unwrap();
        assert_eq!(r.region.as_deref(), Some("eu-west-1"));
        // A source profile with static keys ends the chain: base's own
        // role_arn is not assumed.
        assert!(
            matches!(r.base, BaseCredentials::Static { ref profile, ref key_id, .. }
                if profile == "base" && key_id == "BASEKEY")
        );
        let arns: Vec<&str> = r.roles.iter().map(|s| s.role_arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::111111111111:role/hop",
                "arn:aws:iam::123456789012:role/lake-reader"
            ]
        );
        let last = r.roles.last().unwrap();
        assert_eq!(last.external_id.as_deref(), Some("ext-1"));
        assert_eq!(last.session_name.as_deref(), Some("nightly"));
        assert_eq!(last.duration_seconds, Some(1800));
    }

    #[test]
    fn self_reference_environment_source_and_process() {
        let f = files(
            "[profile me]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = me\n\
             aws_access_key_id = K\naws_secret_access_key = S\n\
             [profile env]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Environment\n\
             [profile proc]\ncredential_process = /usr/bin/get-creds --profile x\n\
             [profile viaproc]\nrole_arn = arn:aws:iam::1:role/p\nsource_profile = proc\n",
            "",
        );
        let me = f.resolve("me").unwrap();
        assert!(matches!(me.base, BaseCredentials::Static { .. }));
        assert_eq!(me.roles.len(), 1);
        let env = f.resolve("env").unwrap();
        assert_eq!(
            env.base,
            BaseCredentials::Environment {
                profile: "env".into()
            }
        );
        let p = f.resolve("viaproc").unwrap();
        assert_eq!(
            p.base,
            BaseCredentials::Process {
                profile: "proc".into(),
                command: "/usr/bin/get-creds --profile x".into()
            }
        );
        assert_eq!(p.roles.len(), 1);
    }

    #[test]
    fn cycles_and_bad_chains_are_one_line_errors() {
        let f = files(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n\
             [profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n\
             [profile lost]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = nowhere\n\
             [profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = a\n\
             credential_source = Environment\n\
             [profile neither]\nrole_arn = arn:aws:iam::1:role/x\n\
             [profile imds]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n\
             [profile empty]\nregion = eu-west-1\n\
             [profile half]\naws_access_key_id = K\n\
             [profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = half\nmfa_serial = arn:mfa\n\
             [profile tohalf]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = half\n\
             [profile long]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Environment\n\
             duration_seconds = 99999\n\
             [profile toempty]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = empty\n",
            "",
        );
        let e = |n: &str| reason(f.resolve(n).unwrap_err());
        assert_eq!(
            e("a"),
            "AWS profile a: source_profile cycle: a -> b -> c -> a"
        );
        assert!(e("lost").contains("source_profile nowhere (of profile lost) not found"));
        assert_eq!(
            e("both"),
            "AWS profile both: source_profile and credential_source are both set; set one"
        );
        assert!(
            e("neither").contains("role_arn is set without source_profile or credential_source")
        );
        assert!(e("imds").contains("credential_source Ec2InstanceMetadata is not supported"));
        assert_eq!(
            e("empty"),
            "AWS profile empty: has no credentials (aws_access_key_id / \
             aws_secret_access_key, role_arn, or credential_process)"
        );
        assert_eq!(
            e("half"),
            "AWS profile half: aws_access_key_id is set but aws_secret_access_key is not"
        );
        assert_eq!(
            e("tohalf"),
            "AWS profile tohalf: source profile half: aws_access_key_id is set but \
             aws_secret_access_key is not"
        );
        assert!(e("mfa").starts_with("AWS profile mfa: mfa_serial is set"));
        assert!(e("long").contains("900 to 43200"));
        assert!(e("toempty").contains("source profile empty has no credentials"));
        for n in ["a", "lost", "both", "empty", "half", "mfa", "toempty"] {
            assert!(!e(n).contains('\n'), "{n}");
        }
        assert!(f.defines_credentials("half"));
        assert!(!f.defines_credentials("empty"));
    }

    #[test]
    fn sso_profiles_say_they_are_not_supported_and_what_to_use() {
        let f = files(
            "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n\
             [sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n\
             [profile legacy]\nsso_start_url = https://x.awsapps.com/start\n\
             [profile onsso]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = sso\n",
            "",
        );
        assert!(reason(f.resolve("onsso").unwrap_err()).starts_with(
            "AWS profile onsso: source profile sso: SSO profiles are not supported yet;"
        ));
        assert!(reason(f.resolve("sso").unwrap_err())
            .starts_with("AWS profile sso: SSO profiles are not supported yet;"));
        for n in ["sso", "legacy", "onsso"] {
            let e = reason(f.resolve(n).unwrap_err());
            assert!(e.contains("SSO profiles are not supported yet"), "{e}");
            assert!(
                e.contains("aws configure export-credentials") && e.contains("--format process"),
                "{e}"
            );
            assert!(f.defines_credentials(n));
        }
    }

    #[test]
    fn web_identity_in_a_profile_points_to_the_environment() {
        let f = files(
            "[profile w]\nrole_arn = arn:aws:iam::1:role/x\nweb_identity_token_file = /t\n",
            "",
        );
        assert!(reason(f.resolve("w").unwrap_err()).contains("AWS_WEB_IDENTITY_TOKEN_FILE"));
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let f = files(
            "",
            "[d]\naws_access_key_id = AKID\naws_secret_access_key = TOPSECRET\n\
             aws_session_token = TOKENSECRET\n",
        );
        let r = f.resolve("d").unwrap();
        let dbg = format!("{r:?} {f:?}");
        assert!(dbg.contains("AKID"));
        assert!(
            !dbg.contains("TOPSECRET") && !dbg.contains("TOKENSECRET"),
            "{dbg}"
        );
    }
}
