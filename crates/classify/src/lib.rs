//! `lakewarden-classify`: Arrow arrays in, column findings out.
//!
//! For every leaf column (nested structs and lists flattened to
//! `column_path`s) the classifier gathers evidence batch by batch — pattern
//! matches from the one compiled rules database, validator verdicts, context
//! words, dictionary hits, typed-value statistics — and at the end turns it
//! into findings with a confidence (see [`score`] for the decision rule).
//!
//! Architecture Invariant: this crate never touches a store or the catalog,
//! and no raw value leaves it: evidence is masked by `lakewarden_rules::mask`
//! before it is stored in a finding.

pub mod column;
pub mod dict;
pub mod partial;
pub mod path;
pub mod score;
#[cfg(test)]
mod tests;

use aho_corasick::AhoCorasick;
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Date32Type};
use column::{plain_decimal, ColumnAccumulator, LeafKind};
use dict::Dictionaries;
use lakewarden_rules::{match_order, validate_match_in_text, Matcher, RuleSet, ValueKind};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use partial::{ColumnPartial, FileColumn};
pub use score::{ColumnResult, Considered, Finding, Method};

/// Knobs of the classifier (the scan passes them through from its config).
#[derive(Debug, Clone)]
pub struct ClassifierConfig {
    /// Bytes of one value that are matched; longer values are cut (and the
    /// finding says so). Keeps a 1 MB cell from dominating a batch.
    pub max_value_bytes: usize,
    /// Findings below this confidence are not reported (but kept in `considered`).
    pub min_confidence: f64,
    /// Validated values a column needs before an entity is reported (k of the
    /// sampling guarantee; 1 for columns with fewer than 100 values).
    pub min_hits: u64,
    /// Masked examples kept per finding.
    pub max_examples: usize,
    /// Values per text column kept for a language model (0: no LLM check,
    /// the default). Masked as they are taken (`lakewarden_llm::mask`).
    pub llm_sample_values: usize,
    /// Keep those values raw instead (`--llm-raw-samples`; the caller checks
    /// that the endpoint may receive them).
    pub llm_raw_samples: bool,
    /// Scan a value repeated within a batch once and count its evidence
    /// once per occurrence (the default; see [`column::RepeatPolicy`]).
    /// Off only to check that it changes no result.
    pub scan_repeats_once: bool,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            max_value_bytes: 64 * 1024,
            min_confidence: 0.45,
            min_hits: 2,
            max_examples: 3,
            llm_sample_values: 0,
            llm_raw_samples: false,
            scan_repeats_once: true,
        }
    }
}

/// A classifier over one compiled rule set; shared by all datasets of a scan.
pub struct Classifier<M: Matcher> {
    rules: Arc<RuleSet>,
    matcher: Arc<M>,
    /// Loaded on first use: a re-scan that finds nothing changed classifies
    /// nothing and should not pay for parsing the name lists.
    dicts: std::sync::OnceLock<Dictionaries>,
    scratch: Mutex<Vec<M::Scratch>>,
    config: ClassifierConfig,
    /// Per global pattern id, what a match needs looked up.
    pattern_info: Vec<PatternInfo>,
    /// Per entity index, the slot of its first pattern in a batch's
    /// per-pattern counts (its patterns follow in order).
    pattern_base: Vec<usize>,
    /// Per entity index, its context words as one automaton (ASCII case
    /// folded), `None` for an entity without context words.
    context: Vec<Option<AhoCorasick>>,
    /// The fewest bytes a match of a pattern that applies to text / to
    /// integers spans (`usize::MAX`: no pattern applies).
    min_match_len: (usize, usize),
    /// Buffers of `observe_text`, reused from batch to batch.
    text_scratch: Mutex<Vec<TextScratch>>,
}

