//! One scan run's use of the model: escalation, cache, budget, and what the
//! summary reports. Knows nothing of the catalog: the scan hands in the
//! cached answers and takes out the new ones.

use crate::client::{CallError, LlmClient};
use crate::policy::{Answer, ColumnFacts, Decision, Escalation, Policy};
use crate::prompt::{build, CacheIdentity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use tokio::sync::{OnceCell, Semaphore};

/// Per-run limits (`--llm-budget`, `--llm-token-budget`).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Columns sent to the model (cache hits are free).
    pub columns: u64,
    /// Prompt plus completion tokens.
    pub tokens: u64,
}

/// A cached answer, as the catalog keeps it.
#[derive(Debug, Clone)]
pub struct CachedAnswer {
    pub identity: CacheIdentity,
    pub answer: Answer,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub column_path: String,
}

/// The model's say on one escalated column.
#[derive(Debug, Clone)]
pub struct Review {
    pub escalation: Escalation,
    pub answer: Answer,
    pub decision: Decision,
    pub model: String,
    pub cached: bool,
}

/// What the scan summary shows of the model's part in a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LlmStats {
    pub endpoint: String,
    pub model: String,
    pub escalated_columns: u64,
    /// Columns the model was asked about (cache misses).
    pub model_calls: u64,
    /// HTTP requests, retries included.
    pub requests: u64,
    pub cache_hits: u64,
    pub answered: u64,
    pub findings_added: u64,
    pub findings_confirmed: u64,
    pub findings_rejected: u64,
    pub skipped_budget: u64,
    pub failed: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub budget_columns: u64,
    pub budget_tokens: u64,
    /// Seconds the answered requests took (not the wait for a turn).
    pub model_seconds: f64,
}

pub struct LlmSession {
    client: LlmClient,
    policy: Policy,
    budget: Budget,
    model: OnceCell<Result<String, CallError>>,
    /// Taken before the cache, budget and endpoint checks, so that columns
    /// queued behind a failing call see the endpoint marked down.
    permits: Semaphore,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cache: HashMap<String, CachedAnswer>,
    new_answers: Vec<CachedAnswer>,
    stats: LlmStats,
    /// Failure kind → columns it hit, for the one-line note.
    failures: BTreeMap<String, u64>,
    /// Set after consecutive connection failures / timeouts: the rest of the
    /// run keeps rule-based results without waiting on a dead endpoint.
    down: Option<String>,
    consecutive_down: u32,
    /// Tokens reserved by calls in flight.
    reserved_tokens: u64,
}

/// Consecutive connection failures or timeouts after which the endpoint is
/// taken as down for the rest of the run.
const DOWN_AFTER: u32 = 2;

