//! `lakewarden-llm`: sampled LLM checks for the columns rules cannot settle.
//!
//! - [`policy`]: which columns go to the model and what its answer may change
//!   (data: `rules/llm.toml`);
//! - [`mask`]: shape-preserving masking of the values a model sees;
//! - [`prompt`]: the question, the answer's JSON schema, reply validation and
//!   the cache key;
//! - [`client`]: an OpenAI-compatible `/v1/chat/completions` client with
//!   timeouts, bounded retries and a concurrency limit;
//! - [`session`]: one run's budget, cache and figures.
//!
//! Architecture Invariant: knows nothing of Arrow, stores or the catalog; what
//! leaves for a model is masked unless the caller asked for raw samples (and
//! the endpoint is loopback, or a second flag allows it — [`raw_allowed`]).
//! No value, prompt or reply reaches an error message.

pub mod client;
pub mod mask;
pub mod policy;
pub mod prompt;
pub mod session;

pub use client::{CallError, ClientConfig, LlmClient, API_KEY_ENV};
pub use mask::{shape_mask, Lexicon, NoLexicon};
pub use policy::{Answer, ColumnFacts, Decision, Escalation, Policy, RuleVerdict, NONE};
pub use prompt::{CacheIdentity, Prompt};
pub use session::{Budget, CachedAnswer, LlmSession, LlmStats, Review};

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("LLM policy {0}")]
    Policy(String),
    #[error("--llm {0}")]
    Config(String),
}

/// True when the endpoint's host is a loopback address (`127.0.0.0/8`,
/// `::1`, `localhost`): raw samples never leave the machine.
pub fn is_loopback(endpoint: &str) -> Result<bool, LlmError> {
    let url = url::Url::parse(endpoint)
        .map_err(|e| LlmError::Config(format!("{endpoint:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LlmError::Config(format!(
            "{endpoint:?}: only http:// and https:// endpoints are supported"
        )));
    }
    Ok(match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    })
}

/// Raw (unmasked) samples need `--llm-raw-samples`, and for an endpoint off
/// this machine also `--llm-allow-raw-remote`.
pub fn raw_allowed(endpoint: &str, raw: bool, allow_remote: bool) -> Result<bool, LlmError> {
    if !raw {
        return Ok(false);
    }
    if is_loopback(endpoint)? || allow_remote {
        return Ok(true);
    }
    Err(LlmError::Config(format!(
        "refusing to send raw samples to {endpoint}, which is not a loopback address; \
add --llm-allow-raw-remote to allow it"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_samples_stay_on_loopback_unless_allowed() {
        assert!(!raw_allowed("https://llm.example/v1", false, false).unwrap());
        assert!(raw_allowed("http://127.0.0.1:8080/v1", true, false).unwrap());
        assert!(raw_allowed("http://localhost:8080/v1", true, false).unwrap());
        assert!(raw_allowed("http://[::1]:8080/v1", true, false).unwrap());
        let e = raw_allowed("https://llm.example/v1", true, false).unwrap_err();
        assert!(e.to_string().contains("--llm-allow-raw-remote"), "{e}");
        assert!(raw_allowed("https://llm.example/v1", true, true).unwrap());
        assert!(is_loopback("ftp://x/v1").is_err());
        assert!(is_loopback("not a url").is_err());
    }
}
