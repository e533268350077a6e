//! The question put to the model, the JSON schema of its answer, the
//! validation of its reply, and the cache key of a question.

use crate::policy::{Answer, ColumnFacts, Policy, NONE};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The longest reason kept from a reply (characters).
pub const MAX_REASON_CHARS: usize = 160;

/// A question about one column, ready to send.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    /// The `response_format.json_schema.schema` of the request.
    pub schema: Value,
    pub labels: Vec<String>,
    pub max_tokens: u32,
    /// Identifies the prompt's wording: the policy's `prompt_version` and a
    /// hash of the system prompt (which lists the entities).
    pub prompt_version: u32,
    pub prompt_hash: String,
}

pub fn system_prompt(policy: &Policy) -> String {
    let mut s = String::from(
        "You review one column of a table for a data-privacy scanner. You see the column's \
name, its neighbouring columns, its type, statistics and a sample of values that were MASKED: \
letters are replaced by one letter of the same script and case (A/a for Latin, Ж/ж for Cyrillic, \
Ω/ω for Greek, 中 for Chinese, あ/ア for Japanese, 한 for Korean), digits by 9; punctuation, company \
suffixes (GmbH, Inc, Ltd, SA) and street words are kept; words found in name dictionaries appear \
as <FIRST_NAME> or <LAST_NAME>.\nDecide which ONE of these the column's values hold:\n",
    );
    for (entity, description) in &policy.entities {
        s.push_str(&format!("- {entity}: {description}\n"));
    }
    s.push_str(&format!(
        "- {NONE}: none of the above (company or product names, product codes, categories, other data)\n\
Answer with JSON only: {{\"entity\": one of the labels, \"confidence\": 0 to 1, \"reason\": at most 8 words}}."
    ));
    s
}

/// The JSON schema of an answer (sent as `response_format`, and checked
/// on the reply whether or not the server enforced it).
pub fn answer_schema(labels: &[String]) -> Value {
    json!({
        "type": "object",
        "properties": {
            "entity": {"type": "string", "enum": labels},
            "confidence": {"type": "number"},
            "reason": {"type": "string", "maxLength": 80}
        },
        "required": ["entity", "confidence", "reason"],
        "additionalProperties": false
    })
}

pub fn build(policy: &Policy, f: &ColumnFacts) -> Prompt {
    let system = system_prompt(policy);
    let labels = policy.labels();
    let mut u = String::new();
    u.push_str(&format!("Column: {} ({})\n", f.column_path, f.data_type));
    if !f.neighbours.is_empty() {
        u.push_str(&format!(
            "Neighbouring columns: {}\n",
            f.neighbours.join(", ")
        ));
    }
    u.push_str(&format!(
        "Statistics: {} values, {:.0}% null, {} distinct, average length {:.1}\n",
        f.values,
        f.null_fraction * 100.0,
        f.distinct,
        f.avg_len
    ));
    u.push_str(if f.raw_sample {
        "Sample values (not masked):\n"
    } else {
        "Masked sample values:\n"
    });
    for v in f.sample.iter().take(policy.sample_values) {
        u.push_str(&format!("- {v}\n"));
    }
    Prompt {
        prompt_hash: short_hash(&system),
        system,
        user: u,
        schema: answer_schema(&labels),
        labels,
        max_tokens: policy.max_tokens,
        prompt_version: policy.prompt_version,
    }
}

/// Why a reply is not an answer. Never quotes the reply: a model may echo
/// what it was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    NotJson,
    MissingField(&'static str),
    UnknownEntity,
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::NotJson => f.write_str("the reply is not a JSON object"),
            ReplyError::MissingField(k) => write!(f, "the reply has no valid \"{k}\""),
            ReplyError::UnknownEntity => {
                f.write_str("the reply names an entity that is not one of the labels")
            }
        }
    }
}

/// Validate a reply's text against the answer schema; clamp the confidence
/// (servers do not enforce number bounds) and shorten the reason.
pub fn parse_reply(text: &str, labels: &[String]) -> Result<Answer, ReplyError> {
    let t = text.trim();
    // Some servers wrap JSON in a Markdown fence even when asked not to.
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .map(|s| s.trim_end().trim_end_matches("```"))
        .unwrap_or(t)
        .trim();
    let v: Value = serde_json::from_str(t).map_err(|_| ReplyError::NotJson)?;
    let o = v.as_object().ok_or(ReplyError::NotJson)?;
    let entity = o
        .get("entity")
        .and_then(Value::as_str)
        .ok_or(ReplyError::MissingField("entity"))?
        .trim()
        .to_uppercase();
    if !labels.contains(&entity) {
        return Err(ReplyError::UnknownEntity);
    }
    let confidence = match o.get("confidence") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| ReplyError::MissingField("confidence"))?,
        _ => return Err(ReplyError::MissingField("confidence")),
    };
    if !confidence.is_finite() {
        return Err(ReplyError::MissingField("confidence"));
    }
    let reason: String = o
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_REASON_CHARS)
        .collect();
    Ok(Answer {
        entity,
        confidence: confidence.clamp(0.0, 1.0),
        reason,
    })
}

/// The cache identity of a question (see [`cache_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheIdentity {
    /// The column's schema: path, data type and neighbours.
    pub column_fingerprint: String,
    /// The sample as sent.
    pub sample_fingerprint: String,
    pub model: String,
    pub prompt_version: u32,
    pub prompt_hash: String,
}

