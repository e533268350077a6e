//! Name and street dictionaries (data files under `rules/dictionaries/`,
//! embedded at build time; sources and licences in SOURCES.md there).

use std::collections::{HashMap, HashSet};

static FIRST: &str = include_str!("../../../rules/dictionaries/first_names.tsv");
static LAST: &str = include_str!("../../../rules/dictionaries/last_names.tsv");
static STOP: &str = include_str!("../../../rules/dictionaries/name_stopwords.txt");
static STREETS: &str = include_str!("../../../rules/dictionaries/street_types.tsv");
static COMPANIES: &str = include_str!("../../../rules/dictionaries/company_suffixes.txt");

pub struct Dictionaries {
    first: HashSet<String>,
    last: HashSet<String>,
    street_types: HashSet<String>,
    /// Lowercased company suffixes without trailing dots (`gmbh`, `s.a`, `ltd`).
    company: HashSet<String>,
}

/// Lowercase and fold accents and German umlaut spellings, so `García`,
/// `garcia`, `Müller` and `Mueller` meet.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => out.push('a'),
            'ä' => out.push_str("ae"),
            'ç' | 'č' | 'ć' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'ō' => out.push('o'),
            'ö' => out.push_str("oe"),
            'ù' | 'ú' | 'û' | 'ū' => out.push('u'),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'ý' | 'ÿ' => out.push('y'),
            'š' | 'ś' => out.push('s'),
            'ž' | 'ź' | 'ż' => out.push('z'),
            'ł' => out.push('l'),
            _ => out.push(c),
        }
    }
    out
}

impl Dictionaries {
    pub fn builtin() -> Self {
        let mut stop_first = HashSet::new();
        let mut stop_last = HashSet::new();
        for line in STOP
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let mut it = line.split('\t');
            let w = it.next().unwrap_or_default().trim().to_lowercase();
            match it.next().map(str::trim) {
                Some("first") => {
                    stop_first.insert(w);
                }
                Some("last") => {
                    stop_last.insert(w);
                }
                _ => {
                    stop_first.insert(w.clone());
                    stop_last.insert(w);
                }
            }
        }
        let load = |src: &str, stop: &HashSet<String>| -> HashSet<String> {
            src.lines()
                .filter_map(|l| l.split('\t').next())
                .filter(|w| w.chars().count() >= 2 && !stop.contains(*w))
                .map(fold)
                .collect()
        };
        Dictionaries {
            first: load(FIRST, &stop_first),
            last: load(LAST, &stop_last),
            street_types: STREETS
                .lines()
                .filter_map(|l| l.split('\t').next())
                .filter(|w| !w.is_empty())
                .map(fold)
                .collect(),
            company: COMPANIES
                .lines()
                .map(|l| l.trim().trim_end_matches('.').to_lowercase())
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect(),
        }
    }

    pub fn is_first_name(&self, w: &str) -> bool {
        self.first.contains(&fold(w))
    }

    pub fn is_last_name(&self, w: &str) -> bool {
        self.last.contains(&fold(w))
    }

    pub fn is_street_type(&self, w: &str) -> bool {
        let f = fold(w.trim_end_matches('.'));
        self.street_types.contains(&f)
            // German compounds: Hauptstrasse, Lindenweg, Schlossallee.
            || ["strasse", "str", "weg", "allee", "platz", "gasse", "ring", "damm"]
                .iter()
                .any(|s| f.len() > s.len() + 2 && f.ends_with(s))
    }

    /// A street-type word itself (`Street`, `Rue`, `Str.`), not a compound
    /// that holds a name (`Hauptstrasse`).
    pub fn is_street_word(&self, w: &str) -> bool {
        self.street_types.contains(&fold(w.trim_end_matches('.')))
    }

    pub fn is_company_suffix(&self, w: &str) -> bool {
        self.company
            .contains(w.trim_end_matches([',', '.']).to_lowercase().as_str())
    }

    /// How a short text value reads as a person's name.
    pub fn name_shape(&self, value: &str) -> NameShape {
        let tokens: Vec<&str> = value
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.is_empty() || tokens.len() > 5 || value.len() > 80 {
            return NameShape::NotName;
        }
        if tokens.iter().any(|t| self.is_company_suffix(t))
            || self.is_company_suffix(&tokens[tokens.len().saturating_sub(2)..].join(" "))
        {
            return NameShape::Company;
        }
        let wordish = |t: &&str| {
            t.chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '.')
                && t.chars().next().is_some_and(char::is_alphabetic)
        };
        if !tokens.iter().all(wordish) {
            return NameShape::NotName;
        }
        // Titles and particles are neither evidence for nor against.
        const SKIP: &[&str] = &[
            "mr", "mrs", "ms", "miss", "dr", "prof", "herr", "frau", "m", "mme", "mlle", "sr",
            "sra", "don", "doña", "von", "van", "der", "den", "de", "del", "la", "le", "di", "da",
            "jr", "sr.", "ii", "iii",
        ];
        let parts: Vec<String> = tokens
            .iter()
            .map(|t| t.trim_end_matches('.').to_lowercase())
            .filter(|t| !SKIP.contains(&t.as_str()))
            .collect();
        let first_hits = parts.iter().filter(|t| self.is_first_name(t)).count();
        let last_hits = parts.iter().filter(|t| self.is_last_name(t)).count();
        match parts.len() {
            0 => NameShape::NotName,
            1 if first_hits + last_hits > 0 => NameShape::SingleName,
            1 => NameShape::NotName,
            _ if first_hits > 0 && (last_hits > 0 || parts.len() >= 2) => NameShape::FullName,
            _ if last_hits > 0 => NameShape::FullName,
            _ => NameShape::NotName,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameShape {
    FullName,
    SingleName,
    Company,
    NotName,
}

/// Words whose presence nearby supports an entity, by entity (lowercased).
pub fn context_index(rules: &lakewarden_rules::RuleSet) -> HashMap<String, Vec<String>> {
    rules
        .entities()
        .iter()
        .map(|e| {
            (
                e.entity.clone(),
                e.context_words.iter().map(|w| w.to_lowercase()).collect(),
            )
        })
        .collect()
}

/// The dictionaries as masking sees them: name hits become placeholders,
/// company suffixes and street words stay (they identify no one).
impl lakewarden_llm::Lexicon for Dictionaries {
    fn is_first_name(&self, word: &str) -> bool {
        Dictionaries::is_first_name(self, word)
    }
    fn is_last_name(&self, word: &str) -> bool {
        Dictionaries::is_last_name(self, word)
    }
    fn is_kept_word(&self, word: &str) -> bool {
        self.is_company_suffix(word) || self.is_street_word(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_companies() {
        let d = Dictionaries::builtin();
        assert_eq!(d.name_shape("Mary Smith"), NameShape::FullName);
        assert_eq!(d.name_shape("Jürgen Müller"), NameShape::FullName);
        assert_eq!(d.name_shape("José García"), NameShape::FullName);
        assert_eq!(d.name_shape("Acme GmbH"), NameShape::Company);
        assert_eq!(d.name_shape("Widgets Ltd"), NameShape::Company);
        assert_eq!(d.name_shape("SKU-4821"), NameShape::NotName);
        assert_eq!(
            d.name_shape("the quick brown fox jumps over"),
            NameShape::NotName
        );
        assert!(d.is_street_type("Hauptstraße"));
        assert!(d.is_street_type("rue"));
    }
}
