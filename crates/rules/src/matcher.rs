//! The seam between classifier and engine (like ripgrep's `grep-matcher`):
//! the classifier asks a [`Matcher`] for `(global pattern id, start, end)`
//! triples and never sees which engine produced them.
//!
//! # Match semantics (both engines)
//!
//! * Byte offsets into the haystack; patterns are matched byte-wise with ASCII
//!   `\b`, `\d`, `\w` and ASCII case folding.
//! * Multi-line: `^` / `$` match at value (line) boundaries. No match ever
//!   contains `\n` (enforced when rules load).
//! * Per pattern, matches do not overlap: leftmost start first, and for one
//!   start the longest end. Hyperscan reports every end offset of every match;
//!   [`HyperscanMatcher`] reduces those to the same set the `regex` crate's
//!   `find_iter` yields for the (greedy-only) rule patterns.

use crate::error::RulesError;
use crate::ruleset::RuleSet;

/// A compiled database of all patterns of a [`RuleSet`].
pub trait Matcher: Send + Sync {
    /// Per-thread mutable state (Hyperscan scratch space). Allocate one per
    /// worker thread, not per call.
    type Scratch: Send;

    fn new_scratch(&self) -> Result<Self::Scratch, RulesError>;

    /// Report every match (global pattern id, start, end byte offsets) in
    /// `haystack`. Deduplicated (one end per `(id, start)`, the longest;
    /// no overlapping matches of one pattern). Order not guaranteed.
    fn scan(
        &self,
        scratch: &mut Self::Scratch,
        haystack: &[u8],
        on_match: &mut dyn FnMut(u32, usize, usize),
    ) -> Result<(), RulesError>;

    /// Convenience: all matches, sorted by `(start, id, end)`.
    fn find_all(
        &self,
        scratch: &mut Self::Scratch,
        haystack: &[u8],
    ) -> Result<Vec<(u32, usize, usize)>, RulesError> {
        let mut out = Vec::new();
        self.scan(scratch, haystack, &mut |id, s, e| out.push((id, s, e)))?;
        out.sort_unstable_by_key(|&(id, s, e)| (s, id, e));
        Ok(out)
    }
}

/// Reduce raw `(id, start, end)` reports to non-overlapping matches per
/// pattern: leftmost start first, longest end for a start.
fn reduce_matches(hits: &mut [(u32, usize, usize)], on_match: &mut dyn FnMut(u32, usize, usize)) {
    hits.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
    let mut last: Option<(u32, usize)> = None; // (id, end of last kept match)
    for &(id, start, end) in hits.iter() {
        match last {
            Some((lid, lend)) if lid == id && start < lend => continue,
            _ => {}
        }
        last = Some((id, end));
        on_match(id, start, end);
    }
}

// ---------------------------------------------------------------------------
// regex crate
// ---------------------------------------------------------------------------

/// Pure-Rust matcher: the `regex` crate, patterns one by one. The reference
/// semantics, the benchmark baseline, and the engine on platforms without
/// Hyperscan (about 3x slower on the built-in rules).
#[derive(Debug, Clone)]
pub struct RegexMatcher {
    regexes: Vec<regex::bytes::Regex>,
}

