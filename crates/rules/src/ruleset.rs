//! Loading rule files into a [`RuleSet`]: built-in files embedded at compile
//! time, plus an optional user directory layered on top.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};

use crate::error::RulesError;
use crate::model::{EntityFile, EntityRule, NameHints, PatternRule, Sensitivity};
use crate::syntax::check_pattern;

/// The built-in rule files, one per entity (`rules/entities/*.toml`).
static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../rules/entities");

/// A rule file's name and text.
type Source = (String, String);

/// All entity rules, in entity-name order, with dense global pattern ids.
///
/// Global pattern ids number the patterns of all entities in order
/// (entities sorted by name, patterns in file order): they are the ids the
/// [`crate::Matcher`]s report.
#[derive(Debug, Clone)]
pub struct RuleSet {
    entities: Vec<EntityRule>,
    /// global id -> (entity index, pattern index)
    index: Vec<(u32, u32)>,
    fingerprint: String,
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet, RulesError> {
        Self::from_layers(vec![builtin_sources()])
    }

    /// Built-in rules, then every `*.toml` file of `extra_dir` (if given) on
    /// top: a user file whose `entity` exists replaces that entity wholesale,
    /// a new name adds an entity, and `enabled = false` removes one.
    pub fn load(extra_dir: Option<&Path>) -> Result<RuleSet, RulesError> {
        let mut layers = vec![builtin_sources()];
        if let Some(dir) = extra_dir {
            layers.push(dir_sources(dir)?);
        }
        Self::from_layers(layers)
    }

    /// A rule set made of exactly these `(file name, TOML text)` files, with
    /// no built-ins. For tests and for tools that manage rules themselves.
    pub fn from_toml_files<I>(files: I) -> Result<RuleSet, RulesError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        Self::from_layers(vec![files.into_iter().collect()])
    }

    fn from_layers(layers: Vec<Vec<Source>>) -> Result<RuleSet, RulesError> {
        let mut merged: BTreeMap<String, (EntityFile, String)> = BTreeMap::new();
        for layer in layers {
            let mut seen: BTreeMap<String, String> = BTreeMap::new();
            for (name, text) in layer {
                let mut file: EntityFile =
                    toml::from_str(&text).map_err(|e| RulesError::Parse {
                        file: name.clone(),
                        source: Box::new(e),
                    })?;
                let hinted = std::mem::take(&mut file.name_hints.context_words);
                file.context_words.extend(hinted);
                if let Some(first) = seen.insert(file.entity.clone(), name.clone()) {
                    return Err(RulesError::DuplicateEntity {
                        entity: file.entity,
                        first,
                        second: name,
                    });
                }
                if file.enabled {
                    merged.insert(file.entity.clone(), (file, name));
                } else {
                    merged.remove(&file.entity);
                }
            }
        }

        let mut entities = Vec::with_capacity(merged.len());
        for (file, source) in merged.values() {
            entities.push(build_entity(file, source)?);
        }
        let mut index = Vec::new();
        for (e, rule) in entities.iter().enumerate() {
            for p in 0..rule.patterns.len() {
                index.push((e as u32, p as u32));
            }
        }
        let canonical: Vec<&EntityFile> = merged.values().map(|(f, _)| f).collect();
        let json = serde_json::to_vec(&canonical).expect("rule files serialise to JSON");
        let fingerprint = hex::encode(Sha256::digest(&json));
        Ok(RuleSet {
            entities,
            index,
            fingerprint,
        })
    }

    /// All entity rules, sorted by entity name.
    pub fn entities(&self) -> &[EntityRule] {
        &self.entities
    }

    /// The rule for one entity.
    pub fn entity(&self, name: &str) -> Option<&EntityRule> {
        self.entities
            .binary_search_by(|e| e.entity.as_str().cmp(name))
            .ok()
            .map(|i| &self.entities[i])
    }

    /// SHA-256 (hex) of the canonical rule content (entities sorted by name,
    /// every field with defaults filled in, file names excluded). Stored with
    /// scan results so that a rule change invalidates cached classifications.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The entity and pattern behind a global pattern id.
    ///
    /// # Panics
    /// If `global_id >= self.pattern_count()`; ids come from a matcher built
    /// from this rule set, so that is a programming error.
    pub fn pattern(&self, global_id: u32) -> (&EntityRule, &PatternRule) {
        let (e, p) = self.index[global_id as usize];
        let entity = &self.entities[e as usize];
        (entity, &entity.patterns[p as usize])
    }

    /// Number of patterns over all entities (global ids are `0..pattern_count()`).
    /// The (entity index in [`RuleSet::entities`], pattern index in that
    /// entity's `patterns`) of a global pattern id.
    pub fn pattern_position(&self, global_id: u32) -> (usize, usize) {
        let (e, p) = self.index[global_id as usize];
        (e as usize, p as usize)
    }

    pub fn pattern_count(&self) -> usize {
        self.index.len()
    }

    /// Iterate `(global id, entity, pattern)`.
    pub fn patterns(&self) -> impl Iterator<Item = (u32, &EntityRule, &PatternRule)> + '_ {
        (0..self.index.len() as u32).map(move |id| {
            let (e, p) = self.pattern(id);
            (id, e, p)
        })
    }

    /// Sensitivity of an entity, if the entity is known.
    pub fn sensitivity_of(&self, entity: &str) -> Option<Sensitivity> {
        self.entity(entity).map(|e| e.sensitivity)
    }
}