impl<M: Matcher> Classifier<M> {
    pub fn new(rules: Arc<RuleSet>, matcher: Arc<M>, config: ClassifierConfig) -> Self {
        let pattern_info = rules
            .patterns()
            .map(|(id, _, p)| {
                let (entity, index) = rules.pattern_position(id);
                PatternInfo {
                    entity: entity as u32,
                    index: index as u32,
                    validator: p.validator,
                    text: p.applies_to(ValueKind::Text),
                    integer: p.applies_to(ValueKind::Integer),
                }
            })
            .collect();
        let pattern_base = rules
            .entities()
            .iter()
            .scan(0, |next, e| {
                let base = *next;
                *next += e.patterns.len();
                Some(base)
            })
            .collect();
        let context = rules
            .entities()
            .iter()
            .map(|e| {
                if e.context_words.is_empty() {
                    return None;
                }
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    // A few short words, searched in windows of ~60 bytes
                    // per validated match: a full DFA is the fastest per byte.
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&e.context_words)
                    .ok()
            })
            .collect();
        let min_len = |kind| {
            rules
                .patterns()
                .filter(|(_, _, p)| p.applies_to(kind))
                .map(|(_, _, p)| p.min_len)
                .min()
                .unwrap_or(usize::MAX)
        };
        let min_match_len = (min_len(ValueKind::Text), min_len(ValueKind::Integer));
        Classifier {
            rules,
            matcher,
            dicts: std::sync::OnceLock::new(),
            scratch: Mutex::new(Vec::new()),
            config,
            pattern_info,
            pattern_base,
            context,
            min_match_len,
            text_scratch: Mutex::new(Vec::new()),
        }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    fn dicts(&self) -> &Dictionaries {
        self.dicts.get_or_init(Dictionaries::builtin)
    }

    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// Start classifying one dataset.
    pub fn dataset(&self) -> DatasetClassifier<'_, M> {
        DatasetClassifier {
            classifier: self,
            columns: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn with_scratch<R>(&self, f: impl FnOnce(&mut M::Scratch) -> R) -> R {
        let taken = self.scratch.lock().map(|mut v| v.pop()).unwrap_or(None);
        let mut s = match taken {
            Some(s) => s,
            None => self
                .matcher
                .new_scratch()
                .expect("allocating matcher scratch space (out of memory?)"),
        };
        let r = f(&mut s);
        if let Ok(mut v) = self.scratch.lock() {
            v.push(s);
        }
        r
    }

    /// Add one leaf array's evidence to `acc`.
    fn observe_leaf(&self, acc: &mut ColumnAccumulator, array: &ArrayRef) {
        acc.values += array.len() as u64;
        acc.nulls += array.logical_null_count() as u64;
        match acc.kind {
            LeafKind::Text => {
                let values = text_values(array);
                self.observe_text(acc, &values, ValueKind::Text);
            }
            LeafKind::Integer => {
                let Ok(strings) = arrow::compute::cast(array, &DataType::Utf8) else {
                    return;
                };
                let values = text_values(&strings);
                self.observe_text(acc, &values, ValueKind::Integer);
            }
            LeafKind::Float => {
                let Ok(f) = arrow::compute::cast(array, &DataType::Float64) else {
                    return;
                };
                let f = f.as_primitive::<arrow::datatypes::Float64Type>();
                for v in f.iter().flatten() {
                    acc.floats.observe(v);
                }
            }
            LeafKind::Date => {
                let Ok(d) = arrow::compute::cast(array, &DataType::Date32) else {
                    return;
                };
                let today = chrono::Utc::now().date_naive();
                for days in d.as_primitive::<Date32Type>().iter().flatten() {
                    let Some(date) = Date32Type::to_naive_date_opt(days) else {
                        continue;
                    };
                    use chrono::Datelike;
                    let y = date.year();
                    acc.dates.values += 1;
                    acc.dates.min_year = Some(acc.dates.min_year.map_or(y, |m| m.min(y)));
                    acc.dates.max_year = Some(acc.dates.max_year.map_or(y, |m| m.max(y)));
                    if y >= 1900 && date <= today && today.year() - y <= 120 {
                        acc.dates.plausible_birth += 1;
                    }
                    acc.dates.count_month(y, date.month());
                }
            }
            LeafKind::Boolean | LeafKind::Binary | LeafKind::Other => {}
        }
    }

    /// Every match in `buf` (values joined with `\n`, starting at `starts`),
    /// with offsets into `buf`; `None` if the matcher failed. A big buffer
    /// (one wide text column can hold most of a batch's bytes, and then one
    /// core would scan while the other idles) is cut at value starts into
    /// parts scanned in parallel: matches never cross a value, so the
    /// matches are the same as one scan's.
    fn scan_values(
        &self,
        buf: &[u8],
        starts: &[usize],
        found: &mut Vec<(u32, usize, usize)>,
    ) -> Option<()> {
        let parts = (buf.len() / PARALLEL_SCAN_BYTES).clamp(1, rayon::current_num_threads().max(1));
        let mut bounds = vec![0usize];
        for k in 1..parts {
            let target = buf.len() * k / parts;
            let at = starts.partition_point(|&s| s < target);
            if let Some(&cut) = starts.get(at) {
                if cut > *bounds.last().expect("starts with 0") {
                    bounds.push(cut);
                }
            }
        }
        bounds.push(buf.len());
        found.clear();
        let scan_part = |lo: usize, hi: usize, found: &mut Vec<(u32, usize, usize)>| {
            self.with_scratch(|s| {
                self.matcher.scan(s, &buf[lo..hi], &mut |id, from, to| {
                    found.push((id, from + lo, to + lo))
                })
            })
            .ok()
        };
        if bounds.len() == 2 {
            return scan_part(0, buf.len(), found);
        }
        let parts: Vec<Option<Vec<(u32, usize, usize)>>> = bounds
            .par_windows(2)
            .map(|w| {
                let mut part = Vec::new();
                scan_part(w[0], w[1], &mut part).map(|()| part)
            })
            .collect();
        found.reserve(parts.iter().flatten().map(Vec::len).sum());
        for part in parts {
            found.extend(part?);
        }
        Some(())
    }

    /// Keep the first distinct values of a column for a possible LLM check,
    /// masked on the spot so that no raw value outlives the batch.
    fn keep_for_llm(&self, acc: &mut ColumnAccumulator, value: &str) {
        let want = self.config.llm_sample_values;
        if acc.llm_sample.len() >= want || value.is_empty() {
            return;
        }
        if !acc.llm_sample_seen.insert(value_hash(value)) {
            return;
        }
        acc.llm_sample.push(if self.config.llm_raw_samples {
            value
                .chars()
                .take(lakewarden_llm::mask::MAX_MASKED_CHARS)
                .collect()
        } else {
            lakewarden_llm::shape_mask(value, self.dicts())
        });
    }

    /// Join the values with `\n`, scan once, map match offsets back to values.
    fn observe_text(&self, acc: &mut ColumnAccumulator, values: &[&str], kind: ValueKind) {
        if values.is_empty() {
            return;
        }
        let mut scratch = self
            .text_scratch
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default();
        self.observe_text_in(acc, values, kind, &mut scratch);
        // Kept for the next batch unless it grew unusually large.
        if scratch.buf.capacity() <= MAX_KEPT_BUFFER {
            if let Ok(mut pool) = self.text_scratch.lock() {
                pool.push(scratch);
            }
        }
    }

    fn observe_text_in(
        &self,
        acc: &mut ColumnAccumulator,
        values: &[&str],
        kind: ValueKind,
        scratch: &mut TextScratch,
    ) {
        let text = kind == ValueKind::Text;
        let cap = self.config.max_value_bytes;
        let total: usize = values.iter().map(|v| v.len().min(cap) + 1).sum();
        let TextScratch {
            buf,
            starts,
            checked,
            found,
            first_of,
            occurrences,
        } = scratch;
        buf.clear();
        buf.reserve(total);
        // One start per value in `buf` plus the end of the buffer: value `i`
        // is `buf[starts[i]..starts[i + 1] - 1]` (its `\n` follows).
        starts.clear();
        starts.reserve(values.len() + 1);
        // A value repeated in the batch is joined (and scanned, validated,
        // walked) once; `occurrences` says how many values it stands for.
        let fold_repeats = self.config.scan_repeats_once && acc.repeats.try_batch();
        first_of.clear();
        occurrences.clear();
        let mut repeated_bytes = 0usize;
        let mut chars = 0u64;
        let mut longest = 0;
        for v in values {
            let cut = if v.len() > cap {
                acc.capped_values += 1;
                let mut end = cap;
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                &v[..end]
            } else {
                v
            };
            // Past the cap nothing is inserted: no need to hash.
            let hash = (fold_repeats || !acc.distinct.is_full()).then(|| value_hash(cut));
            if let Some(h) = hash.filter(|_| !acc.distinct.is_full()) {
                acc.distinct.insert(h);
            }
            let repeat_of = match hash.filter(|_| fold_repeats) {
                None => None,
                Some(h) => match first_of.entry(h) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        let i = *e.get() as usize;
                        let end = starts.get(i + 1).map_or(buf.len(), |&next| next) - 1;
                        // The same bytes, not only the same hash.
                        (buf.as_bytes()[starts[i]..end] == *cut.as_bytes()).then_some(i)
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(starts.len() as u32);
                        None
                    }
                },
            };
            if fold_repeats && text {
                chars += utf8_chars(cut.as_bytes());
            }
            if let Some(i) = repeat_of {
                occurrences[i] += 1;
                repeated_bytes += cut.len() + 1;
            } else {
                longest = longest.max(cut.len());
                starts.push(buf.len());
                buf.push_str(cut);
                buf.push('\n');
                if fold_repeats {
                    occurrences.push(1);
                }
            }
            if text {
                if let Some((y, m)) = iso_date_prefix(cut) {
                    acc.dates.iso_text += 1;
                    acc.dates.count_month(y, m);
                }
                // Numbers written as text (every CSV field): coordinates too.
                if let Some(f) = plain_decimal(cut) {
                    acc.floats.observe(f);
                }
                acc.observe_name_shape(self.dicts(), cut.trim());
                if self.config.llm_sample_values > 0 {
                    self.keep_for_llm(acc, cut.trim());
                }
            }
        }
        let joined = starts.len();
        starts.push(buf.len());
        if fold_repeats {
            acc.repeats.saw_batch(repeated_bytes, total);
        }
        if text {
            acc.text_values += values.len() as u64;
            acc.text_chars += if fold_repeats {
                chars
            } else {
                // Every byte that starts a character, less the separators
                // (cuts end on character boundaries).
                utf8_chars(buf.as_bytes()) - joined as u64
            };
        }
        // No value is as long as the shortest match of a pattern that
        // applies (integer ids, short codes): nothing can match.
        let min_len = match kind {
            ValueKind::Text => self.min_match_len.0,
            ValueKind::Integer => self.min_match_len.1,
            _ => usize::MAX,
        };
        if longest < min_len {
            return;
        }
        let text: &str = buf;
        let buf: &[u8] = text.as_bytes();
        let starts: &[usize] = starts;
        if self.scan_values(buf, &starts[..joined], found).is_none() {
            return;
        }
        // The expensive validators' budget goes to the candidates by pattern,
        // then position. Only a batch where it runs out has to pick.
        let is_expensive_here = |id: u32| {
            let info = self.pattern_info[id as usize];
            info.applies_to(kind) && info.validator.is_some_and(is_expensive)
        };
        let room = EXPENSIVE_CHECKS_PER_COLUMN.saturating_sub(acc.expensive_checks);
        let mut budgeted: Option<Vec<bool>> = None;
        if room > 0 && found.iter().filter(|m| is_expensive_here(m.0)).count() as u64 > room {
            let mut by_pattern: Vec<(u32, u32)> = (0..found.len() as u32)
                .filter(|&i| is_expensive_here(found[i as usize].0))
                .map(|i| (found[i as usize].0, i))
                .collect();
            by_pattern.sort_unstable();
            let mut may = vec![false; found.len()];
            for &(_, i) in &by_pattern[..room as usize] {
                may[i as usize] = true;
            }
            budgeted = Some(may);
        }
        // Validate every match first.
        checked.clear();
        checked.reserve(found.len());
        for (i, &(id, from, to)) in found.iter().enumerate() {
            let info = self.pattern_info[id as usize];
            if !info.applies_to(kind) {
                continue;
            }
            let check = match info.validator {
                None => Check::Valid,
                // Past the budget, an expensive validator's verdict is
                // estimated from the values it did check (see score.rs).
                Some(v)
                    if is_expensive(v)
                        && !budgeted.as_ref().map_or(
                            acc.expensive_checks < EXPENSIVE_CHECKS_PER_COLUMN,
                            |may| may[i],
                        ) =>
                {
                    Check::Unchecked
                }
                Some(v) => {
                    if is_expensive(v) {
                        acc.expensive_checks += 1;
                    }
                    if validate_match_in_text(v, text, from, to) {
                        Check::Valid
                    } else {
                        Check::Invalid
                    }
                }
            };
            checked.push(Checked {
                from,
                to,
                id,
                entity: info.entity,
                check,
            });
        }
        // In value order; within a value by start, longest first, then
        // pattern id: the matcher's `MatchOrder`, kept by the filter above
        // and by `scan_values` (parts in order).
        debug_assert!(checked.is_sorted_by_key(|c| match_order(c.id, c.from, c.to)));
        let checked: &[Checked] = checked;
        let mut batch = BatchEvidence::new(&self.pattern_base, self.pattern_info.len());
        let mut value_hits: Vec<(u32, Hit)> = Vec::new();
        let mut vi = 0;
        let mut g0 = 0;
        while g0 < checked.len() {
            // Matches never cross a value: the value holding the first
            // match's start holds the whole group.
            while starts[vi + 1] <= checked[g0].from {
                vi += 1;
            }
            let (vstart, vend) = (starts[vi], starts[vi + 1] - 1);
            let mut g1 = g0 + 1;
            while g1 < checked.len() && checked[g1].from <= vend {
                g1 += 1;
            }
            let group = &checked[g0..g1];
            g0 = g1;
            let trimmed_len = buf[vstart..vend].trim_ascii().len().max(1);
            // A match of at least 80 % of the trimmed value is the value.
            let spans_value = |m: &Checked| (m.to - m.from) * 10 >= trimmed_len * 8;
            value_hits.clear();
            for (k, c) in group.iter().enumerate() {
                // Drop a match inside a longer validated match of another
                // entity in the same value: the digits of a card number are
                // not also a phone number. Such a match sorts before it. A
                // value that is all one longer match of another entity is
                // that shape even when its checksum fails: the digits of an
                // IBAN-shaped code that fails mod-97 are no phone number.
                let inside_other = group[..k].iter().any(|o| {
                    (o.check == Check::Valid || (o.check == Check::Invalid && spans_value(o)))
                        && o.entity != c.entity
                        && o.to - o.from > c.to - c.from
                        && o.from <= c.from
                        && c.to <= o.to
                });
                if inside_other {
                    continue;
                }
                let ok = c.check == Check::Valid;
                let spans_whole = spans_value(c);
                // An integer is one value, never free text: only whole matches count.
                if kind == ValueKind::Integer && !spans_whole {
                    continue;
                }
                let h = match value_hits.iter().position(|(e, _)| *e == c.entity) {
                    Some(k) => &mut value_hits[k].1,
                    None => {
                        value_hits.push((c.entity, Hit::default()));
                        &mut value_hits.last_mut().expect("just pushed").1
                    }
                };
                h.validated |= ok;
                h.whole |= ok && spans_whole;
                if c.check == Check::Unchecked {
                    h.unchecked = true;
                    h.unchecked_whole |= spans_whole;
                } else if !ok {
                    h.failed += 1;
                }
                if ok && h.example.is_none() {
                    h.example = Some((c.from, c.to));
                }
                h.saw_pattern(self.pattern_info[c.id as usize].index as usize, ok);
            }
            // Each value's hits per entity, folded in value order: examples
            // come in value order, so the same data gives the same examples.
            let times = occurrences.get(vi).map_or(1, |&n| u64::from(n));
            // By reference: a `Hit` is 80-odd bytes, and moving each out
            // (`drain`) showed in profiles.
            for (eidx, hit) in &value_hits {
                let rule = &self.rules.entities()[*eidx as usize];
                self.fold_hit(
                    acc,
                    &mut batch,
                    *eidx as usize,
                    rule,
                    hit,
                    times,
                    (vstart, vend),
                    buf,
                );
            }
        }
        self.merge_batch(acc, batch, buf);
    }

    /// Add one value's hit of `rule` to the batch's evidence, `times` over
    /// (the value stands for that many equal values of the batch).
    #[allow(clippy::too_many_arguments)]
    fn fold_hit(
        &self,
        acc: &ColumnAccumulator,
        batch: &mut BatchEvidence,
        eidx: usize,
        rule: &lakewarden_rules::EntityRule,
        hit: &Hit,
        times: u64,
        (vstart, vend): (usize, usize),
        buf: &[u8],
    ) {
        let base = self.pattern_base[eidx];
        let ev = &mut batch.entities[eidx];
        if !ev.touched {
            ev.touched = true;
            // Examples are only gathered while the column has room for more.
            ev.examples_full = acc
                .entities
                .get(&rule.entity)
                .is_some_and(|e| e.examples.len() >= self.config.max_examples);
        }
        ev.candidates += times;
        ev.validator_failures += hit.failed * times;
        for (pidx, ok) in hit.patterns() {
            let p = &rule.patterns[pidx];
            let slot = &mut batch.patterns[base + pidx];
            slot.0 += times;
            if ok {
                slot.1 += times;
                ev.best_score = ev.best_score.max(p.score);
                if ev.validator.is_none() {
                    ev.validator = p.validator.map(|v| v.as_str());
                }
            }
        }
        if !hit.validated && hit.unchecked {
            ev.unchecked += times;
            if hit.unchecked_whole {
                ev.unchecked_whole += times;
            }
        }
        if !hit.validated {
            return;
        }
        ev.validated += times;
        if hit.whole {
            ev.whole += times;
        }
        // A context word counts near the match (`tel. 0151…`), not anywhere
        // in a long value (`Mobile Safari` in a user agent). The words are
        // lower-case already (the rule loader folds them).
        if !rule.context_words.is_empty() {
            let (ws, we) = match hit.example {
                Some((a, b)) => (
                    a.saturating_sub(CONTEXT_BEFORE).max(vstart),
                    (b + CONTEXT_AFTER).min(vend),
                ),
                None => (vstart, vend),
            };
            let near = &buf[ws..we];
            let found = match &self.context[eidx] {
                // The words are lower-case: in ASCII text, an ASCII
                // case-insensitive match is a match of the lower-cased text,
                // and a word with other characters cannot occur.
                Some(ac) if near.is_ascii() => ac.is_match(near),
                _ => {
                    let near = String::from_utf8_lossy(near).to_lowercase();
                    rule.context_words.iter().any(|w| near.contains(w.as_str()))
                }
            };
            if found {
                ev.context_hits += times;
            }
        }
        if !ev.examples_full {
            if let Some(span) = hit.example {
                ev.example_spans.push(span);
            }
        }
    }

    /// Fold a batch's evidence into the column's (a few map lookups per
    /// entity and batch instead of per value).
    fn merge_batch(&self, acc: &mut ColumnAccumulator, batch: BatchEvidence, buf: &[u8]) {
        for (eidx, b) in batch.entities.into_iter().enumerate() {
            if !b.touched {
                continue;
            }
            let rule = &self.rules.entities()[eidx];
            let ev = match acc.entities.get_mut(&rule.entity) {
                Some(ev) => ev,
                None => acc.entities.entry(rule.entity.clone()).or_default(),
            };
            ev.candidates += b.candidates;
            ev.validated += b.validated;
            ev.whole += b.whole;
            ev.validator_failures += b.validator_failures;
            ev.context_hits += b.context_hits;
            ev.unchecked += b.unchecked;
            ev.unchecked_whole += b.unchecked_whole;
            ev.best_score = ev.best_score.max(b.best_score);
            if ev.validator.is_none() {
                ev.validator = b.validator;
            }
            let base = self.pattern_base[eidx];
            for (pidx, p) in rule.patterns.iter().enumerate() {
                let (m, ok) = batch.patterns[base + pidx];
                if m == 0 {
                    continue;
                }
                let e = match ev.patterns.get_mut(&p.id) {
                    Some(e) => e,
                    None => ev.patterns.entry(p.id.clone()).or_default(),
                };
                e.0 += m;
                e.1 += ok;
            }
            for (a, z) in b.example_spans {
                if ev.examples.len() >= self.config.max_examples {
                    break;
                }
                let m = lakewarden_rules::mask(&rule.entity, &String::from_utf8_lossy(&buf[a..z]));
                if !ev.examples.contains(&m) {
                    ev.examples.push(m);
                }
            }
        }
    }
}

