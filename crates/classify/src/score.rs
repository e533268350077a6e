//! From evidence to findings: the decision rule and the confidence.
//!
//! For a column with `n` non-null values looked at and an entity E:
//!
//! * **Validators decide, patterns propose.** Only values with a match that
//!   passed E's validator count (`validated`). Checksum validators that random
//!   digits pass by chance (Luhn ≈ 1 in 10, NHS mod-11 ≈ 1 in 11) must also
//!   show a pass rate ≥ 50 % over at least 10 candidates — a real card column
//!   passes ~100 %, a column of order ids ~10 %. Conversely a column whose
//!   values pass such a checksum ≥ 90 % of the time (over ≥ 50) is proven by
//!   it: plain 10-digit NHS numbers need no name hint. Likewise whole-value
//!   dotted numbers must be ≥ 80 % valid IPv4 to be IP addresses: a column of
//!   version strings (`10.2.3.4`, `4.18.0.1160`) holds a few valid-looking
//!   quads among many that are not.
//! * **Sparse columns count.** E is reported once `validated ≥ k`
//!   (`min_hits`, default 2; 1 when fewer than 100 values were looked at),
//!   whatever the share — 3 emails in 100 notes are still emails.
//! * **A name alone is not evidence; values beat names.** Name hints (the
//!   leaf's name; for a generic leaf such as `number` or `value`, the
//!   parent's too: `passport.number`) move the
//!   confidence (+0.10 positive, −0.20 negative) but never create a finding.
//!   Entities whose formats are weak on their own (rule `needs_name_hint`, or
//!   best pattern score < 0.6, e.g. passport numbers, birth dates as text,
//!   plain 9-digit SSNs) need a positive name hint or a context word in the
//!   value. A negative hint (`card_type`, `build_version`) vetoes a sparse
//!   finding (share < 50 %).
//! * **PERSON** is decided by dictionaries (first/last names of five
//!   locales): the share of short values that read as a name; 50 % without a
//!   name hint, 25 % with one; columns where ≥ 20 % read as companies, or
//!   that hold few distinct values (categories), are not persons.
//! * **Typed columns**: a Date/Timestamp column is DATE_OF_BIRTH when its
//!   name says so and ≥ 90 % of dates are plausible birth dates; a pair of
//!   float columns named like latitude/longitude with values in range is
//!   GEO_COORDINATE (both flagged; a lone `price` float never is) — text
//!   columns of plain decimals count as floats here (CSV fields are text).
//!
//! **What sampling guarantees under this rule.** Sample mode draws about
//! `--sample-rows` (default 2,000) rows per dataset, spread over files and
//! row groups by a seeded hash. With k = 2, a column where a share p of the
//! sampled non-null values hold E is missed with probability
//! P(Binomial(n, p) < 2) = (1-p)^n + n·p·(1-p)^(n-1): for p = 1 % that is
//! below 1 % once n ≥ 662 non-null values, i.e. for any column at most ~67 %
//! null under the default. Larger k needs larger n (k = 3: n ≥ 838).
//! Samples are sized by non-null values: the row rate of a file is raised
//! so that its sparsest column yields as many non-null values as a full one,
//! up to 10× the rows — a column 90 % null still gets the full count, one
//! 96 % null still n ≥ 662 (sparser ones get fewer; `sampled_values` says
//! how many). Parquet knows the null counts from its footer before reading;
//! CSV / JSON Lines learn them while reading (`lake::sample::NonNullSampler`:
//! the rate follows the sparsest column's non-null share so far, every row
//! stays equally likely, so null fractions are not skewed).
//!
//! Confidence = best validated pattern score × density + hint/context
//! adjustments, where density = 1 for share ≥ 50 % and falls linearly to a
//! floor for a share near 0: 0.55, or 0.9 when most sparse matches carry a
//! context word of the entity in the same value (`Rückruf unter …`, `Neue
//! Anschrift: …`) — chance matches (digit runs in UUIDs read as phones) have
//! none. So a sparse strong finding (score 0.9) lands near 0.5, a sparse
//! validated phone or address with context words near 0.5, and a full
//! column of validated values near the pattern's score. Reported when ≥
//! `min_confidence` (default 0.45).