fn builtin_sources() -> Vec<Source> {
    let mut files: Vec<Source> = BUILTIN
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .map(|f| {
            (
                format!("builtin:rules/entities/{}", f.path().display()),
                f.contents_utf8().unwrap_or_default().to_string(),
            )
        })
        .collect();
    files.sort();
    files
}

fn dir_sources(dir: &Path) -> Result<Vec<Source>, RulesError> {
    let io = |e| RulesError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| RulesError::Io {
                path: p.clone(),
                source: e,
            })?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

fn valid_name(s: &str, upper: bool) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| {
        if upper {
            c.is_ascii_uppercase()
        } else {
            c.is_ascii_lowercase() || c.is_ascii_digit()
        }
    });
    first_ok
        && chars.all(|c| {
            c == '_'
                || c.is_ascii_digit()
                || if upper {
                    c.is_ascii_uppercase()
                } else {
                    c.is_ascii_lowercase()
                }
        })
}

fn build_entity(file: &EntityFile, source: &str) -> Result<EntityRule, RulesError> {
    let entity_err = |message: String| RulesError::InvalidEntity {
        file: source.to_string(),
        message,
    };
    if !valid_name(&file.entity, true) {
        return Err(entity_err(format!(
            "entity name {:?} must be UPPER_SNAKE_CASE (e.g. CREDIT_CARD)",
            file.entity
        )));
    }
    let mut patterns: Vec<PatternRule> = Vec::with_capacity(file.patterns.len());
    for p in &file.patterns {
        let pat_err = |message: String| RulesError::InvalidPattern {
            file: source.to_string(),
            pattern: p.id.clone(),
            message,
        };
        if !valid_name(&p.id, false) {
            return Err(pat_err("pattern id must be lower_snake_case".into()));
        }
        if patterns.iter().any(|q| q.id == p.id) {
            return Err(pat_err("duplicate pattern id in this entity".into()));
        }
        if !(p.score.is_finite() && (0.0..=1.0).contains(&p.score)) {
            return Err(pat_err(format!("score {} is not within 0..=1", p.score)));
        }
        if p.kinds.is_empty() {
            return Err(pat_err("kinds must not be empty".into()));
        }
        let min_len = check_pattern(&p.regex, p.caseless).map_err(pat_err)?;
        patterns.push(PatternRule {
            id: p.id.clone(),
            regex: p.regex.clone(),
            validator: p.validator,
            score: p.score,
            kinds: p.kinds.clone(),
            caseless: p.caseless,
            track_start: p.track_start,
            min_len,
        });
    }
    let name_hints = NameHints::new(
        file.name_hints.positive.clone(),
        file.name_hints.negative.clone(),
    )
    .map_err(entity_err)?;
    Ok(EntityRule {
        entity: file.entity.clone(),
        sensitivity: file.sensitivity,
        patterns,
        name_hints,
        context_words: file
            .context_words
            .iter()
            .map(|w| w.to_lowercase())
            .collect(),
        needs_name_hint: file.needs_name_hint,
        description: file.description.clone(),
        source: source.to_string(),
    })
}
