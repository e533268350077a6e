//! A client for OpenAI-compatible `/v1/chat/completions` endpoints: timeouts,
//! bounded retries with backoff, a concurrency limit, structured output.

use crate::policy::Answer;
use crate::prompt::{parse_reply, Prompt, ReplyError};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The environment variable holding the API key (sent as a bearer token).
pub const API_KEY_ENV: &str = "LAKEWARDEN_LLM_API_KEY";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL ending in `/v1` (what `--llm` takes).
    pub endpoint: String,
    /// `None`: the first model the endpoint lists under `/models`.
    pub model: Option<String>,
    pub api_key: Option<String>,
    /// For one request, connect to last byte.
    pub timeout: Duration,
    /// Retries after a 429, a 5xx or a failed connection.
    pub retries: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// Why a call gave no answer. Messages name the endpoint, never a prompt or
/// a reply (either may echo values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    Unreachable,
    Timeout,
    Status(u16),
    Malformed(ReplyError),
}

impl CallError {
    /// Errors that say the endpoint is gone, not that one question failed.
    pub fn endpoint_down(&self) -> bool {
        matches!(self, CallError::Unreachable | CallError::Timeout)
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable => f.write_str("unreachable"),
            CallError::Timeout => f.write_str("timed out"),
            CallError::Status(s) => write!(f, "answered HTTP {s}"),
            CallError::Malformed(e) => write!(f, "replied with no usable answer ({e})"),
        }
    }
}

/// A validated answer and what it cost.
#[derive(Debug, Clone)]
pub struct Reply {
    pub answer: Answer,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// HTTP requests it took (retries included).
    pub requests: u32,
    /// Time from sending the first request to the answer (not the wait for
    /// a concurrency permit).
    pub seconds: f64,
}

pub struct LlmClient {
    http: reqwest::Client,
    base: String,
    model: Option<String>,
    api_key: Option<String>,
    retries: u32,
    concurrency: usize,
    /// Cleared when the server refused `response_format` once: the schema
    /// is then only checked on the reply.
    structured: AtomicBool,
    /// Chat requests sent, retries and failures included.
    sent: AtomicU64,
}

impl LlmClient {
    pub fn new(cfg: &ClientConfig) -> Result<LlmClient, String> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(LlmClient {
            http,
            base: cfg.endpoint.trim_end_matches('/').to_string(),
            model: cfg.model.clone(),
            api_key: cfg.api_key.clone().filter(|k| !k.is_empty()),
            retries: cfg.retries,
            concurrency: cfg.concurrency.max(1),
            structured: AtomicBool::new(true),
            sent: AtomicU64::new(0),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.base
    }

    /// Requests the caller may have in flight at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Chat requests sent so far, retries and failed ones included.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.api_key {
            Some(k) => r.bearer_auth(k),
            None => r,
        }
    }

    /// The model to ask: the configured one, else the first the endpoint lists.
    pub async fn resolve_model(&self) -> Result<String, CallError> {
        if let Some(m) = &self.model {
            return Ok(m.clone());
        }
        let resp = self
            .request(reqwest::Method::GET, "/models")
            .send()
            .await
            .map_err(transport)?;
        if !resp.status().is_success() {
            return Err(CallError::Status(resp.status().as_u16()));
        }
        let v: Value = resp
            .json_value()
            .await
            .ok_or(CallError::Malformed(ReplyError::NotJson))?;
        v["data"][0]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or(CallError::Malformed(ReplyError::MissingField("data[0].id")))
    }

    /// Ask one question (the caller keeps to [`Self::concurrency`]). A 429 / 5xx / failed connection is retried up to
    /// `retries` times with exponential backoff (honouring a short
    /// `Retry-After`); a malformed reply is asked again once.
    pub async fn ask(&self, model: &str, prompt: &Prompt) -> Result<Reply, CallError> {
        let started = std::time::Instant::now();
        let mut requests = 0u32;
        let mut transient_retries = 0u32;
        let mut malformed_retried = false;
        loop {
            requests += 1;
            let structured = self.structured.load(Ordering::Relaxed);
            let outcome = self.post(model, prompt, structured).await;
            let err = match outcome {
                Ok((content, usage)) => match parse_reply(&content, &prompt.labels) {
                    Ok(answer) => {
                        let (p, c) = usage.unwrap_or_else(|| estimate_usage(prompt, &content));
                        return Ok(Reply {
                            answer,
                            prompt_tokens: p,
                            completion_tokens: c,
                            requests,
                            seconds: started.elapsed().as_secs_f64(),
                        });
                    }
                    Err(e) if !malformed_retried => {
                        malformed_retried = true;
                        tracing::debug!("llm: malformed reply ({e}); asking once more");
                        continue;
                    }
                    Err(e) => return Err(CallError::Malformed(e)),
                },
                Err(Failure { error, retry_after }) => {
                    if error == CallError::Status(400) && structured {
                        // A server without structured output: ask plainly and
                        // validate the reply against the schema ourselves.
                        self.structured.store(false, Ordering::Relaxed);
                        tracing::debug!("llm: response_format refused; validating replies only");
                        continue;
                    }
                    let transient =
                        matches!(error, CallError::Unreachable | CallError::Status(429))
                            || matches!(error, CallError::Status(s) if s >= 500);
                    if !transient || transient_retries >= self.retries {
                        return Err(error);
                    }
                    transient_retries += 1;
                    let backoff = Duration::from_millis(250 << (transient_retries - 1).min(4));
                    tokio::time::sleep(retry_after.unwrap_or(backoff).min(Duration::from_secs(5)))
                        .await;
                    error
                }
            };
            tracing::debug!("llm: {} {err}; retrying", self.base);
        }
    }

    async fn post(
        &self,
        model: &str,
        prompt: &Prompt,
        structured: bool,
    ) -> Result<(String, Option<(u64, u64)>), Failure> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut body = json!({
            "model": model,
            "temperature": 0,
            "max_tokens": prompt.max_tokens,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
        });
        if structured {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "column_entity", "schema": prompt.schema},
            });
        }
        let resp = self
            .request(reqwest::Method::POST, "/chat/completions")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| Failure {
                error: transport(e),
                retry_after: None,
            })?;
        let status = resp.status();
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Failure {
                error: CallError::Status(status.as_u16()),
                retry_after,
            });
        }
        let v = resp.json_value().await.ok_or(Failure {
            error: CallError::Malformed(ReplyError::NotJson),
            retry_after: None,
        })?;
        let content = v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let usage = match (
            v["usage"]["prompt_tokens"].as_u64(),
            v["usage"]["completion_tokens"].as_u64(),
        ) {
            (Some(p), Some(c)) => Some((p, c)),
            _ => None,
        };
        Ok((content, usage))
    }
}

struct Failure {
    error: CallError,
    retry_after: Option<Duration>,
}

fn transport(e: reqwest::Error) -> CallError {
    if e.is_timeout() {
        CallError::Timeout
    } else {
        CallError::Unreachable
    }
}

/// About four characters a token, for servers that report no usage.
pub fn estimate_usage(prompt: &Prompt, reply: &str) -> (u64, u64) {
    let p = (prompt.system.chars().count() + prompt.user.chars().count()) as u64 / 4;
    (p, (reply.chars().count() as u64 / 4).max(1))
}

trait JsonValue {
    async fn json_value(self) -> Option<Value>;
}

impl JsonValue for reqwest::Response {
    /// The body as JSON (reqwest's `json` feature would be a second build of
    /// reqwest with other features for one call).
    async fn json_value(self) -> Option<Value> {
        let bytes = self.bytes().await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}