/// What the classifier needs of a pattern per match, by global pattern id.
#[derive(Debug, Clone, Copy)]
struct PatternInfo {
    /// Index of its entity in `RuleSet::entities`.
    entity: u32,
    /// Index in that entity's patterns.
    index: u32,
    validator: Option<lakewarden_rules::ValidatorKind>,
    text: bool,
    integer: bool,
}

impl PatternInfo {
    fn applies_to(&self, kind: ValueKind) -> bool {
        match kind {
            ValueKind::Text => self.text,
            ValueKind::Integer => self.integer,
            _ => false,
        }
    }
}

/// The buffers of one `observe_text` call.
#[derive(Default)]
struct TextScratch {
    /// The batch's values of one column, each followed by `\n` (each
    /// distinct value once when repeats are folded). Text, so validators
    /// take matches without checking their UTF-8 again.
    buf: String,
    starts: Vec<usize>,
    checked: Vec<Checked>,
    /// The matcher's matches in `buf`.
    found: Vec<(u32, usize, usize)>,
    /// Folding repeats: a value's hash -> its index in `starts`, and per
    /// value in `buf` how many of the batch's values it stands for.
    first_of: rustc_hash::FxHashMap<u64, u32>,
    occurrences: Vec<u32>,
}

/// A joined buffer above this capacity is freed after its batch instead of
/// kept for the next one.
const MAX_KEPT_BUFFER: usize = 16 << 20;

