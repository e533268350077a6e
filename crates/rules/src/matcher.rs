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
    /// no overlapping matches of one pattern), in [`MatchOrder`]: by start,
    /// for one start the longest first, then by pattern id — the order a
    /// consumer walking the haystack's values needs, so none sorts again.
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

/// The order [`Matcher::scan`] reports matches in: by start, for one start
/// the longest first, then by pattern id.
pub type MatchOrder = (usize, std::cmp::Reverse<usize>, u32);

/// The [`MatchOrder`] key of a match.
pub fn match_order(id: u32, start: usize, end: usize) -> MatchOrder {
    (start, std::cmp::Reverse(end), id)
}

/// Turn Hyperscan's raw reports into exactly the matches `regex`'s
/// `find_iter` yields, per pattern (leftmost start first, the longest end for
/// that start, no overlaps), reported in [`MatchOrder`].
///
/// * Patterns compiled with start-of-match tracking: Hyperscan reports, for
///   every end offset, only the leftmost start. After a kept match `[s, e)` a
///   later match starting at or after `e` is invisible when its leftmost
///   start lies inside `[s, e)` ("The Quick Brown" kept, "Fox Jumps" reported
///   as "Brown Fox Jumps"). Such a straddling report is the signal to let the
///   `regex` crate finish that line for that one pattern.
/// * Patterns with `track_start = false` report ends only: each value (line)
///   holding an end is searched with the `regex` crate.
///
/// Values are short, so the `regex` work stays proportional to the hits.
/// All reports are sorted once in [`MatchOrder`] and reduced in one pass,
/// each pattern with its own kept end (`kept_end`, reused between calls);
/// what the `regex` crate finds lies ahead of the pass and waits in a heap
/// until the pass reaches it.
#[cfg_attr(not(feature = "hyperscan"), allow(dead_code))]
fn reduce_matches(
    hits: &mut [(u32, usize, usize)],
    kept_end: &mut Vec<usize>,
    haystack: &[u8],
    regexes: &[regex::bytes::Regex],
    track_start: &[bool],
    on_match: &mut dyn FnMut(u32, usize, usize),
) {
    use std::cmp::Reverse;
    let mut ahead: std::collections::BinaryHeap<Reverse<MatchOrder>> = Default::default();
    // End-only reports to the back, grouped by pattern, and searched first.
    let mut tracked = 0;
    for i in 0..hits.len() {
        if track_start[hits[i].0 as usize] {
            hits.swap(i, tracked);
            tracked += 1;
        }
    }
    let (hits, end_only) = hits.split_at_mut(tracked);
    end_only.sort_unstable_by_key(|h| h.0);
    for group in end_only.chunk_by_mut(|a, b| a.0 == b.0) {
        let id = group[0].0;
        search_hit_lines(
            id,
            group,
            haystack,
            &regexes[id as usize],
            &mut |i, s, e| ahead.push(Reverse(match_order(i, s, e))),
        );
    }
    // One integer key when offsets fit 32 bits, lengths 20 and ids 12.
    let longest = hits.iter().map(|h| h.2 - h.1).max().unwrap_or(0);
    if u32::try_from(haystack.len()).is_ok() && longest < 1 << 20 && track_start.len() <= 1 << 12 {
        hits.sort_unstable_by_key(|&(id, s, e)| {
            (s as u64) << 32 | ((0xF_FFFF - (e - s)) as u64) << 12 | id as u64
        });
    } else {
        hits.sort_unstable_by_key(|&(id, s, e)| match_order(id, s, e));
    }
    kept_end.clear();
    kept_end.resize(track_start.len(), 0);
    for &(id, start, end) in hits.iter() {
        let kept = &mut kept_end[id as usize];
        if start >= *kept {
            while let Some(&Reverse(next)) = ahead.peek() {
                if next > match_order(id, start, end) {
                    break;
                }
                ahead.pop();
                let (s, Reverse(e), i) = next;
                on_match(i, s, e);
            }
            on_match(id, start, end);
            *kept = end;
        } else if end > *kept {
            // Straddles the kept match: let `regex` finish this line (what
            // it finds starts at or after the kept end, ahead of the pass).
            let line_end = line_end_at(haystack, *kept);
            regex_in(
                &regexes[id as usize],
                haystack,
                *kept,
                line_end,
                id,
                &mut |i, s, e| ahead.push(Reverse(match_order(i, s, e))),
            );
            *kept = line_end;
        }
        // Otherwise nested in the kept match (or in a line `regex` finished).
    }
    while let Some(Reverse((s, Reverse(e), i))) = ahead.pop() {
        on_match(i, s, e);
    }
}