use crate::column::{ColumnAccumulator, LeafKind};
use crate::ClassifierConfig;
use lakewarden_rules::RuleSet;
use serde::Serialize;
use serde_json::json;

/// How a finding was reached (the `classifications.method` vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A pattern matched; the entity has no validator.
    Pattern,
    /// A pattern matched and its validator confirmed the values.
    Validator,
    /// Dictionary hit rate (PERSON).
    Dictionary,
    /// Typed column plus name hint (dates, coordinates).
    Type,
    /// Decided by a language model on a masked sample.
    Llm,
}

impl Method {
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Pattern => "pattern",
            Method::Validator => "validator",
            Method::Dictionary => "dictionary",
            Method::Type => "type",
            Method::Llm => "llm",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub entity: String,
    pub sensitivity: String,
    pub confidence: f64,
    pub method: Method,
    pub sampled_values: u64,
    pub matched_values: u64,
    pub validated_values: u64,
    /// Masked examples (never raw values).
    pub evidence: Vec<String>,
    pub explanation: serde_json::Value,
}

/// An entity that was considered for a column, and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Considered {
    pub entity: String,
    pub reported: bool,
    pub confidence: f64,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct ColumnResult {
    pub column_path: String,
    pub segments: Vec<String>,
    pub data_type: String,
    pub null_fraction: f64,
    pub values_sampled: u64,
    pub capped_values: u64,
    pub findings: Vec<Finding>,
    pub considered: Vec<Considered>,
    /// What an LLM escalation policy needs to know of the column (only when
    /// `ClassifierConfig::llm_sample_values > 0`; the caller adds the
    /// neighbouring column names).
    pub llm_facts: Option<lakewarden_llm::ColumnFacts>,
    /// Sampled values per calendar month (`year * 12 + month - 1`), oldest
    /// first, for a column of dates (typed, or text where ≥ 90 % of values
    /// start with an ISO date) that is not a DATE_OF_BIRTH: what the
    /// retention query counts rows past a policy with. Empty otherwise.
    pub date_months: Vec<(i32, u64)>,
}

fn lat_name(n: &str) -> bool {
    let n = n.to_lowercase();
    n == "lat"
        || n.contains("latitud")
        || n.starts_with("lat_")
        || n.ends_with("_lat")
        || n.contains("breite")
}

fn lon_name(n: &str) -> bool {
    let n = n.to_lowercase();
    ["lon", "lng", "long"].contains(&n.as_str())
        || n.contains("longitud")
        || ["lon_", "lng_"].iter().any(|p| n.starts_with(p))
        || ["_lon", "_lng", "_long"].iter().any(|p| n.ends_with(p))
        || n.contains("länge")
        || n.contains("laenge")
}

/// Leaf names that say nothing by themselves: in `passport.number` or
/// `contact.value` the parent says what the value is. Data, not code:
/// `rules/dictionaries/generic_leaf_names.txt`.
static GENERIC_LEAF_NAMES: &str =
    include_str!("../../../rules/dictionaries/generic_leaf_names.txt");

fn is_generic_leaf(name: &str) -> bool {
    let name = name.to_lowercase();
    GENERIC_LEAF_NAMES
        .lines()
        .map(str::trim)
        .any(|l| !l.starts_with('#') && !l.is_empty() && l == name)
}

/// The name that column-name hints are matched against: the leaf, or for a
/// generic leaf the parent and the leaf (`passport number`).
pub(crate) fn hint_name(segments: &[String]) -> String {
    match segments {
        [.., parent, leaf] if is_generic_leaf(leaf) => {
            format!("{parent} {leaf}")
        }
        [.., leaf] => leaf.clone(),
        [] => String::new(),
    }
}

