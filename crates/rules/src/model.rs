//! The in-memory form of the rules, and the serde shape of a rule file.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::validators::ValidatorKind;

/// How much harm a leak of this entity does; used by posture queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Sensitivity {
    High,
    Medium,
    Low,
}

impl Sensitivity {
    /// The spelling used in rule files, catalogs and reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Sensitivity::High => "HIGH",
            Sensitivity::Medium => "MEDIUM",
            Sensitivity::Low => "LOW",
        }
    }
}

impl fmt::Display for Sensitivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Sensitivity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HIGH" => Ok(Sensitivity::High),
            "MEDIUM" => Ok(Sensitivity::Medium),
            "LOW" => Ok(Sensitivity::Low),
            other => Err(format!("unknown sensitivity {other:?} (HIGH, MEDIUM, LOW)")),
        }
    }
}

/// Which Arrow value kinds a pattern applies to. The classifier renders
/// non-text values as text before scanning (integers and decimals as plain
/// digits, dates as ISO `YYYY-MM-DD`, timestamps as ISO date-time), and only
/// runs the patterns whose `kinds` contain the column's kind: a plain 9-digit
/// pattern is meaningful on an Int64 column, a person-name pattern is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    Text,
    Integer,
    Float,
    Date,
    Timestamp,
    Boolean,
}

impl ValueKind {
    /// The spelling used in rule files.
    pub fn as_str(&self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::Integer => "integer",
            ValueKind::Float => "float",
            ValueKind::Date => "date",
            ValueKind::Timestamp => "timestamp",
            ValueKind::Boolean => "boolean",
        }
    }
}

/// One regular expression that proposes candidates for an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternRule {
    /// Unique within its entity (e.g. `card_grouped`).
    pub id: String,
    /// Pattern text in the Hyperscan / `regex` common subset (see the crate docs).
    pub regex: String,
    /// What decides whether a candidate is real; `None` = the pattern alone.
    pub validator: Option<ValidatorKind>,
    /// Base strength 0..=1 of a validated match, before name hints and context.
    pub score: f64,
    /// Value kinds this pattern is run on.
    pub kinds: Vec<ValueKind>,
    /// ASCII case-insensitive matching (Hyperscan `CASELESS`, regex `(?i)`).
    pub caseless: bool,
    /// `false`: Hyperscan only reports where matches end and the `regex`
    /// crate finds the exact spans on those values. For long shape patterns
    /// (names, addresses) whose start-of-match tracking would make the
    /// Hyperscan database several times larger and slower to compile.
    /// Results are identical either way.
    pub track_start: bool,
    /// The fewest bytes a match spans (from the parsed pattern): a value
    /// shorter than this cannot hold a match.
    pub min_len: usize,
}