/// One match with its validator verdict.
#[derive(Debug, Clone, Copy)]
struct Checked {
    from: usize,
    to: usize,
    id: u32,
    entity: u32,
    check: Check,
}

/// One batch's evidence of one entity in one column, merged into the
/// column's [`column::EntityEvidence`] at the end of the batch.
#[derive(Default)]
struct BatchEntity {
    touched: bool,
    /// The column already holds `max_examples` examples of the entity.
    examples_full: bool,
    candidates: u64,
    validated: u64,
    whole: u64,
    validator_failures: u64,
    context_hits: u64,
    unchecked: u64,
    unchecked_whole: u64,
    best_score: f64,
    validator: Option<&'static str>,
    /// Spans of validated matches that may become examples, in value order
    /// (masked at the merge, only as many as the column still takes).
    example_spans: Vec<(usize, usize)>,
}

struct BatchEvidence {
    /// By entity index.
    entities: Vec<BatchEntity>,
    /// (matched values, validated values) by global pattern id.
    patterns: Vec<(u64, u64)>,
}

impl BatchEvidence {
    fn new(pattern_base: &[usize], patterns: usize) -> Self {
        BatchEvidence {
            entities: (0..pattern_base.len())
                .map(|_| BatchEntity::default())
                .collect(),
            patterns: vec![(0, 0); patterns],
        }
    }
}