pub fn decide(
    rules: &RuleSet,
    cfg: &ClassifierConfig,
    columns: Vec<ColumnAccumulator>,
) -> Vec<ColumnResult> {
    let mut results: Vec<ColumnResult> = columns
        .iter()
        .map(|acc| decide_column(rules, cfg, acc))
        .collect();
    geo_pairs(rules, &columns, &mut results);
    results
}

fn sensitivity(rules: &RuleSet, entity: &str) -> String {
    rules
        .sensitivity_of(entity)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "MEDIUM".into())
}

fn decide_column(rules: &RuleSet, cfg: &ClassifierConfig, acc: &ColumnAccumulator) -> ColumnResult {
    let n = acc.non_null();
    let hint_name = hint_name(&acc.segments);
    let name = hint_name.as_str();
    let min_hits = if n < 100 { 1 } else { cfg.min_hits };
    let mut findings = Vec::new();
    let mut considered: Vec<Considered> = Vec::new();
    let mut claims: Vec<Claim> = Vec::new();
    let mut name_hints: Vec<String> = Vec::new();
    let verdict = |findings: &mut Vec<Finding>,
                   considered: &mut Vec<Considered>,
                   f: Option<Finding>,
                   entity: &str,
                   conf: f64,
                   reason: String| {
        considered.push(Considered {
            entity: entity.to_string(),
            reported: f.is_some(),
            confidence: (conf * 1000.0).round() / 1000.0,
            reason,
        });
        if let Some(f) = f {
            findings.push(f);
        }
    };
    for rule in rules.entities() {
        let e = rule.entity.as_str();
        let hint_pos = rule.name_hints.positive(name);
        let hint_neg = rule.name_hints.negative(name);
        if hint_pos && !hint_neg {
            name_hints.push(e.to_string());
        }
        let hint = if hint_neg {
            "negative"
        } else if hint_pos {
            "positive"
        } else {
            "none"
        };

        if e == "PERSON" {
            if acc.kind != LeafKind::Text || acc.person.short_values == 0 {
                continue;
            }
            let p = &acc.person;
            let rate = (p.full_names + p.single_names) as f64 / p.short_values as f64;
            let company_rate = p.companies as f64 / p.short_values as f64;
            // Of every value, not only those looked up: past the lookup cap
            // (a `--full` read of a big column) the lookups are a sliver of
            // the values and said nothing of how many were short.
            let short_share = p.short_seen as f64 / acc.text_values.max(1) as f64;
            if rate < 0.05 && !hint_pos {
                continue;
            }
            let distinct = acc.distinct.len() as f64;
            let threshold = if hint_pos { 0.25 } else { 0.5 };
            let conf = (0.5 + 0.4 * rate + if hint_pos { 0.1 } else { 0.0 }).min(1.0);
            let explanation = json!({"dictionary_hit_rate": round3(rate), "full_names": p.full_names,
                "single_names": p.single_names, "company_rate": round3(company_rate), "name_hint": hint,
                "distinct_values": acc.distinct.len(), "values": n});
            let reason = if short_share < 0.5 {
                Some("values are long text, not names".to_string())
            } else if company_rate >= 0.2 {
                Some(format!(
                    "{:.0}% of values carry a company suffix",
                    company_rate * 100.0
                ))
            } else if n >= 50 && distinct < 0.2 * n as f64 && distinct < 50.0 {
                Some(format!(
                    "only {} distinct values: a category, not names",
                    acc.distinct.len()
                ))
            } else if rate < threshold {
                Some(format!(
                    "dictionary hit rate {:.0}% below {:.0}%{}",
                    rate * 100.0,
                    threshold * 100.0,
                    if hint_pos {
                        " (with name hint)"
                    } else {
                        " (no name hint)"
                    }
                ))
            } else if hint_neg {
                Some("column name says it is not a person".into())
            } else {
                None
            };
            match reason {
                Some(r) => verdict(&mut findings, &mut considered, None, e, conf, r),
                None => verdict(
                    &mut findings,
                    &mut considered,
                    Some(Finding {
                        entity: e.into(),
                        sensitivity: sensitivity(rules, e),
                        confidence: round3(conf),
                        method: Method::Dictionary,
                        sampled_values: n,
                        matched_values: p.full_names + p.single_names,
                        validated_values: p.full_names + p.single_names,
                        evidence: Vec::new(),
                        explanation,
                    }),
                    e,
                    conf,
                    format!(
                        "{:.0}% of values read as names from the dictionaries",
                        rate * 100.0
                    ),
                ),
            }
            continue;
        }

        if e == "DATE_OF_BIRTH" && acc.kind == LeafKind::Date {
            let d = &acc.dates;
            if d.values == 0 {
                continue;
            }
            let share = d.plausible_birth as f64 / d.values as f64;
            let conf = 0.85;
            let explanation = json!({"plausible_birth_share": round3(share), "min_year": d.min_year,
                "max_year": d.max_year, "name_hint": hint, "values": d.values});
            if !hint_pos || hint_neg {
                verdict(
                    &mut findings,
                    &mut considered,
                    None,
                    e,
                    0.0,
                    "dates without a birth-date column name: not evidence of a DOB".into(),
                );
            } else if share < 0.9 {
                verdict(
                    &mut findings,
                    &mut considered,
                    None,
                    e,
                    0.0,
                    format!(
                        "only {:.0}% of dates are plausible birth dates",
                        share * 100.0
                    ),
                );
            } else {
                verdict(
                    &mut findings,
                    &mut considered,
                    Some(Finding {
                        entity: e.into(),
                        sensitivity: sensitivity(rules, e),
                        confidence: conf,
                        method: Method::Type,
                        sampled_values: d.values,
                        matched_values: d.plausible_birth,
                        validated_values: d.plausible_birth,
                        evidence: Vec::new(),
                        explanation,
                    }),
                    e,
                    conf,
                    "date column named like a birth date, values plausible".into(),
                );
            }
            continue;
        }

        let Some(ev) = acc.entities.get(e) else {
            continue;
        };
        let c = ev.candidates;
        // Values left unchecked by the expensive-validator budget count at
        // the pass rate of the values that were checked.
        let checked = c - ev.unchecked;
        let pass_rate = if checked == 0 {
            0.0
        } else {
            ev.validated as f64 / checked as f64
        };
        let estimate = |k: u64| (k as f64 * pass_rate).round() as u64;
        let v = ev.validated + estimate(ev.unchecked);
        let whole_values = ev.whole + estimate(ev.unchecked_whole);
        let share = if n == 0 { 0.0 } else { v as f64 / n as f64 };
        let chance_checksum = matches!(ev.validator, Some("luhn") | Some("uk_nhs"));
        // A checksum that random digits pass about 1 time in 10, passed by
        // nearly every value of a column, is evidence the format alone is
        // not: plain 10-digit NHS numbers need no column name then.
        let checksum_proven = chance_checksum
            && !hint_neg
            && checked >= PROVEN_CHECKSUM_CANDIDATES
            && pass_rate >= PROVEN_CHECKSUM_PASS_RATE
            && whole_values * 2 >= n;
        let best_score = if checksum_proven {
            ev.best_score.max(PROVEN_CHECKSUM_SCORE)
        } else {
            ev.best_score
        };
        let weak = !checksum_proven && (rule.needs_name_hint || ev.best_score < 0.6);
        let conf = confidence(
            best_score,
            share,
            hint_pos,
            hint_neg,
            if v == 0 {
                0.0
            } else {
                (ev.context_hits as f64 / v as f64).min(1.0)
            },
        );
        // Dotted numbers that are whole values: an IP column's values are all
        // valid addresses; a version column (`10.2.3.4`, `4.18.0.1160`,
        // `2024.5.1.12`) holds a few valid-looking ones among many that are
        // not (an octet above 255). Free text is left alone: there the
        // failures are other dotted numbers beside real addresses.
        let lookalike_dotted = ev.validator == Some("ipv4")
            && c >= 10
            && whole_values * 10 >= v * 8
            && pass_rate < MIN_WHOLE_IPV4_PASS_RATE;
        let explanation = json!({
            "values": n, "candidates": c, "validated": v, "share": round3(share),
            "validator": ev.validator, "validator_failures": ev.validator_failures,
            "validator_pass_rate": round3(pass_rate),
            "patterns": ev.patterns.iter().map(|(k, (m, ok))| (k.clone(), json!({"matched": m, "validated": ok}))).collect::<serde_json::Map<_, _>>(),
            "name_hint": hint, "context_hits": ev.context_hits, "whole_values": whole_values,
            "unchecked_candidates": ev.unchecked,
            "capped_values": acc.capped_values,
        });
        let reject = if v == 0 {
            Some(format!(
                "{c} value(s) matched a pattern but none passed the {} validator",
                // Set from a validated match; with none, the rule's own.
                ev.validator
                    .or_else(|| rule
                        .patterns
                        .iter()
                        .find_map(|p| p.validator.map(|v| v.as_str())))
                    .unwrap_or("—")
            ))
        } else if chance_checksum && c >= 10 && pass_rate < 0.5 {
            Some(format!(
                "validator pass rate {:.0}% over {c} candidates is what chance gives random digits",
                pass_rate * 100.0
            ))
        } else if lookalike_dotted {
            Some(format!(
                "only {:.0}% of {c} dotted numbers are valid IPv4: version numbers, not addresses",
                pass_rate * 100.0
            ))
        } else if v < min_hits {
            Some(format!(
                "only {v} validated value(s); the rule needs {min_hits}"
            ))
        } else if weak && !hint_pos && ev.context_hits == 0 {
            Some(
                "this format alone is weak evidence: needs a column-name hint or context words"
                    .into(),
            )
        } else if hint_neg && share < 0.5 {
            Some("column name says it is not this entity".into())
        } else if conf < cfg.min_confidence {
            Some(format!(
                "confidence {conf:.2} below the threshold {:.2}",
                cfg.min_confidence
            ))
        } else {
            None
        };
        match reject {
            Some(r) => verdict(&mut findings, &mut considered, None, e, conf, r),
            None => verdict(
                &mut findings,
                &mut considered,
                Some(Finding {
                    entity: e.into(),
                    sensitivity: sensitivity(rules, e),
                    confidence: round3(conf),
                    method: if ev.validator.is_some() {
                        Method::Validator
                    } else {
                        Method::Pattern
                    },
                    sampled_values: n,
                    matched_values: c,
                    validated_values: v,
                    evidence: ev.examples.clone(),
                    explanation,
                }),
                e,
                conf,
                format!("{v} of {n} values validated ({:.1}%)", share * 100.0),
            ),
        }
        if considered
            .last()
            .is_some_and(|c| c.reported && c.entity == e)
        {
            claims.push(Claim {
                entity: e.to_string(),
                whole_share: if n == 0 {
                    0.0
                } else {
                    whole_values as f64 / n as f64
                },
                whole_values,
                validated: v,
                rank: (hint_pos, validator_strength(ev.validator)),
            });
        }
    }
    resolve_whole_value_conflicts(&claims, &mut findings, &mut considered);
    findings.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let llm_facts = (cfg.llm_sample_values > 0)
        .then(|| llm_facts(cfg, acc, name_hints, &findings, &considered));
    let is_dates = match acc.kind {
        LeafKind::Date => acc.dates.values > 0,
        LeafKind::Text => acc.dates.iso_text >= 10 && acc.dates.iso_text * 10 >= n * 9,
        _ => false,
    };
    // Birth dates are not a retention anchor, and their months say
    // something about people.
    let date_months = if is_dates && !findings.iter().any(|f| f.entity == "DATE_OF_BIRTH") {
        acc.dates.months.iter().map(|(&m, &c)| (m, c)).collect()
    } else {
        Vec::new()
    };
    ColumnResult {
        column_path: acc.path.clone(),
        segments: acc.segments.clone(),
        data_type: acc.data_type.to_string(),
        null_fraction: if acc.values == 0 {
            0.0
        } else {
            acc.nulls as f64 / acc.values as f64
        },
        values_sampled: n,
        capped_values: acc.capped_values,
        findings,
        considered,
        llm_facts,
        date_months,
    }
}