impl CacheIdentity {
    pub fn of(f: &ColumnFacts, prompt: &Prompt, model: &str) -> CacheIdentity {
        let mut col = Sha256::new();
        for part in [&f.column_path, &f.data_type] {
            col.update(part.as_bytes());
            col.update([0]);
        }
        for n in &f.neighbours {
            col.update(n.as_bytes());
            col.update([1]);
        }
        let mut sample = Sha256::new();
        sample.update(if f.raw_sample { b"raw" } else { b"msk" });
        for v in &f.sample {
            sample.update(v.as_bytes());
            sample.update([0]);
        }
        CacheIdentity {
            column_fingerprint: hex::encode(col.finalize()),
            sample_fingerprint: hex::encode(sample.finalize()),
            model: model.to_string(),
            prompt_version: prompt.prompt_version,
            prompt_hash: prompt.prompt_hash.clone(),
        }
    }

    /// sha256 over the four parts of the key (DESIGN: schema fingerprint of
    /// the column, sample fingerprint, model, prompt version).
    pub fn cache_key(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.column_fingerprint.as_str(),
            self.sample_fingerprint.as_str(),
            self.model.as_str(),
            &format!("v{}:{}", self.prompt_version, self.prompt_hash),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }
}

fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        Policy::load(None).unwrap().labels()
    }

    fn facts() -> ColumnFacts {
        ColumnFacts {
            column_path: "visits.code".into(),
            data_type: "Utf8".into(),
            kind: "text".into(),
            values: 300,
            distinct: 120,
            avg_len: 5.2,
            neighbours: vec!["patient_id".into(), "visit_date".into()],
            sample: vec!["A99.9".into(), "A99".into()],
            ..Default::default()
        }
    }

    #[test]
    fn the_prompt_lists_labels_neighbours_and_the_masked_sample() {
        let p = Policy::load(None).unwrap();
        let q = build(&p, &facts());
        for e in p.entities.keys() {
            assert!(q.system.contains(&format!("- {e}: ")), "{e} missing");
        }
        assert!(q.system.contains("- NONE: "));
        assert!(q.user.starts_with("Column: visits.code (Utf8)\n"));
        assert!(q
            .user
            .contains("Neighbouring columns: patient_id, visit_date\n"));
        assert!(q.user.contains("Masked sample values:\n- A99.9\n- A99\n"));
        assert_eq!(q.schema["properties"]["entity"]["enum"], json!(p.labels()));
        assert_eq!(q.max_tokens, p.max_tokens);
    }

    #[test]
    fn replies_are_validated_and_clamped() {
        let l = labels();
        let a = parse_reply(
            r#"{"entity":"PERSON","confidence":1.7,"reason":"names  in\nCyrillic"}"#,
            &l,
        )
        .unwrap();
        assert_eq!(
            (a.entity.as_str(), a.confidence, a.reason.as_str()),
            ("PERSON", 1.0, "names in Cyrillic")
        );
        let a = parse_reply(
            "```json\n{\"entity\":\"none\",\"confidence\":\"0.4\",\"reason\":\"\"}\n```",
            &l,
        )
        .unwrap();
        assert_eq!((a.entity.as_str(), a.confidence), ("NONE", 0.4));
        let a = parse_reply(r#"{"entity":"PERSON","confidence":-3,"reason":"x"}"#, &l).unwrap();
        assert_eq!(a.confidence, 0.0);
        assert_eq!(
            parse_reply("The column holds names.", &l),
            Err(ReplyError::NotJson)
        );
        assert_eq!(parse_reply("[1,2]", &l), Err(ReplyError::NotJson));
        assert_eq!(
            parse_reply(
                r#"{"entity":"FAVOURITE_COLOUR","confidence":0.9,"reason":"x"}"#,
                &l
            ),
            Err(ReplyError::UnknownEntity)
        );
        assert_eq!(
            parse_reply(r#"{"entity":"PERSON","reason":"x"}"#, &l),
            Err(ReplyError::MissingField("confidence"))
        );
        assert_eq!(
            parse_reply(r#"{"entity":"PERSON","confidence":"high"}"#, &l),
            Err(ReplyError::MissingField("confidence"))
        );
        let long = format!(
            r#"{{"entity":"PERSON","confidence":0.8,"reason":"{}"}}"#,
            "x".repeat(500)
        );
        assert_eq!(
            parse_reply(&long, &l).unwrap().reason.chars().count(),
            MAX_REASON_CHARS
        );
    }

    #[test]
    fn the_cache_key_moves_with_each_part() {
        let p = Policy::load(None).unwrap();
        let f = facts();
        let q = build(&p, &f);
        let base = CacheIdentity::of(&f, &q, "m1");
        assert_eq!(
            base.cache_key(),
            CacheIdentity::of(&f, &q, "m1").cache_key()
        );
        assert_ne!(
            base.cache_key(),
            CacheIdentity::of(&f, &q, "m2").cache_key()
        );
        let mut f2 = f.clone();
        f2.sample.push("A99.99".into());
        assert_ne!(
            base.sample_fingerprint,
            CacheIdentity::of(&f2, &q, "m1").sample_fingerprint
        );
        assert_eq!(
            base.column_fingerprint,
            CacheIdentity::of(&f2, &q, "m1").column_fingerprint
        );
        let mut f3 = f.clone();
        f3.data_type = "LargeUtf8".into();
        assert_ne!(
            base.column_fingerprint,
            CacheIdentity::of(&f3, &q, "m1").column_fingerprint
        );
        let mut q2 = q.clone();
        q2.prompt_version += 1;
        assert_ne!(
            base.cache_key(),
            CacheIdentity::of(&f, &q2, "m1").cache_key()
        );
    }
}