/// Characters in UTF-8 `bytes` (bytes that are not continuation bytes).
fn utf8_chars(bytes: &[u8]) -> u64 {
    // Summed per chunk in a form the compiler vectorises.
    bytes
        .chunks(255)
        .map(|c| {
            c.iter()
                .map(|&b| u8::from((b as i8) >= -0x40))
                .fold(0u8, u8::wrapping_add) as u64
        })
        .sum()
}

/// One value's matches of one entity.
#[derive(Default)]
struct Hit {
    validated: bool,
    whole: bool,
    failed: u64,
    example: Option<(usize, usize)>,
    /// Patterns (by index in the entity) that matched and validated, as a
    /// bit set; `bad`: those that matched and failed. Entities with more
    /// than 64 patterns keep the rest in `more`.
    good: u64,
    bad: u64,
    more: Vec<(usize, bool)>,
    unchecked: bool,
    unchecked_whole: bool,
}

impl Hit {
    fn saw_pattern(&mut self, pidx: usize, ok: bool) {
        match (pidx < 64, ok) {
            (true, true) => self.good |= 1 << pidx,
            (true, false) => self.bad |= 1 << pidx,
            (false, _) => {
                if !self.more.contains(&(pidx, ok)) {
                    self.more.push((pidx, ok));
                }
            }
        }
    }