fn kind_name(k: LeafKind) -> &'static str {
    match k {
        LeafKind::Text => "text",
        LeafKind::Integer => "integer",
        LeafKind::Float => "float",
        LeafKind::Date => "date",
        LeafKind::Boolean => "boolean",
        LeafKind::Binary => "binary",
        LeafKind::Other => "other",
    }
}

fn llm_facts(
    cfg: &ClassifierConfig,
    acc: &ColumnAccumulator,
    name_hints: Vec<String>,
    findings: &[Finding],
    considered: &[Considered],
) -> lakewarden_llm::ColumnFacts {
    let p = &acc.person;
    lakewarden_llm::ColumnFacts {
        column_path: acc.path.clone(),
        data_type: acc.data_type.to_string(),
        kind: kind_name(acc.kind).to_string(),
        values: acc.non_null(),
        null_fraction: if acc.values == 0 {
            0.0
        } else {
            acc.nulls as f64 / acc.values as f64
        },
        distinct: acc.distinct.len() as u64,
        avg_len: if acc.text_values == 0 {
            0.0
        } else {
            acc.text_chars as f64 / acc.text_values as f64
        },
        dictionary_hit_rate: (p.short_values > 0)
            .then(|| (p.full_names + p.single_names) as f64 / p.short_values as f64),
        company_rate: (p.short_values > 0).then(|| p.companies as f64 / p.short_values as f64),
        pattern_candidates: acc.entities.values().map(|e| e.candidates).sum(),
        name_hints,
        verdicts: considered
            .iter()
            .map(|c| lakewarden_llm::RuleVerdict {
                entity: c.entity.clone(),
                reported: c.reported,
                confidence: c.confidence,
                confirmed: c.reported
                    && findings.iter().any(|f| {
                        f.entity == c.entity && matches!(f.method, Method::Validator | Method::Type)
                    }),
            })
            .collect(),
        neighbours: Vec::new(),
        sample: acc.llm_sample.clone(),
        raw_sample: cfg.llm_raw_samples,
    }
}

