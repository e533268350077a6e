//! lakewarden-rules: PII rule files, compiled into one matcher database, plus
//! the validators, normalisers and masking the classifier needs.
//!
//! Rules are data, not code: one TOML file per entity in `rules/entities/`
//! (embedded into the binary at build time), optionally overridden or
//! extended by a user directory ([`RuleSet::load`]). Patterns only propose
//! candidates; a named [validator](validators) decides.
//!
//! # Rule file format
//!
//! ```toml
//! entity = "CREDIT_CARD"            # UPPER_SNAKE_CASE; Presidio's name where there is one
//! sensitivity = "HIGH"              # HIGH | MEDIUM | LOW
//! description = "Payment card number (PAN)"
//! needs_name_hint = false           # true: values alone are weak (passport, birth date)
//! enabled = true                    # optional; false in a user file removes the entity
//! context_words = ["card", "visa"]  # lower-case words that support a match in free text
//!
//! [name_hints]                      # case-insensitive regexes over column names
//! positive = ['card', 'cc[ _]?num', '\bpan\b']
//! negative = ['card[ _]?type', 'scorecard']
//!
//! [[patterns]]
//! id = "card_grouped"               # lower_snake_case, unique in the file
//! regex = '\b(?:[0-9]{4}[ -]){3}[0-9]{1,7}\b'
//! validator = "luhn"                # optional; see ValidatorKind (snake_case)
//! score = 0.9                       # 0..=1 base strength of a validated match
//! kinds = ["text", "integer"]       # optional, default ["text"]; see ValueKind
//! caseless = false                  # optional; ASCII case-insensitive
//! track_start = true                # optional; false: Hyperscan reports ends only and
//!                                   # the regex crate finds the spans on those values
//! ```
//!
//! Top-level keys must precede the `[name_hints]` table (TOML rule); a
//! `context_words` key written inside `[name_hints]` is accepted as well.
//!
//! Name hints match the lower-cased column name or its token form
//! (`customerIPAddr` -> `customer ip addr`), see [`NameHints`].
//!
//! # Pattern language
//!
//! The subset on which Hyperscan and the `regex` crate agree, matched
//! byte-wise (ASCII `\b \d \w`, ASCII case folding), multi-line. Checked when
//! rules load; a violation names the file and pattern id:
//!
//! * no match may contain `\n` (values are joined with `\n` and scanned
//!   once): no `\s`, `\W`, `\D`, `(?s)`; negated classes must exclude `\n`;
//! * no empty matches, no lazy quantifiers, no look-around or
//!   back-references, no `\A` / `\z` (use `^` / `$`, which match per value);
//! * non-ASCII letters are allowed as literals (`stra(?:ß|ss)e`), inside a
//!   class only as UTF-8 byte escapes (`\xC3[\xA0-\xBF]`).
//!
//! # Matching
//!
//! [`HyperscanMatcher`] (feature `hyperscan`, default) compiles all patterns
//! of a [`RuleSet`] into one block-mode database; [`RegexMatcher`] is the
//! pure-Rust reference with identical results. Both implement [`Matcher`] and
//! report `(global pattern id, start, end)`; [`RuleSet::pattern`] maps an id
//! back to its entity and pattern, and [`validate_match`] decides.

mod error;
mod mask;
mod matcher;
mod model;
mod ruleset;
mod syntax;
pub mod validators;

pub use error::RulesError;
pub use mask::mask;
pub use matcher::{match_order, MatchOrder, Matcher, RegexMatcher};
#[cfg(feature = "hyperscan")]
pub use matcher::{HyperscanMatcher, HyperscanScratch};
pub use model::{column_tokens, EntityRule, NameHints, PatternRule, Sensitivity, ValueKind};
pub use ruleset::RuleSet;
pub use validators::{
    card_scheme, iban_length, normalize_email, normalize_phone, validate, validate_match,
    validate_match_in_text, ValidatorKind,
};