    /// (pattern index, validated) pairs seen, each once.
    fn patterns(&self) -> impl Iterator<Item = (usize, bool)> + '_ {
        // The set bits, lowest first.
        let bits = |mut mask: u64, ok: bool| {
            std::iter::from_fn(move || {
                (mask != 0).then(|| {
                    let i = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    (i, ok)
                })
            })
        };
        bits(self.bad, false)
            .chain(bits(self.good, true))
            .chain(self.more.iter().copied())
    }
}

/// A match's validator verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Valid,
    Invalid,
    /// Not run: the column's budget for an expensive validator is spent.
    Unchecked,
}

/// Validators that cost tens of microseconds per candidate (libphonenumber
/// parses against per-region metadata regexes). In `--full` scans of big
/// columns they dominated the run, so each column checks at most
/// [`EXPENSIVE_CHECKS_PER_COLUMN`] candidates and the rest are estimated
/// from that pass rate. Sample mode never reaches the budget.
fn is_expensive(v: lakewarden_rules::ValidatorKind) -> bool {
    matches!(v, lakewarden_rules::ValidatorKind::Phone)
}

/// A value's hash for distinct counts (FxHash: these run once per value, and
/// SipHash showed up in `--full` profiles).
fn value_hash(value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// Joined values of one column and batch above this many bytes are scanned
/// in parallel parts (see `Classifier::scan_values`).
const PARALLEL_SCAN_BYTES: usize = 1 << 20;

/// Bytes before / after a validated match searched for the entity's context
/// words (a label sits just before its value: `tel. …`, `IBAN …`).
const CONTEXT_BEFORE: usize = 40;
const CONTEXT_AFTER: usize = 16;

/// Expensive validator calls per column before estimation takes over.
pub const EXPENSIVE_CHECKS_PER_COLUMN: u64 = 4_096;

fn text_values(array: &ArrayRef) -> Vec<&str> {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().flatten().collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().flatten().collect(),
        DataType::Utf8View => array.as_string_view().iter().flatten().collect(),
        _ => Vec::new(),
    }
}