/// Apply a model's say on an escalated column (see `lakewarden_llm::Policy::decide`).
/// Validator- and type-confirmed findings are never removed.
pub fn apply_llm(rules: &RuleSet, result: &mut ColumnResult, review: &lakewarden_llm::Review) {
    use lakewarden_llm::Decision;
    let a = &review.answer;
    let llm = json!({
        "model": review.model, "answer": a.entity, "model_confidence": round3(a.confidence),
        "reason": a.reason, "trigger": review.escalation.trigger, "cached": review.cached,
    });
    let mark = |considered: &mut Vec<Considered>,
                entity: &str,
                reported: bool,
                conf: f64,
                reason: String| {
        match considered.iter_mut().find(|c| c.entity == entity) {
            Some(c) => {
                c.reported = reported;
                c.confidence = round3(conf);
                c.reason = reason;
            }
            None => considered.push(Considered {
                entity: entity.to_string(),
                reported,
                confidence: round3(conf),
                reason,
            }),
        }
    };
    match &review.decision {
        Decision::Add { entity, confidence } => {
            result.findings.retain(|f| &f.entity != entity);
            result.findings.push(Finding {
                entity: entity.clone(),
                sensitivity: sensitivity(rules, entity),
                confidence: round3(*confidence),
                method: Method::Llm,
                sampled_values: result.values_sampled,
                matched_values: 0,
                validated_values: 0,
                evidence: Vec::new(),
                explanation: json!({"llm": llm}),
            });
            result
                .findings
                .sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
            mark(
                &mut result.considered,
                entity,
                true,
                *confidence,
                format!("added by the model: {}", a.reason),
            );
        }
        Decision::Confirm { entity } => {
            if let Some(f) = result.findings.iter_mut().find(|f| &f.entity == entity) {
                if let Some(o) = f.explanation.as_object_mut() {
                    o.insert("llm".into(), llm);
                }
            }
        }
        Decision::Reject { entity } => {
            let before = result.findings.len();
            result.findings.retain(|f| {
                &f.entity != entity || matches!(f.method, Method::Validator | Method::Type)
            });
            if result.findings.len() < before {
                mark(
                    &mut result.considered,
                    entity,
                    false,
                    0.0,
                    format!("rejected by the model: {}", a.reason),
                );
            }
        }
        Decision::Keep { why } => {
            result.considered.push(Considered {
                entity: format!("llm:{}", a.entity),
                reported: false,
                confidence: round3(a.confidence),
                reason: format!("{why}: {}", a.reason),
            });
        }
    }
}

