//! The `--llm*` options of `scan` and the LLM lines of its summary.

use lakewarden_llm::{Budget, ClientConfig, API_KEY_ENV};
use lakewarden_scan::{LlmConfig, ScanSummary};
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct LlmArgs {
    /// Ask a language model about the columns rules leave ambiguous (policy:
    /// rules/llm.toml): `off`, or an OpenAI-compatible endpoint ending in /v1
    /// (`http://127.0.0.1:8080/v1`). The API key, if any, comes from
    /// LAKEWARDEN_LLM_API_KEY. The model sees masked samples only.
    #[arg(long, default_value = "off", value_name = "off|ENDPOINT")]
    pub llm: String,
    /// Model name to ask for (default: the first one the endpoint lists).
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,
    /// Columns the model may be asked about per run (cached answers are free).
    #[arg(long, default_value_t = 50, value_name = "COLUMNS")]
    pub llm_budget: u64,
    /// Prompt plus completion tokens the model may spend per run.
    #[arg(long, default_value_t = 100_000, value_name = "TOKENS")]
    pub llm_token_budget: u64,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub llm_timeout: f64,
    /// Retries of a request after HTTP 429 / 5xx or a failed connection.
    #[arg(long, default_value_t = 2)]
    pub llm_retries: u32,
    /// Requests to the model in flight at once.
    #[arg(long, default_value_t = 1)]
    pub llm_concurrency: usize,
    /// Send raw sample values instead of masked ones (loopback endpoints only,
    /// unless --llm-allow-raw-remote).
    #[arg(long)]
    pub llm_raw_samples: bool,
    /// Allow --llm-raw-samples for an endpoint that is not on this machine.
    #[arg(long, requires = "llm_raw_samples")]
    pub llm_allow_raw_remote: bool,
}

impl LlmArgs {
    /// `None` for `--llm off`; a one-line usage error for bad values.
    pub fn config(&self) -> Result<Option<LlmConfig>, String> {
        if self.llm.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        lakewarden_llm::is_loopback(&self.llm).map_err(|e| e.to_string())?;
        if !(self.llm_timeout.is_finite() && self.llm_timeout > 0.0) {
            return Err("--llm-timeout must be a positive number of seconds".into());
        }
        Ok(Some(LlmConfig {
            client: ClientConfig {
                endpoint: self.llm.clone(),
                model: self.llm_model.clone(),
                api_key: std::env::var(API_KEY_ENV).ok(),
                timeout: Duration::from_secs_f64(self.llm_timeout),
                retries: self.llm_retries.min(10),
                concurrency: self.llm_concurrency.max(1),
            },
            budget: Budget {
                columns: self.llm_budget,
                tokens: self.llm_token_budget,
            },
            raw_samples: self.llm_raw_samples,
            allow_raw_remote: self.llm_allow_raw_remote,
        }))
    }
}

/// The summary's LLM line (stdout, unless quiet) and its notes (stderr,
/// always: they say why an escalated column kept its rule-based result).
pub fn print_summary(summary: &ScanSummary, quiet: bool) {
    if let (Some(l), false) = (&summary.llm, quiet) {
        println!(
            "  llm: {} escalated, {} model calls, {} cache hits; {} added, {} confirmed, {} rejected; \
{} tokens ({} prompt + {} completion) in {:.1}s; budget {} columns / {} tokens",
            l.escalated_columns,
            l.model_calls,
            l.cache_hits,
            l.findings_added,
            l.findings_confirmed,
            l.findings_rejected,
            l.prompt_tokens + l.completion_tokens,
            l.prompt_tokens,
            l.completion_tokens,
            l.model_seconds,
            l.budget_columns,
            l.budget_tokens,
        );
    }
    for n in &summary.notes {
        eprintln!("lakewarden: note: {n}");
    }
}