/// Evidence of one dataset's columns, fed batch by batch.
pub struct DatasetClassifier<'c, M: Matcher> {
    classifier: &'c Classifier<M>,
    columns: Vec<ColumnAccumulator>,
    index: HashMap<Vec<String>, usize>,
}

impl<M: Matcher> DatasetClassifier<'_, M> {
    /// An Arrow batch whose columns may be nested.
    pub fn observe_batch(&mut self, batch: &RecordBatch) {
        let mut leaves = Vec::new();
        for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
            path::flatten(vec![f.name().clone()], col, &mut leaves);
        }
        self.observe_leaves(leaves);
    }

    /// Already-flattened leaves (segments, array).
    pub fn observe_leaves(&mut self, leaves: Vec<(Vec<String>, ArrayRef)>) {
        // Columns are independent: match them in parallel (rayon), each with
        // a matcher scratch taken from the pool.
        let mut work: Vec<Option<ArrayRef>> = vec![None; self.columns.len()];
        for (segments, array) in leaves {
            let idx = match self.index.get(&segments) {
                Some(&i) => i,
                None => {
                    let i = self.columns.len();
                    self.columns.push(ColumnAccumulator::new(
                        segments.clone(),
                        array.data_type().clone(),
                    ));
                    self.index.insert(segments, i);
                    work.push(None);
                    i
                }
            };
            work[idx] = Some(array);
        }
        let c = self.classifier;
        self.columns
            .par_iter_mut()
            .zip(work.par_iter())
            .for_each(|(acc, arr)| {
                if let Some(a) = arr {
                    c.observe_leaf(acc, a);
                }
            });
    }

    /// Decide the findings of every column.
    pub fn finish(self) -> Vec<ColumnResult> {
        score::decide(
            self.classifier.rules(),
            self.classifier.config(),
            self.columns,
        )
    }

    /// The end of one file's batches: its columns' evidence as partials
    /// (`partial.rs`), and an empty start for the next file.
    pub fn take_file(&mut self) -> Vec<FileColumn> {
        self.index.clear();
        let raw = self.classifier.config.llm_raw_samples;
        std::mem::take(&mut self.columns)
            .iter()
            .map(|acc| acc.to_partial(raw))
            .collect()
    }
}