/// Latitude/longitude float pairs under the same parent.
fn geo_pairs(rules: &RuleSet, columns: &[ColumnAccumulator], results: &mut [ColumnResult]) {
    let in_range = |acc: &ColumnAccumulator, lat: bool| {
        let f = &acc.floats;
        f.values > 0
            && (if lat { f.in_lat_range } else { f.in_lon_range }) == f.values
            && f.fractional * 2 >= f.values
    };
    // Float columns, or text columns whose every value is a plain decimal
    // (a CSV's `latitude;longitude`).
    let numeric = |acc: &ColumnAccumulator| match acc.kind {
        LeafKind::Float => true,
        LeafKind::Text => acc.non_null() > 0 && acc.floats.values == acc.non_null(),
        _ => false,
    };
    for (i, lat) in columns.iter().enumerate() {
        if !numeric(lat) || !lat_name(lat.name()) || !in_range(lat, true) {
            continue;
        }
        let parent = &lat.segments[..lat.segments.len() - 1];
        let Some(j) = columns.iter().position(|c| {
            numeric(c)
                && c.segments.len() == lat.segments.len()
                && &c.segments[..c.segments.len() - 1] == parent
                && lon_name(c.name())
                && in_range(c, false)
        }) else {
            results[i].considered.push(Considered {
                entity: "GEO_COORDINATE".into(),
                reported: false,
                confidence: 0.0,
                reason: "latitude-like floats without a longitude column beside them".into(),
            });
            continue;
        };
        for (k, partner) in [(i, j), (j, i)] {
            let acc = &columns[k];
            let finding = Finding {
                entity: "GEO_COORDINATE".into(),
                sensitivity: sensitivity(rules, "GEO_COORDINATE"),
                confidence: 0.85,
                method: Method::Type,
                sampled_values: acc.floats.values,
                matched_values: acc.floats.values,
                validated_values: acc.floats.values,
                evidence: Vec::new(),
                explanation: json!({"pair": columns[partner].path, "values": acc.floats.values,
                    "rule": "float pair named latitude/longitude, every value in range"}),
            };
            results[k].considered.push(Considered {
                entity: "GEO_COORDINATE".into(),
                reported: true,
                confidence: 0.85,
                reason: format!("latitude/longitude pair with {}", columns[partner].path),
            });
            results[k].findings.push(finding);
        }
    }
}