impl RegexMatcher {
    pub fn compile(rules: &RuleSet) -> Result<Self, RulesError> {
        let regexes = rules
            .patterns()
            .map(|(_, entity, p)| {
                regex::bytes::RegexBuilder::new(&p.regex)
                    .unicode(false)
                    .multi_line(true)
                    .case_insensitive(p.caseless)
                    .build()
                    .map_err(|e| RulesError::Compile {
                        engine: "regex",
                        file: entity.source.clone(),
                        pattern: p.id.clone(),
                        message: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(RegexMatcher { regexes })
    }
}

impl Matcher for RegexMatcher {
    type Scratch = ();

    fn new_scratch(&self) -> Result<(), RulesError> {
        Ok(())
    }

    fn scan(
        &self,
        _scratch: &mut (),
        haystack: &[u8],
        on_match: &mut dyn FnMut(u32, usize, usize),
    ) -> Result<(), RulesError> {
        for (id, re) in self.regexes.iter().enumerate() {
            for m in re.find_iter(haystack) {
                on_match(id as u32, m.start(), m.end());
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Hyperscan
// ---------------------------------------------------------------------------

#[cfg(feature = "hyperscan")]
pub use hs::{HyperscanMatcher, HyperscanScratch};

#[cfg(feature = "hyperscan")]
mod hs {
    use std::sync::Mutex;

    use hyperscan::{BlockDatabase, Builder, ExprExt, Matching, Pattern, PatternFlags, Patterns, Scratch};

    use super::{reduce_matches, Matcher};
    use crate::error::RulesError;
    use crate::ruleset::RuleSet;

    /// All patterns of all entities in one Hyperscan block-mode database.
    pub struct HyperscanMatcher {
        db: BlockDatabase,
        /// Scratch spaces are cloned from this one (`hs_clone_scratch` is
        /// cheaper than allocating). A `Scratch` is `Send` but not `Sync`,
        /// hence the mutex; it is only locked while cloning.
        prototype: Mutex<Scratch>,
    }

    /// Per-thread state: Hyperscan scratch plus a reusable buffer for the
    /// raw reports that are reduced after each scan.
    pub struct HyperscanScratch {
        scratch: Scratch,
        hits: Vec<(u32, usize, usize)>,
    }

    impl HyperscanMatcher {
        /// Compile every pattern of `rules` (`SOM_LEFTMOST | MULTILINE`, plus
        /// `CASELESS` where the rule says). No pattern uses `UTF8`: patterns
        /// are byte-wise (non-ASCII literals match their UTF-8 bytes), so
        /// scanning never depends on the haystack being valid UTF-8.
        pub fn compile(rules: &RuleSet) -> Result<Self, RulesError> {
            let patterns: Patterns = rules
                .patterns()
                .map(|(id, _, p)| {
                    let mut flags = PatternFlags::SOM_LEFTMOST | PatternFlags::MULTILINE;
                    if p.caseless {
                        flags |= PatternFlags::CASELESS;
                    }
                    Pattern {
                        expression: p.regex.clone(),
                        flags,
                        id: Some(id as usize),
                        ext: ExprExt::default(),
                        som: None,
                    }
                })
                .collect();
            if patterns.is_empty() {
                return Err(RulesError::Compile {
                    engine: "hyperscan",
                    file: "(rule set)".into(),
                    pattern: "(database)".into(),
                    message: "the rule set has no patterns".into(),
                });
            }
            let db: BlockDatabase = patterns.build().map_err(|e| compile_error(rules, e))?;
            let prototype = db
                .alloc_scratch()
                .map_err(|e| RulesError::Scan(format!("cannot allocate Hyperscan scratch: {e}")))?;
            Ok(HyperscanMatcher {
                db,
                prototype: Mutex::new(prototype),
            })
        }
    }

    fn compile_error(rules: &RuleSet, e: hyperscan::Error) -> RulesError {
        let (file, pattern, message) = match &e {
            hyperscan::Error::Hyperscan(hyperscan::HsError::CompileError(ce)) => {
                match ce.expression().filter(|&i| i < rules.pattern_count()) {
                    Some(i) => {
                        let (entity, p) = rules.pattern(i as u32);
                        (entity.source.clone(), p.id.clone(), ce.message().to_string())
                    }
                    None => ("(rule set)".into(), "(database)".into(), ce.message().to_string()),
                }
            }
            other => ("(rule set)".into(), "(database)".into(), other.to_string()),
        };
        RulesError::Compile {
            engine: "hyperscan",
            file,
            pattern,
            message,
        }
    }

    impl Matcher for HyperscanMatcher {
        type Scratch = HyperscanScratch;

        fn new_scratch(&self) -> Result<HyperscanScratch, RulesError> {
            let proto = self
                .prototype
                .lock()
                .map_err(|_| RulesError::Scan("scratch prototype lock poisoned".into()))?;
            Ok(HyperscanScratch {
                scratch: proto.clone(),
                hits: Vec::new(),
            })
        }

        fn scan(
            &self,
            scratch: &mut HyperscanScratch,
            haystack: &[u8],
            on_match: &mut dyn FnMut(u32, usize, usize),
        ) -> Result<(), RulesError> {
            if u32::try_from(haystack.len()).is_err() {
                return Err(RulesError::Scan(format!(
                    "haystack of {} bytes exceeds Hyperscan's 4 GiB block limit",
                    haystack.len()
                )));
            }
            let HyperscanScratch { scratch, hits } = scratch;
            hits.clear();
            self.db
                .scan(haystack, scratch, |id, from, to, _flags| {
                    hits.push((id, from as usize, to as usize));
                    Matching::Continue
                })
                .map_err(|e| RulesError::Scan(e.to_string()))?;
            reduce_matches(hits, on_match);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reduce_matches;

    #[test]
    fn reduce_keeps_longest_and_drops_overlaps() {
        let mut hits = vec![
            (0, 0, 4),
            (0, 0, 6),
            (0, 1, 6),
            (0, 6, 9),
            (1, 2, 5),
            (1, 0, 3),
        ];
        let mut out = Vec::new();
        reduce_matches(&mut hits, &mut |i, s, e| out.push((i, s, e)));
        assert_eq!(out, vec![(0, 0, 6), (0, 6, 9), (1, 0, 3)]);
    }
}
