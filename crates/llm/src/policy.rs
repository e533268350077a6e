//! The escalation policy (`rules/llm.toml`): which columns go to the model,
//! and what its answer may change.

use crate::LlmError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in policy file.
pub const BUILTIN_POLICY: &str = include_str!("../../../rules/llm.toml");

/// What the policy and the prompt see of a column: counts, rule verdicts and
/// a (masked, unless raw sampling was asked for) sample. Never raw values in
/// the default mode.
#[derive(Debug, Clone, Default)]
pub struct ColumnFacts {
    pub column_path: String,
    pub data_type: String,
    /// `text`, `integer`, `float`, `date`, `boolean`, `binary`, `other`.
    pub kind: String,
    /// Non-null values looked at.
    pub values: u64,
    pub null_fraction: f64,
    pub distinct: u64,
    /// Average length in characters of the text values.
    pub avg_len: f64,
    /// Share of short values that read as names (PERSON dictionaries).
    pub dictionary_hit_rate: Option<f64>,
    /// Share of short values that end in a company suffix.
    pub company_rate: Option<f64>,
    /// Values with a match of any pattern.
    pub pattern_candidates: u64,
    /// Entities whose positive column-name hint matches this column.
    pub name_hints: Vec<String>,
    /// The rules' verdict on every entity they considered.
    pub verdicts: Vec<RuleVerdict>,
    /// Names of the other columns of the dataset, nearest first.
    pub neighbours: Vec<String>,
    /// The sample shown to the model.
    pub sample: Vec<String>,
    /// True when `sample` holds raw values (`--llm-raw-samples`).
    pub raw_sample: bool,
}

impl ColumnFacts {
    /// Letters among the letters and digits of the sample (masking keeps
    /// both classes, so this reads the same on masked and raw samples).
    pub fn letter_share(&self) -> f64 {
        let (mut letters, mut alnum) = (0usize, 0usize);
        for v in &self.sample {
            for c in v.chars().filter(|c| c.is_alphanumeric()) {
                alnum += 1;
                if c.is_alphabetic() {
                    letters += 1;
                }
            }
            // A placeholder is a whole name: count it as letters.
            let names = v.matches("<FIRST_NAME>").count() + v.matches("<LAST_NAME>").count();
            letters += names;
            alnum += names;
        }
        if alnum == 0 {
            0.0
        } else {
            letters as f64 / alnum as f64
        }
    }
}

/// The rules' verdict on one entity of a column.
#[derive(Debug, Clone)]
pub struct RuleVerdict {
    pub entity: String,
    pub reported: bool,
    pub confidence: f64,
    /// A reported finding resting on a validator or a type (never overridden).
    pub confirmed: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub prompt_version: u32,
    pub sample_values: usize,
    pub max_tokens: u32,
    pub max_confidence: f64,
    pub min_confidence: f64,
    /// Entity → its description in the prompt.
    pub entities: BTreeMap<String, String>,
    pub escalate: Escalate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    pub kinds: Vec<String>,
    pub min_distinct: u64,
    pub min_values: u64,
    pub confidence_band: Option<[f64; 2]>,
    pub name_hint_without_evidence: bool,
    pub dictionary_hit_rate: Option<[f64; 2]>,
    /// 0 disables the free-text trigger.
    pub free_text_min_avg_len: f64,
    pub person: PersonLimits,
}

/// Where PERSON questions are not worth asking: the rules' own verdict on
/// company suffixes stands, and values that are not words are no names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonLimits {
    pub max_company_rate: f64,
    pub min_letter_share: f64,
    /// Whether the confidence band applies to PERSON (whose rule confidence
    /// is a dictionary hit rate, so the band would be the dictionary
    /// trigger again).
    pub confidence_band: bool,
}

/// Why a column goes to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    /// One line, for the explanation.
    pub trigger: String,
    /// Entities whose reported, unconfirmed findings the model may reject
    /// (those in the confidence band).
    pub rejectable: Vec<String>,
    /// The entities in question: the model may add only one of these (it is
    /// a tie-breaker on a question, not a classifier of its own). Empty: any
    /// (the free-text trigger).
    pub asked: Vec<String>,
}

/// What a model answer does to a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Report `entity` (method `llm`) with this confidence.
    Add { entity: String, confidence: f64 },
    /// The rules already report `entity`; the model agrees.
    Confirm { entity: String },
    /// Drop the rules' unconfirmed finding of `entity`.
    Reject { entity: String },
    /// Nothing changes; the reason says why.
    Keep { why: String },
}