/// The density of a column where almost no value holds the entity, without
/// and with context words beside the matches. Sparse columns count (a
/// deletion request cares about every row), but a few validated matches in
/// thousands of values can be chance (digit runs inside UUIDs parse as phone
/// numbers). A context word in the same value (`call back on …`, `Neue
/// Anschrift: …`) is what tells a sparse real entity from chance, so when
/// most sparse matches carry one the density floor rises from 0.55 to 0.9:
/// a labelled value is nearly as good as a column named for it, so a
/// validated format of score ≥ 0.5 (phones, dates after `born`, addresses
/// ending in a postcode) reaches the default threshold, while a bare street
/// shape (0.4) still does not.
const SPARSE_DENSITY: f64 = 0.55;
const SPARSE_DENSITY_IN_CONTEXT: f64 = 0.9;

/// When a chance-prone checksum (Luhn, NHS mod-11) proves a column: at least
/// this many checked candidates, this pass rate (chance gives ~10 %; the
/// probability of ≥ 90 % of 50 by chance is below 1e-40), and the score the
/// format then counts with — that of a strict format.
const PROVEN_CHECKSUM_CANDIDATES: u64 = 50;
const PROVEN_CHECKSUM_PASS_RATE: f64 = 0.9;
const PROVEN_CHECKSUM_SCORE: f64 = 0.7;