impl PatternRule {
    /// Does this pattern apply to values of `kind`?
    pub fn applies_to(&self, kind: ValueKind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// Column-name hints, compiled once.
///
/// A hint is a case-insensitive regex (Unicode-aware, unlike value patterns:
/// column names are short and `straße` / `téléphone` should just work). A
/// hint matches a column name when it finds a match in either
///
/// * the lower-cased name as written (`customer.ip_addr`), or
/// * its *token form*: camelCase split, every run of characters other than
///   letters and digits turned into one space (`customerIPAddr` ->
///   `customer ip addr`, `cc_num` -> `cc num`).
///
/// So `\bip\b` matches `ip`, `client_ip`, `ipAddress` but not `zip`; and
/// `cc[ _]?num` matches `ccnum`, `cc_num` and `ccNum`.
#[derive(Debug, Clone)]
pub struct NameHints {
    positive_src: Vec<String>,
    negative_src: Vec<String>,
    /// Compiled on first use: a scan that classifies nothing (an unchanged
    /// estate) never pays for compiling every entity's hints, which was most
    /// of such a run's CPU. The patterns are parsed (checked) by `new`.
    compiled: OnceLock<CompiledHints>,
}

#[derive(Debug, Clone)]
struct CompiledHints {
    positive: Vec<Regex>,
    negative: Vec<Regex>,
}

impl NameHints {
    /// Checks hint patterns (they are compiled on first use). The error is the
    /// offending hint and the regex error.
    pub fn new(positive: Vec<String>, negative: Vec<String>) -> Result<Self, String> {
        for h in positive.iter().chain(&negative) {
            regex_syntax::ParserBuilder::new()
                .case_insensitive(true)
                .build()
                .parse(h)
                .map_err(|e| format!("name hint {h:?}: {e}"))?;
        }
        Ok(NameHints {
            positive_src: positive,
            negative_src: negative,
            compiled: OnceLock::new(),
        })
    }

    /// An empty set of hints (matches nothing).
    pub fn empty() -> Self {
        NameHints {
            positive_src: Vec::new(),
            negative_src: Vec::new(),
            compiled: OnceLock::new(),
        }
    }

    fn compiled(&self) -> &CompiledHints {
        self.compiled.get_or_init(|| {
            // `new` parsed every pattern, so only the regex crate's size limit
            // could refuse one — far beyond any column-name pattern.
            let compile = |src: &[String]| -> Vec<Regex> {
                src.iter()
                    .filter_map(|h| {
                        RegexBuilder::new(h)
                            .case_insensitive(true)
                            .build()
                            .map_err(|e| tracing::warn!("name hint {h:?} ignored: {e}"))
                            .ok()
                    })
                    .collect()
            };
            CompiledHints {
                positive: compile(&self.positive_src),
                negative: compile(&self.negative_src),
            }
        })
    }

    /// True when the column name suggests this entity (`email`, `Telefonnummer`).
    pub fn positive(&self, column_name: &str) -> bool {
        any_match(&self.compiled().positive, column_name)
    }

    /// True when the column name argues against this entity even though it
    /// may contain a positive word (`email_opt_in`, `card_type`).
    pub fn negative(&self, column_name: &str) -> bool {
        any_match(&self.compiled().negative, column_name)
    }

    /// The positive hint patterns as written in the rule file.
    pub fn positive_patterns(&self) -> &[String] {
        &self.positive_src
    }

    /// The negative hint patterns as written in the rule file.
    pub fn negative_patterns(&self) -> &[String] {
        &self.negative_src
    }
}

impl PartialEq for NameHints {
    fn eq(&self, other: &Self) -> bool {
        self.positive_src == other.positive_src && self.negative_src == other.negative_src
    }
}

fn any_match(hints: &[Regex], column_name: &str) -> bool {
    if hints.is_empty() {
        return false;
    }
    let lower = column_name.to_lowercase();
    let tokens = column_tokens(column_name);
    hints
        .iter()
        .any(|re| re.is_match(&lower) || re.is_match(&tokens))
}

/// The token form of a column name: camelCase split, lower-cased, every run of
/// non-alphanumeric characters replaced by a single space, trimmed.
/// `customerIPAddress` -> `customer ip address`, `e-mail_2` -> `e mail 2`.
pub fn column_tokens(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    let mut pending_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            pending_space = true;
            continue;
        }
        if i > 0 && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // fooBar -> foo bar; IPAddress -> ip address (break before the last capital of a run)
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                pending_space = true;
            }
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Everything lakewarden knows about one entity.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRule {
    /// Presidio-compatible entity name, e.g. `CREDIT_CARD`.
    pub entity: String,
    pub sensitivity: Sensitivity,
    /// In file order; that order fixes the global pattern ids.
    pub patterns: Vec<PatternRule>,
    pub name_hints: NameHints,
    /// Words that, near a match in free text, raise confidence (lower-case).
    pub context_words: Vec<String>,
    /// Values alone are weak evidence (passport numbers, birth dates): the
    /// classifier should only report this entity when a name hint or context
    /// word supports it.
    pub needs_name_hint: bool,
    pub description: String,
    /// Where the rule came from: `builtin:<file>` or a filesystem path. Not
    /// part of the fingerprint.
    pub source: String,
}

impl EntityRule {
    /// The pattern with this id, if any.
    pub fn pattern_by_id(&self, id: &str) -> Option<&PatternRule> {
        self.patterns.iter().find(|p| p.id == id)
    }
}

// ---------------------------------------------------------------------------
// File format (serde). Kept separate from the in-memory types so the file
// format can grow (aliases, defaults) without changing the public structs.
// ---------------------------------------------------------------------------

/// One rule file, as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntityFile {
    pub entity: String,
    pub sensitivity: Sensitivity,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub needs_name_hint: bool,
    /// `false` in a user file removes a built-in entity.
    #[serde(default = "default_true")]
    pub enabled: bool,
    #[serde(default)]
    pub context_words: Vec<String>,
    #[serde(default)]
    pub name_hints: NameHintsFile,
    #[serde(default)]
    pub patterns: Vec<PatternFile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameHintsFile {
    #[serde(default)]
    pub positive: Vec<String>,
    #[serde(default)]
    pub negative: Vec<String>,
    /// Accepted here too because TOML puts a `context_words = ...` line that
    /// follows a `[name_hints]` header into that table; merged into the
    /// entity's list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_words: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatternFile {
    pub id: String,
    pub regex: String,
    #[serde(default)]
    pub validator: Option<ValidatorKind>,
    pub score: f64,
    #[serde(default = "default_kinds")]
    pub kinds: Vec<ValueKind>,
    #[serde(default)]
    pub caseless: bool,
    #[serde(default = "default_true")]
    pub track_start: bool,
}

fn default_true() -> bool {
    true
}

fn default_kinds() -> Vec<ValueKind> {
    vec![ValueKind::Text]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_camel_case_and_separators() {
        assert_eq!(column_tokens("customerIPAddress"), "customer ip address");
        assert_eq!(column_tokens("e-mail_2"), "e mail 2");
        assert_eq!(
            column_tokens("customer.contact.Email"),
            "customer contact email"
        );
        assert_eq!(column_tokens("__Geburtsdatum__"), "geburtsdatum");
        assert_eq!(column_tokens("ipv4Addr"), "ipv4 addr");
        assert_eq!(column_tokens("Straße"), "straße");
    }

    #[test]
    fn hints_match_raw_or_token_form() {
        let h = NameHints::new(
            vec![r"\bip\b".into(), r"cc[ _]?num".into(), "téléphone".into()],
            vec![r"opt[ _]?in".into()],
        )
        .unwrap();
        assert!(h.positive("client_ip"));
        assert!(h.positive("ipAddress"));
        assert!(!h.positive("zip_code"));
        assert!(!h.positive("recipient"));
        assert!(h.positive("CC_NUM"));
        assert!(h.positive("ccNum"));
        assert!(h.positive("Téléphone"));
        assert!(h.negative("email_opt_in"));
        assert!(!h.negative("email"));
    }

    #[test]
    fn sensitivity_strings() {
        assert_eq!(Sensitivity::High.as_str(), "HIGH");
        assert_eq!(
            "medium".parse::<Sensitivity>().unwrap(),
            Sensitivity::Medium
        );
        assert!("x".parse::<Sensitivity>().is_err());
    }
}