/// A parsed, validated model answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// An entity of the policy, or `NONE`.
    pub entity: String,
    /// Clamped to 0..=1.
    pub confidence: f64,
    pub reason: String,
}

pub const NONE: &str = "NONE";

impl Policy {
    /// The built-in policy, or `DIR/llm.toml` when `rules_dir` has one.
    pub fn load(rules_dir: Option<&Path>) -> Result<Policy, LlmError> {
        if let Some(dir) = rules_dir {
            let p = dir.join("llm.toml");
            if p.is_file() {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| LlmError::Policy(format!("{}: {e}", p.display())))?;
                return Policy::parse(&text)
                    .map_err(|e| LlmError::Policy(format!("{}: {e}", p.display())));
            }
        }
        Policy::parse(BUILTIN_POLICY).map_err(|e| LlmError::Policy(format!("rules/llm.toml: {e}")))
    }

    pub fn parse(text: &str) -> Result<Policy, String> {
        let p: Policy = toml::from_str(text).map_err(|e| e.message().to_string())?;
        if p.entities.is_empty() {
            return Err("[entities] is empty: the model would have nothing to answer".into());
        }
        if p.entities.contains_key(NONE) {
            return Err("NONE is reserved for \"no entity\"".into());
        }
        for (what, band) in [
            ("confidence_band", p.escalate.confidence_band),
            ("dictionary_hit_rate", p.escalate.dictionary_hit_rate),
        ] {
            if let Some([lo, hi]) = band {
                if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
                    return Err(format!("{what} must be [low, high] within 0..1"));
                }
            }
        }
        if p.sample_values == 0 || p.sample_values > 50 {
            return Err("sample_values must be 1..=50".into());
        }
        Ok(p)
    }

    /// Does this column go to the model, and why?
    pub fn escalate(&self, f: &ColumnFacts) -> Option<Escalation> {
        let e = &self.escalate;
        if !e.kinds.iter().any(|k| k == &f.kind)
            || f.values < e.min_values
            || f.distinct < e.min_distinct
            || f.sample.is_empty()
        {
            return None;
        }
        let person_limits = &e.person;
        let person_plausible = f.company_rate.unwrap_or(0.0) < person_limits.max_company_rate
            && f.letter_share() >= person_limits.min_letter_share;
        let ours = |entity: &str| {
            self.entities.contains_key(entity) && (entity != "PERSON" || person_plausible)
        };
        // A column the rules settled with a validator or a type is done.
        if f.verdicts
            .iter()
            .any(|v| v.reported && v.confirmed && ours(&v.entity))
        {
            return None;
        }
        let mut triggers = Vec::new();
        let mut rejectable = Vec::new();
        let mut asked: Vec<String> = Vec::new();
        let mut ask = |e: &str| {
            if !asked.iter().any(|a| a == e) {
                asked.push(e.to_string());
            }
        };
        let mut any_entity = false;
        if let Some([lo, hi]) = e.confidence_band {
            let banded = |v: &&RuleVerdict| {
                ours(&v.entity) && (v.entity != "PERSON" || person_limits.confidence_band)
            };
            for v in f.verdicts.iter().filter(banded) {
                if v.confidence >= lo && v.confidence <= hi {
                    triggers.push(format!(
                        "rule confidence {:.2} for {} is in the band {lo:.2}–{hi:.2}",
                        v.confidence, v.entity
                    ));
                    if v.reported && !v.confirmed {
                        rejectable.push(v.entity.clone());
                    }
                    ask(&v.entity);
                }
            }
        }
        if e.name_hint_without_evidence {
            for h in f.name_hints.iter().filter(|h| ours(h)) {
                let reported = f.verdicts.iter().any(|v| &v.entity == h && v.reported);
                if !reported {
                    triggers.push(format!(
                        "the column name suggests {h}; the values did not show it"
                    ));
                }
            }
        }
        if let (Some([lo, hi]), Some(rate)) = (e.dictionary_hit_rate, f.dictionary_hit_rate) {
            let person_reported = f
                .verdicts
                .iter()
                .any(|v| v.entity == "PERSON" && v.reported);
            if ours("PERSON") && !person_reported && rate >= lo && rate < hi {
                triggers.push(format!(
                    "{:.0}% of values read as names: between {:.0}% and {:.0}%",
                    rate * 100.0,
                    lo * 100.0,
                    hi * 100.0
                ));
                ask("PERSON");
            }
        }
        if e.free_text_min_avg_len > 0.0
            && f.avg_len >= e.free_text_min_avg_len
            && f.pattern_candidates == 0
            && !f.verdicts.iter().any(|v| v.reported)
        {
            triggers.push(format!(
                "free text (average {:.0} characters) with no pattern hit",
                f.avg_len
            ));
            any_entity = true;
        }
        if triggers.is_empty() {
            return None;
        }
        Some(Escalation {
            trigger: triggers.join("; "),
            rejectable,
            asked: if any_entity { Vec::new() } else { asked },
        })
    }

    /// What an answer changes. The model never overrides a confirmed
    /// (validator / type) finding: such columns are not escalated, and a
    /// rejection applies only to the unconfirmed findings the escalation named.
    pub fn decide(&self, f: &ColumnFacts, esc: &Escalation, a: &Answer) -> Decision {
        let reported = |e: &str| f.verdicts.iter().any(|v| v.reported && v.entity == e);
        if a.entity == NONE {
            if let Some(e) = esc.rejectable.first() {
                if a.confidence >= self.min_confidence {
                    return Decision::Reject { entity: e.clone() };
                }
            }
            return Decision::Keep {
                why: "the model saw no entity".into(),
            };
        }
        if reported(&a.entity) {
            return Decision::Confirm {
                entity: a.entity.clone(),
            };
        }
        if !esc.asked.is_empty() && !esc.asked.contains(&a.entity) {
            return Decision::Keep {
                why: format!(
                    "the model named {}, which was not in question ({})",
                    a.entity,
                    esc.asked.join(", ")
                ),
            };
        }
        if a.confidence < self.min_confidence {
            return Decision::Keep {
                why: format!(
                    "the model's confidence {:.2} for {} is below {:.2}",
                    a.confidence, a.entity, self.min_confidence
                ),
            };
        }
        Decision::Add {
            entity: a.entity.clone(),
            confidence: a.confidence.min(self.max_confidence),
        }
    }

    /// Entity labels offered to the model, `NONE` last.
    pub fn labels(&self) -> Vec<String> {
        self.entities
            .keys()
            .cloned()
            .chain(std::iter::once(NONE.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ColumnFacts {
        ColumnFacts {
            column_path: "full_name".into(),
            data_type: "Utf8".into(),
            kind: "text".into(),
            values: 200,
            distinct: 190,
            avg_len: 12.0,
            sample: vec!["Жжжж Жжжжжж".into()],
            ..Default::default()
        }
    }

    fn verdict(entity: &str, reported: bool, confidence: f64, confirmed: bool) -> RuleVerdict {
        RuleVerdict {
            entity: entity.into(),
            reported,
            confidence,
            confirmed,
        }
    }

    fn answer(entity: &str, confidence: f64) -> Answer {
        Answer {
            entity: entity.into(),
            confidence,
            reason: "r".into(),
        }
    }

    #[test]
    fn the_builtin_policy_parses() {
        let p = Policy::load(None).unwrap();
        assert!(p.entities.contains_key("PERSON"));
        assert_eq!(p.labels().last().unwrap(), NONE);
    }

    #[test]
    fn a_name_hint_without_evidence_escalates() {
        let p = Policy::load(None).unwrap();
        let mut f = facts();
        assert_eq!(p.escalate(&f), None);
        f.name_hints = vec!["PERSON".into()];
        let e = p.escalate(&f).unwrap();
        assert!(e.trigger.contains("name suggests PERSON"), "{}", e.trigger);
        assert!(e.rejectable.is_empty());
    }

    #[test]
    fn categories_and_settled_columns_are_not_escalated() {
        let p = Policy::load(None).unwrap();
        let mut f = facts();
        f.name_hints = vec!["PERSON".into()];
        f.distinct = 3;
        assert_eq!(p.escalate(&f), None);
        let mut f = facts();
        f.name_hints = vec!["MEDICAL_CODE".into()];
        f.verdicts = vec![verdict("MEDICAL_CODE", true, 0.5, true)];
        assert_eq!(
            p.escalate(&f),
            None,
            "a validator-confirmed finding is never escalated"
        );
        let mut f = facts();
        f.kind = "integer".into();
        f.name_hints = vec!["PERSON".into()];
        assert_eq!(p.escalate(&f), None);
    }

    #[test]
    fn person_questions_need_word_values_without_company_suffixes() {
        let p = Policy::load(None).unwrap();
        let mut f = facts();
        f.name_hints = vec!["PERSON".into()];
        f.company_rate = Some(0.9);
        assert_eq!(
            p.escalate(&f),
            None,
            "the company-suffix verdict of the rules stands"
        );
        f.company_rate = Some(0.0);
        f.sample = vec!["A99999".into(), "A99998".into()];
        assert_eq!(p.escalate(&f), None, "identifiers are no names");
        f.sample = vec!["<FIRST_NAME> Aaaa".into()];
        assert!(p.escalate(&f).is_some());
    }

    #[test]
    fn band_and_dictionary_triggers() {
        let p = Policy::load(None).unwrap();
        let mut f = facts();
        f.verdicts = vec![verdict("MEDICAL_CODE", false, 0.45, false)];
        assert!(p.escalate(&f).unwrap().trigger.contains("band"));
        f.verdicts = vec![verdict("PERSON", false, 0.55, false)];
        assert_eq!(
            p.escalate(&f),
            None,
            "PERSON's band is the dictionary rate: off"
        );
        f.verdicts = vec![verdict("MEDICAL_CODE", false, 0.45, false)];
        f.verdicts = vec![verdict("MEDICAL_CODE", false, 0.9, false)];
        assert_eq!(p.escalate(&f), None);
        f.dictionary_hit_rate = Some(0.3);
        assert_eq!(
            p.escalate(&f),
            None,
            "the dictionary trigger is off by default"
        );
        let mut p = p;
        p.escalate.dictionary_hit_rate = Some([0.1, 0.5]);
        assert!(p.escalate(&f).unwrap().trigger.contains("read as names"));
        f.dictionary_hit_rate = Some(0.02);
        assert_eq!(p.escalate(&f), None);
    }

    #[test]
    fn decisions_add_confirm_reject_keep() {
        let p = Policy::load(None).unwrap();
        let mut f = facts();
        let esc = Escalation {
            trigger: "t".into(),
            rejectable: vec![],
            asked: vec![],
        };
        assert_eq!(
            p.decide(&f, &esc, &answer("PERSON", 0.95)),
            Decision::Add {
                entity: "PERSON".into(),
                confidence: p.max_confidence
            }
        );
        assert!(matches!(
            p.decide(&f, &esc, &answer("PERSON", 0.2)),
            Decision::Keep { .. }
        ));
        assert!(matches!(
            p.decide(&f, &esc, &answer(NONE, 0.9)),
            Decision::Keep { .. }
        ));
        f.verdicts = vec![verdict("PERSON", true, 0.55, false)];
        assert_eq!(
            p.decide(&f, &esc, &answer("PERSON", 0.9)),
            Decision::Confirm {
                entity: "PERSON".into()
            }
        );
        let esc = Escalation {
            trigger: "t".into(),
            rejectable: vec!["PERSON".into()],
            asked: vec!["PERSON".into()],
        };
        assert_eq!(
            p.decide(&f, &esc, &answer(NONE, 0.9)),
            Decision::Reject {
                entity: "PERSON".into()
            }
        );
    }

    #[test]
    fn the_model_may_add_only_the_entity_in_question() {
        let p = Policy::load(None).unwrap();
        let mut f = facts();
        f.verdicts = vec![verdict("MEDICAL_CODE", false, 0.45, false)];
        let esc = p.escalate(&f).unwrap();
        assert_eq!(esc.asked, ["MEDICAL_CODE"]);
        assert!(matches!(
            p.decide(&f, &esc, &answer("PERSON", 0.9)),
            Decision::Keep { ref why } if why.contains("not in question")
        ));
        assert!(matches!(
            p.decide(&f, &esc, &answer("MEDICAL_CODE", 0.9)),
            Decision::Add { .. }
        ));
    }

    #[test]
    fn bad_policies_are_refused_in_one_line() {
        let base = BUILTIN_POLICY.replace(
            "confidence_band = [0.30, 0.60]",
            "confidence_band = [0.9, 0.1]",
        );
        assert!(Policy::parse(&base)
            .unwrap_err()
            .contains("confidence_band"));
        let none = BUILTIN_POLICY.replace("[entities]", "[entities]\nNONE = \"x\"");
        assert!(Policy::parse(&none).unwrap_err().contains("reserved"));
        assert!(Policy::parse("prompt_version = 1\nfoo = 2").is_err());
    }
}