/// `group`: one pattern's end-only reports. Search every line holding an end.
fn search_hit_lines(
    id: u32,
    group: &mut [(u32, usize, usize)],
    haystack: &[u8],
    re: &regex::bytes::Regex,
    on_match: &mut dyn FnMut(u32, usize, usize),
) {
    group.sort_unstable_by_key(|h| h.2);
    let mut done_until = 0usize;
    for &(_, _, end) in group.iter() {
        if end == 0 || end <= done_until {
            continue;
        }
        // A match never contains '\n', so its last byte (end - 1) is on the line.
        let line_start = haystack[..end - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line_end = line_end_at(haystack, end);
        regex_in(re, haystack, line_start, line_end, id, on_match);
        done_until = line_end;
    }
}

/// Offset of the first '\n' at or after `pos`, or the haystack length.
fn line_end_at(haystack: &[u8], pos: usize) -> usize {
    haystack[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(haystack.len(), |p| pos + p)
}

/// All `regex` matches starting in `from..line_end`. The haystack is cut at
/// `line_end` (a match cannot cross it anyway) but not before `from`, so
/// `\b` still sees the preceding byte.
fn regex_in(
    re: &regex::bytes::Regex,
    haystack: &[u8],
    from: usize,
    line_end: usize,
    id: u32,
    on_match: &mut dyn FnMut(u32, usize, usize),
) {
    let line = &haystack[..line_end];
    let mut pos = from;
    while pos <= line_end {
        let Some(m) = re.find_at(line, pos) else {
            break;
        };
        on_match(id, m.start(), m.end());
        pos = m.end().max(m.start() + 1);
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
        let mut found = Vec::new();
        for (id, re) in self.regexes.iter().enumerate() {
            for m in re.find_iter(haystack) {
                found.push((id as u32, m.start(), m.end()));
            }
        }
        found.sort_unstable_by_key(|&(id, s, e)| match_order(id, s, e));
        for (id, s, e) in found {
            on_match(id, s, e);
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
    use std::path::Path;
    use std::sync::Mutex;

    use hyperscan::{
        BlockDatabase, Builder, ExprExt, Matching, Pattern, PatternFlags, Patterns, Scratch,
        Serialized,
    };
    use sha2::{Digest, Sha256};

    use super::{reduce_matches, Matcher, RegexMatcher};
    use crate::error::RulesError;
    use crate::ruleset::RuleSet;

    /// All patterns of all entities in one Hyperscan block-mode database.
    pub struct HyperscanMatcher {
        db: BlockDatabase,
        /// Same patterns for the `regex` crate: exact spans where Hyperscan
        /// only reports ends or hides a match (see `reduce_matches`).
        regexes: RegexMatcher,
        /// Per global id: compiled with `SOM_LEFTMOST`?
        track_start: Vec<bool>,
        /// Scratch spaces are cloned from this one (`hs_clone_scratch` is
        /// cheaper than allocating). A `Scratch` is `Send` but not `Sync`,
        /// hence the mutex; it is only locked while cloning.
        prototype: Mutex<Scratch>,
    }

    impl std::fmt::Debug for HyperscanMatcher {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("HyperscanMatcher")
                .field("patterns", &self.track_start.len())
                .field("database_bytes", &self.db.size().ok())
                .finish_non_exhaustive()
        }
    }

    /// Per-thread state: Hyperscan scratch plus a reusable buffer for the
    /// raw reports that are reduced after each scan.
    pub struct HyperscanScratch {
        scratch: Scratch,
        hits: Vec<(u32, usize, usize)>,
        /// Per pattern id, the index in `hits` of its latest report.
        last: Vec<usize>,
    }

    impl HyperscanMatcher {
        /// Compile every pattern of `rules` into one block-mode database:
        /// `MULTILINE`, `SOM_LEFTMOST` unless the rule says `track_start =
        /// false`, `CASELESS` where the rule says. No pattern uses `UTF8`: patterns
        /// are byte-wise (non-ASCII literals match their UTF-8 bytes), so
        /// scanning never depends on the haystack being valid UTF-8.
        pub fn compile(rules: &RuleSet) -> Result<Self, RulesError> {
            Self::with_database(rules, Self::build_database(rules)?)
        }

        /// [`HyperscanMatcher::compile`] through a folder of compiled
        /// databases (`<dir>/hyperscan/`), keyed by the patterns, their
        /// flags, the Hyperscan version and the CPU features it builds for:
        /// compiling the built-in rules takes ~0.3 s of every run's start,
        /// loading them a few milliseconds. A file that is missing, damaged
        /// (each starts with the SHA-256 of the rest) or that Hyperscan
        /// refuses (another platform) is compiled again and replaced; a
        /// folder that cannot be written only costs the compile.
        pub fn compile_cached(rules: &RuleSet, dir: Option<&Path>) -> Result<Self, RulesError> {
            let Some(dir) = dir else {
                return Self::compile(rules);
            };
            let path = dir
                .join("hyperscan")
                .join(format!("{}.hsdb", Self::database_key(rules)));
            if let Some(db) = load_database(&path) {
                return Self::with_database(rules, db);
            }
            let db = Self::build_database(rules)?;
            if let Err(e) = store_database(&db, &path) {
                tracing::debug!(path = %path.display(), error = %e, "Hyperscan database not cached");
            }
            Self::with_database(rules, db)
        }

        /// What a compiled database depends on, hashed.
        fn database_key(rules: &RuleSet) -> String {
            let mut h = Sha256::new();
            h.update(hyperscan::version_str().to_bytes());
            #[cfg(target_arch = "x86_64")]
            h.update(
                [
                    std::arch::is_x86_feature_detected!("avx2"),
                    std::arch::is_x86_feature_detected!("avx512bw"),
                    std::arch::is_x86_feature_detected!("avx512vbmi"),
                ]
                .map(u8::from),
            );
            for (id, _, p) in rules.patterns() {
                let p = Self::pattern(id, p);
                h.update(id.to_le_bytes());
                h.update(p.flags.bits().to_le_bytes());
                h.update((p.expression.len() as u64).to_le_bytes());
                h.update(p.expression.as_bytes());
            }
            hex::encode(&h.finalize()[..16])
        }

        fn build_database(rules: &RuleSet) -> Result<BlockDatabase, RulesError> {
            let patterns: Patterns = rules
                .patterns()
                .map(|(id, _, p)| Self::pattern(id, p))
                .collect();
            if patterns.is_empty() {
                return Err(RulesError::Compile {
                    engine: "hyperscan",
                    file: "(rule set)".into(),
                    pattern: "(database)".into(),
                    message: "the rule set has no patterns".into(),
                });
            }
            patterns.build().map_err(|e| compile_error(rules, e))
        }

        fn with_database(rules: &RuleSet, db: BlockDatabase) -> Result<Self, RulesError> {
            let regexes = RegexMatcher::compile(rules)?;
            let track_start = rules.patterns().map(|(_, _, p)| p.track_start).collect();
            let prototype = db
                .alloc_scratch()
                .map_err(|e| RulesError::Scan(format!("cannot allocate Hyperscan scratch: {e}")))?;
            Ok(HyperscanMatcher {
                db,
                regexes,
                track_start,
                prototype: Mutex::new(prototype),
            })
        }
    }

    impl HyperscanMatcher {
        /// One rule pattern as [`HyperscanMatcher::compile`] puts it in the
        /// database, under its global id (benches build variants from it).
        pub fn pattern(id: u32, p: &crate::PatternRule) -> Pattern {
            let mut flags = PatternFlags::MULTILINE;
            if p.track_start {
                flags |= PatternFlags::SOM_LEFTMOST;
            }
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
        }
    }

    /// A cached database, if the file is whole and Hyperscan takes it.
    pub(super) fn load_database(path: &Path) -> Option<BlockDatabase> {
        let bytes = std::fs::read(path).ok()?;
        let (sum, serialized) = bytes.split_at_checked(32)?;
        if Sha256::digest(serialized).as_slice() != sum {
            return None;
        }
        serialized.deserialize().ok()
    }

    /// Write `db` to `path` whole or not at all (a temporary file renamed).
    fn store_database(db: &BlockDatabase, path: &Path) -> std::io::Result<()> {
        let serialized = db.serialize().map_err(std::io::Error::other)?;
        let dir = path.parent().expect("a file under the cache folder");
        std::fs::create_dir_all(dir)?;
        // Unique per writer: runs (and test threads) may store at once.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{}-{n}.tmp", std::process::id()));
        let mut bytes = Sha256::digest(&*serialized).to_vec();
        bytes.extend_from_slice(&serialized);
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    fn compile_error(rules: &RuleSet, e: hyperscan::Error) -> RulesError {
        let (file, pattern, message) = match &e {
            hyperscan::Error::Hyperscan(hyperscan::HsError::CompileError(ce)) => {
                match ce.expression().filter(|&i| i < rules.pattern_count()) {
                    Some(i) => {
                        let (entity, p) = rules.pattern(i as u32);
                        (
                            entity.source.clone(),
                            p.id.clone(),
                            ce.message().to_string(),
                        )
                    }
                    None => (
                        "(rule set)".into(),
                        "(database)".into(),
                        ce.message().to_string(),
                    ),
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
                last: Vec::new(),
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
            let HyperscanScratch {
                scratch,
                hits,
                last,
            } = scratch;
            hits.clear();
            last.clear();
            last.resize(self.track_start.len(), usize::MAX);
            self.db
                .scan(haystack, scratch, |id, from, to, _flags| {
                    // Hyperscan reports every end of a match in end order;
                    // with start tracking, the ends of one (pattern, start)
                    // come one after another among that pattern's reports.
                    // Keeping only the longest here (what `reduce_matches`
                    // would keep) spares a sort of ~10x more reports.
                    let (from, to) = (from as usize, to as usize);
                    let prev = last.get(id as usize).copied().unwrap_or(usize::MAX);
                    if let Some(h) = hits.get_mut(prev) {
                        if h.1 == from && self.track_start[id as usize] {
                            h.2 = h.2.max(to);
                            return Matching::Continue;
                        }
                    }
                    if let Some(l) = last.get_mut(id as usize) {
                        *l = hits.len();
                    }
                    hits.push((id, from, to));
                    Matching::Continue
                })
                .map_err(|e| RulesError::Scan(e.to_string()))?;
            // `last` is done with: it keeps each pattern's kept end now.
            reduce_matches(
                hits,
                last,
                haystack,
                &self.regexes.regexes,
                &self.track_start,
                on_match,
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_pattern(rx: &str) -> RuleSet {
        one_pattern_with(rx, "")
    }

    fn one_pattern_with(rx: &str, extra: &str) -> RuleSet {
        RuleSet::from_toml_files([(
            "t.toml".to_string(),
            format!("entity = \"T\"\nsensitivity = \"LOW\"\n[[patterns]]\nid = \"p\"\nregex = '{rx}'\nscore = 0.5\n{extra}\n"),
        )])
        .unwrap()
    }

    #[test]
    fn reduce_keeps_longest_and_drops_nested() {
        let rules = one_pattern("x");
        let re = RegexMatcher::compile(&rules).unwrap();
        let hay = b"0123456789";
        let mut hits = vec![
            (0, 0, 4),
            (0, 0, 6),
            (0, 1, 5),
            (0, 6, 9),
            (1, 2, 5),
            (1, 0, 3),
        ];
        let mut out = Vec::new();
        let regexes = vec![re.regexes[0].clone(), re.regexes[0].clone()];
        reduce_matches(
            &mut hits,
            &mut Vec::new(),
            hay,
            &regexes,
            &[true, true],
            &mut |i, s, e| out.push((i, s, e)),
        );
        assert_eq!(out, vec![(0, 0, 6), (1, 0, 3), (0, 6, 9)]);
    }

    #[cfg(feature = "hyperscan")]
    #[test]
    fn cached_databases_match_as_compiled_ones_and_damaged_files_are_replaced() {
        let rules = RuleSet::builtin().unwrap();
        let dir = std::env::temp_dir().join(format!("lakewarden-hsdb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let hay = b"jane.doe@example.com\n+44 20 7946 0958\nDE89 3704 0044 0532 0130 00\n078-05-1120\nnothing";
        let compiled = HyperscanMatcher::compile(&rules).unwrap();
        let want = compiled
            .find_all(&mut compiled.new_scratch().unwrap(), hay)
            .unwrap();
        assert!(want.len() >= 4, "{want:?}");
        let files = || -> Vec<std::path::PathBuf> {
            std::fs::read_dir(dir.join("hyperscan"))
                .map(|d| d.map(|e| e.unwrap().path()).collect())
                .unwrap_or_default()
        };
        // First run: compiled and stored. Second: loaded. Then a damaged
        // file and one cut short: compiled again and replaced.
        for damage in [None, None, Some(false), Some(true)] {
            if let Some(truncate) = damage {
                let path = &files()[0];
                let mut bytes = std::fs::read(path).unwrap();
                if truncate {
                    bytes.truncate(40);
                } else {
                    let last = bytes.len() - 1;
                    bytes[last] ^= 0xff;
                }
                std::fs::write(path, bytes).unwrap();
            }
            let m = HyperscanMatcher::compile_cached(&rules, Some(&dir)).unwrap();
            let got = m.find_all(&mut m.new_scratch().unwrap(), hay).unwrap();
            assert_eq!(got, want, "{damage:?}");
            let stored = files();
            assert_eq!(stored.len(), 1, "{stored:?}");
            assert!(super::hs::load_database(&stored[0]).is_some(), "{damage:?}");
        }
        // Another rule set is another file.
        let other = one_pattern_with(r"\bfoo\b", "");
        HyperscanMatcher::compile_cached(&other, Some(&dir)).unwrap();
        assert_eq!(files().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(feature = "hyperscan")]
    #[test]
    fn straddling_and_end_only_matches_equal_regex() {
        // With start tracking Hyperscan reports "Brown Fox Jumps" (leftmost
        // start for that end); regex finds "The Quick Brown" then "Fox Jumps".
        // Without it, only ends are reported. Both must come out as regex's.
        let rx = r"\b[A-Z][a-z]+(?:[ ][A-Z][a-z]+){1,2}";
        let hay = b"The Quick Brown Fox Jumps\nOver The Lazy Dog Again And Again\nno names here\nJust Once";
        for extra in ["", "track_start = false"] {
            let rules = one_pattern_with(rx, extra);
            let re = RegexMatcher::compile(&rules).unwrap();
            let hs = HyperscanMatcher::compile(&rules).unwrap();
            let a = re.find_all(&mut (), hay).unwrap();
            let b = hs.find_all(&mut hs.new_scratch().unwrap(), hay).unwrap();
            assert_eq!(a, b, "{extra}");
            let texts: Vec<&str> = a
                .iter()
                .map(|&(_, s, e)| std::str::from_utf8(&hay[s..e]).unwrap())
                .collect();
            assert_eq!(
                texts,
                [
                    "The Quick Brown",
                    "Fox Jumps",
                    "Over The Lazy",
                    "Dog Again And",
                    "Just Once"
                ]
            );
        }
    }

    #[cfg(feature = "hyperscan")]
    #[test]
    fn matches_the_regex_crate_finds_are_reported_in_match_order() {
        // A straddling pattern, the same one end-only, and a short pattern
        // hitting between and inside their matches: what `regex` finishes
        // must come out merged in `MatchOrder` with Hyperscan's own matches.
        let names = r"\b[A-Z][a-z]+(?:[ ][A-Z][a-z]+){1,2}";
        let rules = RuleSet::from_toml_files([(
            "t.toml".to_string(),
            format!(
                "entity = \"T\"\nsensitivity = \"LOW\"\n\
                 [[patterns]]\nid = \"names\"\nregex = '{names}'\nscore = 0.5\n\
                 [[patterns]]\nid = \"names_end_only\"\nregex = '{names}'\nscore = 0.5\ntrack_start = false\n\
                 [[patterns]]\nid = \"capital\"\nregex = '[A-Z][a-z]'\nscore = 0.5\n"
            ),
        )])
        .unwrap();
        let hay =
            b"The Quick Brown Fox Jumps\nOver The Lazy Dog Again And Again\nx Just Once y Zed";
        let reported = |m: &dyn Matcher<Scratch = ()>| {
            let mut out = Vec::new();
            m.scan(&mut (), hay, &mut |id, s, e| out.push((id, s, e)))
                .unwrap();
            out
        };
        let want = reported(&RegexMatcher::compile(&rules).unwrap());
        assert!(want.is_sorted_by_key(|&(id, s, e)| match_order(id, s, e)));
        let hs = HyperscanMatcher::compile(&rules).unwrap();
        let mut got = Vec::new();
        hs.scan(&mut hs.new_scratch().unwrap(), hay, &mut |id, s, e| {
            got.push((id, s, e))
        })
        .unwrap();
        assert_eq!(got, want);
        assert!(want.iter().any(|m| m.0 == 1) && want.iter().any(|m| m.0 == 2));
    }
}
