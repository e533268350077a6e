//! Load-time checks that keep every pattern inside the subset on which
//! Hyperscan and the `regex` crate agree, and that can never match across a
//! `\n` (the classifier joins many values with `\n` and scans once).
//!
//! Patterns are parsed with `regex-syntax` in byte mode (`unicode(false)`),
//! multi-line, the same configuration [`crate::RegexMatcher`] compiles with,
//! and the resulting HIR is walked. Checking the HIR rather than the text
//! catches every way a `\n` can sneak in (`\s`, `\W`, `\D`, `[^x]`, `(?s).`).

use regex_syntax::hir::{Class, Hir, HirKind, Look};
use regex_syntax::ParserBuilder;

/// Parse `pattern` the way both engines will see it and return a description
/// of the first problem, if any; if none, the fewest bytes a match spans.
pub(crate) fn check_pattern(pattern: &str, caseless: bool) -> Result<usize, String> {
    if enables_unicode(pattern) {
        return Err("the `u` flag is not supported: patterns are matched byte-wise (Hyperscan runs without UTF8/UCP)".into());
    }
    let hir = ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .multi_line(true)
        .case_insensitive(caseless)
        .build()
        .parse(pattern)
        .map_err(|e| {
            let msg = e.to_string();
            if msg.contains("Unicode not allowed") {
                format!(
                    "{msg}\n(patterns are matched byte-wise: write non-ASCII letters inside a class as \
                     UTF-8 byte escapes, e.g. `\\xC3[\\xA0-\\xBF]`, or as literals outside classes)"
                )
            } else {
                msg
            }
        })?;
    let min_len = hir.properties().minimum_len().unwrap_or(0);
    if min_len == 0 {
        return Err("pattern can match the empty string".into());
    }
    walk(&hir)?;
    Ok(min_len)
}

/// Does the pattern switch on Unicode mode with an inline flag group
/// (`(?u)`, `(?iu:...)`)? Escaped parentheses are skipped.
fn enables_unicode(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'(' if b.get(i + 1) == Some(&b'?') => {
                let flags: Vec<u8> = b[i + 2..]
                    .iter()
                    .copied()
                    .take_while(|c| c.is_ascii_alphabetic() || *c == b'-')
                    .collect();
                let end = b.get(i + 2 + flags.len());
                if matches!(end, Some(b':' | b')')) {
                    // Flags after '-' are switched off.
                    let on = flags.split(|c| *c == b'-').next().unwrap_or(&[]);
                    if on.contains(&b'u') {
                        return true;
                    }
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

fn walk(hir: &Hir) -> Result<(), String> {
    match hir.kind() {
        HirKind::Empty => Ok(()),
        HirKind::Literal(lit) => {
            if lit.0.contains(&b'\n') {
                Err("pattern contains a literal newline".into())
            } else {
                Ok(())
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            if c.ranges().iter().any(|r| r.start() <= b'\n' && b'\n' <= r.end()) {
                Err(format!(
                    "a character class can match a newline ({hir}); matches must stay within one \
                     value: use `[ \\t]` instead of `\\s`, exclude `\\n` from negated classes, no `(?s)`"
                ))
            } else {
                Ok(())
            }
        }
        // With the `u` flag rejected, a Unicode class only comes from
        // regex-syntax folding an alternation of literals (`\x27|\xE2\x80\x99`)
        // into a class; it means the same UTF-8 byte sequences to both engines.
        HirKind::Class(Class::Unicode(c)) => {
            if c.ranges().iter().any(|r| r.start() <= '\n' && '\n' <= r.end()) {
                Err(format!("a character class can match a newline ({hir})"))
            } else {
                Ok(())
            }
        }
        HirKind::Look(look) => match look {
            Look::StartLF | Look::EndLF | Look::WordAscii | Look::WordAsciiNegate => Ok(()),
            Look::Start | Look::End => Err(
                "`\\A` / `\\z` are not allowed: values are joined with `\\n`, use `^` / `$` (line anchors)"
                    .into(),
            ),
            other => Err(format!(
                "assertion {other:?} is not supported by Hyperscan; use `\\b`, `\\B`, `^`, `$`"
            )),
        },
        HirKind::Repetition(rep) => {
            if !rep.greedy {
                return Err(
                    "lazy quantifiers are not allowed: Hyperscan reports every match end, the \
                     matchers keep the longest"
                        .into(),
                );
            }
            walk(&rep.sub)
        }
        HirKind::Capture(cap) => walk(&cap.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().try_for_each(walk),
    }
}

#[cfg(test)]
mod tests {
    use super::check_pattern;

    #[test]
    fn rejects_newline_crossing_constructs() {
        for bad in [
            r"a\sb", r"a\Wb", r"\D+x", r"[^@]+@", r"(?s)a.b", "a\nb", r"a[\n]b",
        ] {
            assert!(
                check_pattern(bad, false).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn accepts_common_subset() {
        for good in [
            r"\b\d{3}-\d{2}-\d{4}\b",
            r"a.b",
            r"[^ \t\n\r<>]+",
            r"(?i:street|st)\b",
            r"stra(?:ß|ss)e",
            r"\xC3[\x80-\x96]",
            r"^\d{9}$",
            r"(?:\x27|\xE2\x80\x99)x",
            r"(?-u:x)",
            r"\(?u\)",
        ] {
            check_pattern(good, false).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
    }

    #[test]
    fn rejects_outside_common_subset() {
        for bad in [
            r"a*?b", r"\Aab", r"ab\z", r"x*", r"(?u)\w+", r"[é]", r"(?=a)b", r"(a)\1",
        ] {
            assert!(
                check_pattern(bad, false).is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
