//! Shape-preserving masking: what a model may see of a value.
//!
//! A masked value keeps what tells a reviewer *what kind* of value it is and
//! drops what tells *whose* it is:
//!
//! * letters become a fixed letter of the same script and case (`A`/`a` for
//!   Latin, `Ж`/`ж` for Cyrillic, `中` for Han, …), digits become `9`, so
//!   lengths, character classes and the script survive: `E11.9` → `A99.9`,
//!   `Иван` → `Жжжж`;
//! * punctuation, whitespace and symbols are kept (the structure of a code,
//!   an email's `@`, a phone number's separators);
//! * words the [`Lexicon`] says carry no identity are kept verbatim: company
//!   suffixes (`GmbH`, `Inc`), street types (`Street`, `Rue`);
//! * words found in the name dictionaries become `<FIRST_NAME>` /
//!   `<LAST_NAME>`: the model learns "this reads as a name" without the name.
//!
//! Values are cut to [`MAX_MASKED_CHARS`] characters first.

/// Characters of one value that are masked and shown; a sample of long
/// notes would otherwise spend the token budget on one cell.
pub const MAX_MASKED_CHARS: usize = 120;

/// The word lists masking consults (the classifier's dictionaries implement it).
pub trait Lexicon {
    fn is_first_name(&self, word: &str) -> bool;
    fn is_last_name(&self, word: &str) -> bool;
    /// Words that identify no one and carry the signal: company suffixes,
    /// street types.
    fn is_kept_word(&self, word: &str) -> bool;
}

/// A lexicon that knows no words (every letter is masked).
pub struct NoLexicon;

impl Lexicon for NoLexicon {
    fn is_first_name(&self, _: &str) -> bool {
        false
    }
    fn is_last_name(&self, _: &str) -> bool {
        false
    }
    fn is_kept_word(&self, _: &str) -> bool {
        false
    }
}