impl LlmSession {
    pub fn new(client: LlmClient, policy: Policy, budget: Budget) -> LlmSession {
        let stats = LlmStats {
            endpoint: client.endpoint().to_string(),
            budget_columns: budget.columns,
            budget_tokens: budget.tokens,
            ..Default::default()
        };
        LlmSession {
            permits: Semaphore::new(client.concurrency()),
            client,
            policy,
            budget,
            model: OnceCell::new(),
            state: Mutex::new(State {
                stats,
                ..Default::default()
            }),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers from earlier runs (the catalog's `llm_answers`).
    pub fn load_cache(&self, answers: impl IntoIterator<Item = CachedAnswer>) {
        let mut s = self.state();
        for a in answers {
            s.cache.insert(a.identity.cache_key(), a);
        }
    }

    /// Answers this run got from the model (to store in the catalog).
    pub fn take_new_answers(&self) -> Vec<CachedAnswer> {
        std::mem::take(&mut self.state().new_answers)
    }

    async fn model(&self) -> Result<String, CallError> {
        self.model
            .get_or_init(|| async { self.client.resolve_model().await })
            .await
            .clone()
    }

    /// Escalate the column if the policy says so, and get the model's say
    /// (from the cache, else from the model within the budget). `None`: not
    /// escalated, or no answer (counted for the summary note).
    pub async fn review(&self, f: &ColumnFacts) -> Option<Review> {
        let escalation = self.policy.escalate(f)?;
        self.state().stats.escalated_columns += 1;
        let prompt = build(&self.policy, f);
        tracing::debug!(
            column = %f.column_path,
            trigger = %escalation.trigger,
            "llm: escalated; sending {}",
            if f.raw_sample { "a raw sample (not logged)".to_string() } else { format!("{:?}", prompt.user) }
        );
        let _permit = self.permits.acquire().await.ok()?;
        let model = match self.model().await {
            Ok(m) => m,
            Err(e) => {
                self.fail(
                    &format!("endpoint {} {e}", self.client.endpoint()),
                    e.endpoint_down(),
                );
                return None;
            }
        };
        let identity = CacheIdentity::of(f, &prompt, &model);
        let key = identity.cache_key();
        let estimate = crate::client::estimate_usage(&prompt, "").0 + prompt.max_tokens as u64;
        {
            let mut s = self.state();
            if let Some(hit) = s.cache.get(&key).cloned() {
                s.stats.cache_hits += 1;
                drop(s);
                return Some(self.finish(f, escalation, hit.answer, model, true));
            }
            if let Some(why) = &s.down {
                let why = why.clone();
                *s.failures.entry(why).or_default() += 1;
                s.stats.failed += 1;
                return None;
            }
            let used = s.stats.prompt_tokens + s.stats.completion_tokens + s.reserved_tokens;
            if s.stats.model_calls >= self.budget.columns || used + estimate > self.budget.tokens {
                s.stats.skipped_budget += 1;
                return None;
            }
            s.stats.model_calls += 1;
            s.reserved_tokens += estimate;
        }
        let result = self.client.ask(&model, &prompt).await;
        let mut s = self.state();
        s.reserved_tokens -= estimate;
        match result {
            Ok(reply) => {
                s.consecutive_down = 0;
                s.stats.model_seconds += reply.seconds;
                s.stats.prompt_tokens += reply.prompt_tokens;
                s.stats.completion_tokens += reply.completion_tokens;
                let cached = CachedAnswer {
                    identity,
                    answer: reply.answer.clone(),
                    prompt_tokens: reply.prompt_tokens,
                    completion_tokens: reply.completion_tokens,
                    column_path: f.column_path.clone(),
                };
                s.cache.insert(key, cached.clone());
                s.new_answers.push(cached);
                drop(s);
                Some(self.finish(f, escalation, reply.answer, model, false))
            }
            Err(e) => {
                drop(s);
                self.fail(
                    &format!("endpoint {} {e}", self.client.endpoint()),
                    e.endpoint_down(),
                );
                None
            }
        }
    }

    fn fail(&self, why: &str, endpoint_down: bool) {
        let mut s = self.state();
        s.stats.failed += 1;
        *s.failures.entry(why.to_string()).or_default() += 1;
        if endpoint_down {
            s.consecutive_down += 1;
            if s.consecutive_down >= DOWN_AFTER && s.down.is_none() {
                s.down = Some(why.to_string());
            }
        } else {
            s.consecutive_down = 0;
        }
    }

    fn finish(
        &self,
        f: &ColumnFacts,
        escalation: Escalation,
        answer: Answer,
        model: String,
        cached: bool,
    ) -> Review {
        let decision = self.policy.decide(f, &escalation, &answer);
        let mut s = self.state();
        s.stats.answered += 1;
        match &decision {
            Decision::Add { .. } => s.stats.findings_added += 1,
            Decision::Confirm { .. } => s.stats.findings_confirmed += 1,
            Decision::Reject { .. } => s.stats.findings_rejected += 1,
            Decision::Keep { .. } => {}
        }
        if s.stats.model.is_empty() {
            s.stats.model = model.clone();
        }
        Review {
            escalation,
            answer,
            decision,
            model,
            cached,
        }
    }

    /// The run's figures, and one line per kind of trouble (budget spent,
    /// endpoint failures) for the summary.
    pub fn report(&self) -> (LlmStats, Vec<String>) {
        let mut s = self.state();
        s.stats.requests = self.client.requests_sent();
        let mut notes = Vec::new();
        for (why, n) in &s.failures {
            notes.push(format!(
                "llm: {why}; {n} escalated column(s) kept their rule-based result"
            ));
        }
        if s.stats.skipped_budget > 0 {
            notes.push(format!(
                "llm: budget spent ({} column(s), {} tokens); {} escalated column(s) kept their rule-based result",
                self.budget.columns, self.budget.tokens, s.stats.skipped_budget
            ));
        }
        (s.stats.clone(), notes)
    }
}