/// Share of whole-value dotted-number candidates that must be valid IPv4 for
/// a column to be IP addresses (real address columns pass ~100 %).
const MIN_WHOLE_IPV4_PASS_RATE: f64 = 0.8;

/// Confidence from value evidence, share and hints (see the module docs).
///
/// Values first: the best validated pattern's score scaled by density
/// (1 at share ≥ 50 %, down to a floor near 0: `SPARSE_DENSITY`, or
/// `SPARSE_DENSITY_IN_CONTEXT` when the matches carry context words).
/// A positive name hint closes
/// up to 60 % of the remaining gap, in proportion to the share — a weak
/// format (passport, plain 9 digits) that fills a column named for it is
/// strong evidence; the same format sparse in a named column is not.
///
/// `context_share` is the share of validated values with a context word of
/// the entity beside the match; it lifts the sparse density floor (half or
/// more: `SPARSE_DENSITY_IN_CONTEXT`) and adds 0.05 when any value has one.
pub fn confidence(
    best_score: f64,
    share: f64,
    hint_pos: bool,
    hint_neg: bool,
    context_share: f64,
) -> f64 {
    let floor = SPARSE_DENSITY
        + (SPARSE_DENSITY_IN_CONTEXT - SPARSE_DENSITY) * (context_share / 0.5).min(1.0);
    let density = if share >= 0.5 {
        1.0
    } else {
        floor + (1.0 - floor) * share / 0.5
    };
    let context = context_share > 0.0;
    let mut conf = best_score * density;
    if hint_pos {
        conf += (1.0 - conf) * 0.6 * (share / 0.5).min(1.0);
        conf += 0.05;
    }
    if context {
        conf += 0.05;
    }
    if hint_neg {
        conf -= 0.2;
    }
    conf.clamp(0.0, 1.0)
}

/// A reported pattern finding, for conflict resolution.
struct Claim {
    entity: String,
    whole_share: f64,
    whole_values: u64,
    validated: u64,
    /// (positive name hint, validator strength): higher explains better.
    rank: (bool, u8),
}

/// How much a validator proves: checksums and strict structure beat the
/// permissive phone / date parsers, which beat no validator.
fn validator_strength(v: Option<&str>) -> u8 {
    match v {
        None => 0,
        Some("phone") | Some("date_of_birth") => 1,
        Some("lat_lon") | Some("latlon") | Some("url") => 2,
        Some(_) => 3,
    }
}

/// In a column whose values *are* an entity (≥ 50 % whole-value matches),
/// the same values often also parse as something weaker: spaced card or NHS
/// numbers are valid phone numbers too. Keep the best explanation and drop
/// weaker findings whose own matches are whole values (so they describe the
/// same cells) and cover no more values than the best one. Free text, where
/// several entities live side by side in parts of values, is untouched.
fn resolve_whole_value_conflicts(
    claims: &[Claim],
    findings: &mut Vec<Finding>,
    considered: &mut [Considered],
) {
    let Some(best) = claims
        .iter()
        .filter(|c| c.whole_share >= 0.5)
        .max_by(|a, b| a.rank.cmp(&b.rank).then(a.validated.cmp(&b.validated)))
    else {
        return;
    };
    for c in claims {
        let same_cells = c.whole_values * 10 >= c.validated * 8;
        if c.entity == best.entity
            || c.rank >= best.rank
            || !same_cells
            || c.validated as f64 > best.validated as f64 * 1.1
        {
            continue;
        }
        findings.retain(|f| f.entity != c.entity);
        if let Some(k) = considered.iter_mut().find(|k| k.entity == c.entity) {
            k.reported = false;
            k.reason = format!("the same values are better explained as {}", best.entity);
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