/// Mask one value (see the module docs).
pub fn shape_mask(value: &str, lexicon: &dyn Lexicon) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_MASKED_CHARS * 3));
    let mut cut = false;
    let value: String = {
        let mut v: String = value.chars().take(MAX_MASKED_CHARS).collect();
        if v.len() < value.len() {
            cut = true;
            // Do not show half a word as a recognisable stub.
            v.truncate(v.trim_end().len());
        }
        v
    };
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        mask_word(word, lexicon, out);
        word.clear();
    };
    for c in value.chars() {
        if c.is_alphanumeric() || c == '\'' || c == '.' && !word.is_empty() && is_suffix_dot(&word)
        {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    if cut {
        out.push('…');
    }
    out
}

/// `S.A.`, `Inc.`: a dot inside or after a short alphabetic word may belong
/// to a company suffix; elsewhere it is structure (`E11.9`) and ends the word.
fn is_suffix_dot(word: &str) -> bool {
    word.chars().all(char::is_alphabetic) && word.chars().count() <= 4
}

fn mask_word(word: &str, lexicon: &dyn Lexicon, out: &mut String) {
    let bare = word.trim_end_matches('.');
    if bare.chars().any(char::is_alphabetic) {
        if lexicon.is_kept_word(word) || lexicon.is_kept_word(bare) {
            out.push_str(word);
            return;
        }
        if bare.chars().all(char::is_alphabetic) && bare.chars().count() >= 2 {
            if lexicon.is_first_name(bare) {
                out.push_str("<FIRST_NAME>");
                out.push_str(&word[bare.len()..]);
                return;
            }
            if lexicon.is_last_name(bare) {
                out.push_str("<LAST_NAME>");
                out.push_str(&word[bare.len()..]);
                return;
            }
        }
    }
    for c in word.chars() {
        out.push(mask_char(c));
    }
}

/// One character → its class representative (same script and case).
pub fn mask_char(c: char) -> char {
    if c.is_ascii_digit() || (c.is_numeric() && !c.is_alphabetic()) {
        return '9';
    }
    if !c.is_alphabetic() {
        return c;
    }
    let upper = c.is_uppercase();
    let pick = |u: char, l: char| if upper { u } else { l };
    match c as u32 {
        0x0041..=0x024F | 0x1E00..=0x1EFF => pick('A', 'a'),
        0x0370..=0x03FF | 0x1F00..=0x1FFF => pick('Ω', 'ω'),
        0x0400..=0x052F => pick('Ж', 'ж'),
        0x0530..=0x058F => pick('Ա', 'ա'),
        0x0590..=0x05FF => 'א',
        0x0600..=0x06FF | 0x0750..=0x077F => 'ب',
        0x0900..=0x097F => 'क',
        0x0E00..=0x0E7F => 'ก',
        0x10A0..=0x10FF => 'ა',
        0x3040..=0x309F => 'あ',
        0x30A0..=0x30FF => 'ア',
        0xAC00..=0xD7AF | 0x1100..=0x11FF => '한',
        0x4E00..=0x9FFF | 0x3400..=0x4DBF => '中',
        _ => pick('X', 'x'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Words;
    impl Lexicon for Words {
        fn is_first_name(&self, w: &str) -> bool {
            ["anna", "john"].contains(&w.to_lowercase().as_str())
        }
        fn is_last_name(&self, w: &str) -> bool {
            ["müller", "smith"].contains(&w.to_lowercase().as_str())
        }
        fn is_kept_word(&self, w: &str) -> bool {
            ["gmbh", "inc", "inc.", "ltd", "street", "s.a"].contains(&w.to_lowercase().as_str())
        }
    }

    #[test]
    fn codes_keep_their_structure() {
        assert_eq!(shape_mask("E11.9", &Words), "A99.9");
        assert_eq!(shape_mask("J45.909", &Words), "A99.999");
        assert_eq!(shape_mask("SKU-4821-b", &Words), "AAA-9999-a");
        assert_eq!(shape_mask("+49 30 1234567", &Words), "+99 99 9999999");
    }

    #[test]
    fn company_suffixes_and_street_types_are_kept() {
        assert_eq!(shape_mask("Acme Widgets GmbH", &Words), "Aaaa Aaaaaaa GmbH");
        assert_eq!(shape_mask("Foo Bar, Inc.", &Words), "Aaa Aaa, Inc.");
        assert_eq!(shape_mask("Holz S.A.", &Words), "Aaaa S.A.");
        assert_eq!(shape_mask("12 Baker Street", &Words), "99 Aaaaa Street");
    }

    #[test]
    fn dictionary_names_become_placeholders() {
        assert_eq!(
            shape_mask("Anna Müller", &Words),
            "<FIRST_NAME> <LAST_NAME>"
        );
        assert_eq!(shape_mask("Smith GmbH", &Words), "<LAST_NAME> GmbH");
        assert_eq!(shape_mask("Zyx Qwv", &Words), "Aaa Aaa");
    }

    #[test]
    fn the_script_survives_and_the_letters_do_not() {
        assert_eq!(shape_mask("Иван Петров", &NoLexicon), "Жжжж Жжжжжж");
        assert_eq!(shape_mask("Γιώργος", &NoLexicon), "Ωωωωωωω");
        assert_eq!(shape_mask("王小明", &NoLexicon), "中中中");
        assert_eq!(shape_mask("佐藤 はなこ", &NoLexicon), "中中 あああ");
        assert_eq!(shape_mask("김민준", &NoLexicon), "한한한");
        assert_eq!(shape_mask("José Núñez", &NoLexicon), "Aaaa Aaaaa");
    }

    #[test]
    fn emails_and_long_values() {
        assert_eq!(
            shape_mask("john.smith@example.com", &Words),
            "aaaa.aaaaa@aaaaaaa.aaa"
        );
        let long = "word ".repeat(100);
        let m = shape_mask(&long, &NoLexicon);
        assert!(m.ends_with('…'));
        assert!(m.chars().count() <= MAX_MASKED_CHARS + 1);
        assert!(!m.contains("word"));
    }
}