impl<M: Matcher> Classifier<M> {
    /// Decide a dataset's findings on its files' partials, merged in file
    /// order (the files read now and those an earlier scan kept).
    pub fn finish_files<'a>(
        &self,
        files: impl IntoIterator<Item = &'a [FileColumn]>,
    ) -> Vec<ColumnResult> {
        let columns = partial::merge_files(
            files,
            self.config.max_examples,
            self.config.llm_sample_values,
        );
        score::decide(self.rules(), self.config(), columns)
    }
}

/// The year and month of a value that starts with an ISO date
/// (`2024-05-17`, `2024-05-17T10:00:00Z`, `2024-05-17 10:00`).
fn iso_date_prefix(v: &str) -> Option<(i32, u32)> {
    // Text starting with something else than a digit or whitespace is no date.
    match v.as_bytes().first() {
        None => return None,
        Some(&b) if b.is_ascii() && !b.is_ascii_digit() && !char::from(b).is_whitespace() => {
            return None
        }
        _ => {}
    }
    let b = v.trim_start().as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() > 10 && !matches!(b[10], b'T' | b' ' | b't') {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = std::str::from_utf8(&b[r]).ok()?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    chrono::NaiveDate::from_ymd_opt(y as i32, m, d)?;
    Some((y as i32, m))
}

#[cfg(test)]
mod iso_tests {
    #[test]
    fn iso_date_prefixes() {
        use super::iso_date_prefix as p;
        assert_eq!(p("2024-05-17"), Some((2024, 5)));
        assert_eq!(p("2024-05-17T10:00:00Z"), Some((2024, 5)));
        assert_eq!(p("2024-05-17 10:00"), Some((2024, 5)));
        assert_eq!(p("2024-13-01"), None);
        assert_eq!(p("2024-02-30"), None);
        assert_eq!(p("2024-05-1"), None);
        assert_eq!(p("20240517"), None);
        assert_eq!(p("2024-05-17x"), None);
        assert_eq!(p("ab24-05-17"), None);
    }
}
