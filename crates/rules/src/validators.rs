//! Validators: pure functions that decide whether a pattern's candidate is the
//! real thing. Patterns only propose ("16 digits"); validators decide ("passes
//! Luhn and is in a card scheme's IIN range with that scheme's length").
//!
//! [`validate`] sees only the candidate text. [`validate_match`] additionally
//! looks at the bytes around the match in the scanned haystack, which is how
//! version strings (`10.2.3.4.5`, `v1.2.3.4`) and digit runs that are part of
//! a larger number (`0.123456789`) are rejected.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Names the validator a pattern uses; spelled in snake_case in rule files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidatorKind {
    Luhn,
    Iban,
    UsSsn,
    UkNino,
    UkNhs,
    Ipv4,
    Ipv6,
    Mac,
    LatLon,
    Jwt,
    AwsAccessKey,
    Icd10,
    Email,
    Phone,
    Url,
    DateOfBirth,
}

impl ValidatorKind {
    /// Every validator, for documentation and exhaustive tests.
    pub const ALL: [ValidatorKind; 16] = [
        ValidatorKind::Luhn,
        ValidatorKind::Iban,
        ValidatorKind::UsSsn,
        ValidatorKind::UkNino,
        ValidatorKind::UkNhs,
        ValidatorKind::Ipv4,
        ValidatorKind::Ipv6,
        ValidatorKind::Mac,
        ValidatorKind::LatLon,
        ValidatorKind::Jwt,
        ValidatorKind::AwsAccessKey,
        ValidatorKind::Icd10,
        ValidatorKind::Email,
        ValidatorKind::Phone,
        ValidatorKind::Url,
        ValidatorKind::DateOfBirth,
    ];

    /// The spelling used in rule files.
    pub fn as_str(&self) -> &'static str {
        match self {
            ValidatorKind::Luhn => "luhn",
            ValidatorKind::Iban => "iban",
            ValidatorKind::UsSsn => "us_ssn",
            ValidatorKind::UkNino => "uk_nino",
            ValidatorKind::UkNhs => "uk_nhs",
            ValidatorKind::Ipv4 => "ipv4",
            ValidatorKind::Ipv6 => "ipv6",
            ValidatorKind::Mac => "mac",
            ValidatorKind::LatLon => "lat_lon",
            ValidatorKind::Jwt => "jwt",
            ValidatorKind::AwsAccessKey => "aws_access_key",
            ValidatorKind::Icd10 => "icd10",
            ValidatorKind::Email => "email",
            ValidatorKind::Phone => "phone",
            ValidatorKind::Url => "url",
            ValidatorKind::DateOfBirth => "date_of_birth",
        }
    }
}

impl FromStr for ValidatorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ValidatorKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown validator {s:?}"))
    }
}

/// Is `candidate` a real instance of what `kind` checks?
pub fn validate(kind: ValidatorKind, candidate: &str) -> bool {
    let c = candidate.trim();
    match kind {
        ValidatorKind::Luhn => is_card_number(c),
        ValidatorKind::Iban => is_iban(c),
        ValidatorKind::UsSsn => is_us_ssn(c),
        ValidatorKind::UkNino => is_uk_nino(c),
        ValidatorKind::UkNhs => is_uk_nhs(c),
        ValidatorKind::Ipv4 => is_ipv4(c),
        ValidatorKind::Ipv6 => is_ipv6(c),
        ValidatorKind::Mac => is_mac(c),
        ValidatorKind::LatLon => is_lat_lon(c),
        ValidatorKind::Jwt => is_jwt(c),
        ValidatorKind::AwsAccessKey => is_aws_access_key(c),
        ValidatorKind::Icd10 => is_icd10(c),
        ValidatorKind::Email => is_email(c),
        ValidatorKind::Phone => is_phone(c),
        ValidatorKind::Url => is_url(c),
        ValidatorKind::DateOfBirth => is_date_of_birth(c),
    }
}

/// Validate the match `haystack[start..end]` with its surroundings in view.
/// This is what the classifier should call: on top of [`validate`] it rejects
/// candidates that are a slice of something larger —
///
/// * IPv4 preceded by `v`/`V`/`.` or followed by `.digit` (`v1.2.3.4`,
///   `10.2.3.4.5`),
/// * IPv6 / MAC glued to more hex digits or separators,
/// * digit-based ids (card, SSN, NHS, birth date, coordinates) that continue
///   as a number on either side (`0.123456789`, `123-45-6789-1`).
///
/// Context never crosses a `\n`, so values joined with `\n` stay independent.
pub fn validate_match(kind: ValidatorKind, haystack: &[u8], start: usize, end: usize) -> bool {
    if start >= end || end > haystack.len() {
        return false;
    }
    let Ok(candidate) = std::str::from_utf8(&haystack[start..end]) else {
        return false;
    };
    validate_candidate(kind, haystack, start, end, candidate)
}

/// [`validate_match`] in a haystack known to be text: the candidate is
/// taken without checking its UTF-8 again (a match not on character
/// boundaries is not valid), which showed in `--full` profiles.
pub fn validate_match_in_text(
    kind: ValidatorKind,
    haystack: &str,
    start: usize,
    end: usize,
) -> bool {
    match haystack.get(start..end) {
        Some(candidate) if start < end => {
            validate_candidate(kind, haystack.as_bytes(), start, end, candidate)
        }
        _ => false,
    }
}

fn validate_candidate(
    kind: ValidatorKind,
    haystack: &[u8],
    start: usize,
    end: usize,
    candidate: &str,
) -> bool {
    let before = |n: usize| start.checked_sub(n).map(|i| haystack[i]);
    let after = |n: usize| haystack.get(end + n - 1).copied();
    let digit = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit());
    let hex = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_hexdigit());
    // "part of a larger number": 1.5, 1,5, 1-5 on either side.
    let numeric_continuation = || {
        let sep = |b: Option<u8>| matches!(b, Some(b'.' | b',' | b'-' | b'/'));
        digit(before(1))
            || digit(after(1))
            || (sep(before(1)) && digit(before(2)))
            || (sep(after(1)) && digit(after(2)))
    };
    let sliced = match kind {
        // v1.2.3.4, 10.2.3.4.5 (either end), a1.2.3.4, 1.2.3.45
        // …and product tokens: Chrome/91.0.4472.124, Safari/537.36.1.2
        ValidatorKind::Ipv4 => {
            matches!(before(1), Some(b'v' | b'V' | b'.'))
                || before(1).is_some_and(|b| b.is_ascii_alphanumeric())
                || (before(1) == Some(b'/') && before(2).is_some_and(|b| b.is_ascii_alphabetic()))
                || (matches!(before(1), Some(b':' | b'=' | b' '))
                    && is_version_word(word_before(haystack, start - 1)))
                || digit(after(1))
                || (after(1) == Some(b'.') && digit(after(2)))
        }
        ValidatorKind::Ipv6 => {
            let glue = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b':');
            glue(before(1))
                || glue(after(1))
                || (before(1) == Some(b'.') && digit(before(2)))
                || (after(1) == Some(b'.') && digit(after(2)))
        }
        ValidatorKind::Mac => {
            let sep = |b: Option<u8>| matches!(b, Some(b':' | b'-' | b'.'));
            hex(before(1))
                || hex(after(1))
                || (sep(before(1)) && hex(before(2)))
                || (sep(after(1)) && hex(after(2)))
        }
        ValidatorKind::Luhn
        | ValidatorKind::UsSsn
        | ValidatorKind::UkNhs
        | ValidatorKind::DateOfBirth
        | ValidatorKind::LatLon => numeric_continuation(),
        _ => false,
    };
    !sliced && validate(kind, candidate)
}

// ---------------------------------------------------------------------------
// Payment cards
// ---------------------------------------------------------------------------

/// Digits of a candidate whose only other characters are one kind of
/// separator (space or dash, not both).
fn digits_with_uniform_separator(s: &str, seps: &[char]) -> Option<String> {
    let mut used: Option<char> = None;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if seps.contains(&c) {
            match used {
                None => used = Some(c),
                Some(u) if u == c => {}
                Some(_) => return None,
            }
        } else {
            return None;
        }
    }
    Some(out)
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

fn all_same(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.iter().all(|&c| c == b[0])
}

/// The card scheme whose IIN range and length fit `digits` (digits only).
pub fn card_scheme(digits: &str) -> Option<&'static str> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() < 12 {
        return None;
    }
    let len = digits.len();
    let p = |n: usize| digits[..n].parse::<u32>().unwrap_or(0);
    let in_range = |n: usize, lo: u32, hi: u32| (lo..=hi).contains(&p(n));
    let schemes: [(&str, bool, &[usize]); 12] = [
        ("amex", in_range(2, 34, 34) || in_range(2, 37, 37), &[15]),
        (
            "diners",
            in_range(3, 300, 305) || in_range(4, 3095, 3095) || [36, 38, 39].contains(&p(2)),
            &[14, 15, 16, 17, 18, 19],
        ),
        ("jcb", in_range(4, 3528, 3589), &[16, 17, 18, 19]),
        // JCB's older 15-digit ranges.
        ("jcb", p(4) == 2131 || p(4) == 1800, &[15]),
        ("visa", p(1) == 4, &[13, 16, 19]),
        ("mir", in_range(4, 2200, 2204), &[16, 17, 18, 19]),
        (
            "mastercard",
            in_range(2, 51, 55) || in_range(4, 2221, 2720),
            &[16],
        ),
        (
            "discover",
            p(4) == 6011 || in_range(3, 644, 649) || p(2) == 65 || in_range(6, 622126, 622925),
            &[16, 17, 18, 19],
        ),
        ("unionpay", p(2) == 62 || p(2) == 81, &[16, 17, 18, 19]),
        (
            "maestro",
            p(2) == 50
                || in_range(2, 56, 58)
                || p(4) == 6304
                || p(3) == 639
                || p(2) == 67
                || p(2) == 60,
            &[12, 13, 14, 15, 16, 17, 18, 19],
        ),
        ("rupay", p(2) == 82 || in_range(3, 508, 508), &[16]),
        ("uatp", p(1) == 1, &[15]),
    ];
    schemes
        .iter()
        .find(|(_, prefix, lens)| *prefix && lens.contains(&len))
        .map(|(name, _, _)| *name)
}

fn is_card_number(s: &str) -> bool {
    let Some(d) = digits_with_uniform_separator(s, &[' ', '-']) else {
        return false;
    };
    (12..=19).contains(&d.len()) && !all_same(&d) && luhn_ok(&d) && card_scheme(&d).is_some()
}

// ---------------------------------------------------------------------------
// IBAN
// ---------------------------------------------------------------------------

/// IBAN length per country (SWIFT IBAN registry; all SEPA countries and the
/// other registered ones).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// The registered IBAN length for a country code.
pub fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, l)| *l)
}

fn is_iban(s: &str) -> bool {
    let compact: String = s
        .chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_uppercase();
    let b = compact.as_bytes();
    if b.len() < 15 || b.len() > 34 || !b.iter().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    if !b[0].is_ascii_alphabetic() || !b[1].is_ascii_alphabetic() {
        return false;
    }
    if !b[2].is_ascii_digit() || !b[3].is_ascii_digit() {
        return false;
    }
    if iban_length(&compact[..2]) != Some(b.len()) {
        return false;
    }
    let check = &compact[2..4];
    if matches!(check, "00" | "01" | "99") {
        return false;
    }
    // mod-97 over BBAN + country + check digits, letters as 10..35.
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut rem: u32 = 0;
    for c in rearranged {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            let v = u32::from(c - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    rem == 1
}

// ---------------------------------------------------------------------------
// National ids
// ---------------------------------------------------------------------------

fn is_us_ssn(s: &str) -> bool {
    let Some(d) = digits_with_uniform_separator(s, &[' ', '-']) else {
        return false;
    };
    if d.len() != 9 {
        return false;
    }
    // A separated SSN must be 3-2-4.
    if d.len() != s.len() {
        let parts: Vec<&str> = s.split([' ', '-']).collect();
        if parts.len() != 3 || parts[0].len() != 3 || parts[1].len() != 2 || parts[2].len() != 4 {
            return false;
        }
    }
    let area: u32 = d[..3].parse().unwrap_or(0);
    let group = &d[3..5];
    let serial = &d[5..];
    if area == 0 || area == 666 || area >= 900 || group == "00" || serial == "0000" {
        return false;
    }
    // Woolworth's wallet card and the SSA pamphlet number, both widely misused.
    if d == "078051120" || d == "219099999" {
        return false;
    }
    !all_same(&d)
}

fn is_uk_nino(s: &str) -> bool {
    let c: String = s
        .chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_uppercase();
    let b = c.as_bytes();
    if b.len() != 9 {
        return false;
    }
    let (p1, p2) = (b[0], b[1]);
    if !p1.is_ascii_uppercase() || !p2.is_ascii_uppercase() {
        return false;
    }
    if b"DFIQUV".contains(&p1) || b"DFIOQUV".contains(&p2) {
        return false;
    }
    if ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&&c[..2]) {
        return false;
    }
    b[2..8].iter().all(|d| d.is_ascii_digit()) && (b'A'..=b'D').contains(&b[8])
}

fn is_uk_nhs(s: &str) -> bool {
    let Some(d) = digits_with_uniform_separator(s, &[' ', '-']) else {
        return false;
    };
    if d.len() != 10 || all_same(&d) {
        return false;
    }
    let digits: Vec<u32> = d.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits[..9]
        .iter()
        .enumerate()
        .map(|(i, v)| v * (10 - i as u32))
        .sum();
    let check = match 11 - (sum % 11) {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == digits[9]
}

// ---------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------

/// The ASCII letters right before `end` (exclusive), lowercased.
fn word_before(haystack: &[u8], end: usize) -> String {
    let start = haystack[..end]
        .iter()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    String::from_utf8_lossy(&haystack[start..end]).to_ascii_lowercase()
}

/// Words that introduce a version number (`rv:1.9.2.20`, `version 10.2.3.4`).
fn is_version_word(w: String) -> bool {
    matches!(
        w.as_str(),
        "rv" | "v" | "ver" | "version" | "build" | "release" | "firmware" | "fw" | "sdk" | "api"
    )
}

fn is_ipv4(s: &str) -> bool {
    // std rejects leading zeros ("010.0.0.1"), which are octal in some parsers.
    s.split('.').count() == 4 && Ipv4Addr::from_str(s).is_ok()
}

fn is_ipv6(s: &str) -> bool {
    // `A::B` in code (`std::io`-like paths) parses as IPv6; real addresses
    // have at least one group of two or more hex digits, or are `::1`.
    let has_long_group = s.split(':').any(|g| g.len() >= 2);
    (has_long_group || s == "::1") && Ipv6Addr::from_str(s).is_ok() && s != "::"
}

fn is_mac(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let hex: String;
    if lower.len() == 14 && lower.matches('.').count() == 2 {
        let groups: Vec<&str> = lower.split('.').collect();
        if groups.len() != 3 || groups.iter().any(|g| g.len() != 4) {
            return false;
        }
        hex = groups.concat();
    } else if lower.len() == 17 {
        let sep = lower.as_bytes()[2];
        if sep != b':' && sep != b'-' {
            return false;
        }
        let groups: Vec<&str> = lower.split(sep as char).collect();
        if groups.len() != 6 || groups.iter().any(|g| g.len() != 2) {
            return false;
        }
        hex = groups.concat();
    } else {
        return false;
    }
    hex.len() == 12
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && hex != "000000000000"
        && hex != "ffffffffffff"
}

// ---------------------------------------------------------------------------
// Geo
// ---------------------------------------------------------------------------

fn is_lat_lon(s: &str) -> bool {
    let parts: Vec<&str> = s
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 2 {
        return false;
    }
    let decimals = |p: &str| p.split_once('.').map_or(0, |(_, f)| f.len());
    let (Ok(lat), Ok(lon)) = (parts[0].parse::<f64>(), parts[1].parse::<f64>()) else {
        return false;
    };
    decimals(parts[0]) >= 3
        && decimals(parts[1]) >= 3
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
        && !(lat == 0.0 && lon == 0.0)
}

// ---------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------

fn b64url_json_object(part: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice::<serde_json::Value>(&bytes).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

fn is_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 3 || parts[0].is_empty() || parts[1].is_empty() {
        return false;
    }
    let b64 = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !parts.iter().all(|p| b64(p)) {
        return false;
    }
    let Some(header) = b64url_json_object(parts[0]) else {
        return false;
    };
    header.get("alg").is_some_and(|a| a.is_string()) && b64url_json_object(parts[1]).is_some()
}

fn is_aws_access_key(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && ["AKIA", "ASIA", "ABIA", "ACCA"].contains(&&s[..4.min(s.len())])
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(c))
}

// ---------------------------------------------------------------------------
// Medical
// ---------------------------------------------------------------------------

fn is_icd10(s: &str) -> bool {
    let c = s.to_ascii_uppercase();
    let b = c.as_bytes();
    if b.len() < 3 {
        return false;
    }
    let (letter, d1, third) = (b[0], b[1], b[2]);
    if !letter.is_ascii_uppercase() || letter == b'U' || !d1.is_ascii_digit() {
        return false;
    }
    let rest = &c[3..];
    let ext = rest.strip_prefix('.').unwrap_or(rest);
    if rest.starts_with('.') && ext.is_empty() {
        return false;
    }
    if ext.len() > 4
        || !ext
            .bytes()
            .all(|x| x.is_ascii_digit() || x.is_ascii_uppercase())
    {
        return false;
    }
    if third.is_ascii_uppercase() {
        // ICD-10-CM categories with a letter in third position.
        return ["C4A", "C7A", "C7B", "D3A", "M1A", "O9A", "Z3A"].contains(&&c[..3]);
    }
    if !third.is_ascii_digit() {
        return false;
    }
    let n = u32::from(d1 - b'0') * 10 + u32::from(third - b'0');
    // Upper bound of the category numbers in use per letter (WHO ICD-10 and ICD-10-CM).
    let max = match letter {
        b'C' => 97,
        b'D' => 89,
        b'E' => 90,
        b'H' => 95,
        b'K' => 95,
        b'P' => 96,
        b'T' => 98,
        _ => 99,
    };
    n <= max
}

// ---------------------------------------------------------------------------
// Contact
// ---------------------------------------------------------------------------

/// File extensions that look like TLDs in `logo@2x.png` and are not TLDs.
const NON_TLD_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "css", "js", "json",
    "txt", "pdf", "doc", "docx", "xls", "xlsx", "csv", "log", "yml", "yaml", "xml", "htm", "html",
    "gz", "tar", "tgz", "exe", "dll", "java", "class", "bin", "dat", "tmp", "bak", "heic", "avif",
    "woff", "ttf", "map",
];

fn is_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return false;
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return false;
    }
    // ASCII atoms plus letters (internationalised local parts, RFC 6531).
    let local_ok = local
        .chars()
        .all(|c| c.is_alphanumeric() || "._%+-'".contains(c));
    local_ok && is_hostname(domain, true)
}

/// A DNS host name with at least two labels and an alphabetic TLD of 2–24
/// characters that is not a common file extension.
fn is_hostname(domain: &str, strict_tld: bool) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    // No allocation: this runs once per email candidate.
    let mut labels = 0;
    let mut tld = "";
    for l in domain.split('.') {
        if l.is_empty()
            || l.len() > 63
            || l.starts_with('-')
            || l.ends_with('-')
            || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return false;
        }
        labels += 1;
        tld = l;
    }
    let tld_ok = labels >= 2
        && (2..=24).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic());
    tld_ok
        && !(strict_tld
            && NON_TLD_EXTENSIONS
                .iter()
                .any(|ext| ext.eq_ignore_ascii_case(tld)))
}

fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = ["https://", "http://", "ftp://"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .or_else(|| lower.starts_with("www.").then_some(lower.as_str()));
    let Some(rest) = rest else {
        return false;
    };
    if rest
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(h) = host_port.strip_prefix('[') {
        // [ipv6]:port
        return h
            .split_once(']')
            .is_some_and(|(ip, _)| Ipv6Addr::from_str(ip).is_ok());
    } else {
        match host_port.rsplit_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
            Some((_, "")) => return false,
            Some(_) => return false,
            None => host_port,
        }
    };
    host == "localhost" || Ipv4Addr::from_str(host).is_ok() || is_hostname(host, false)
}

/// Regions tried for a national-format number. A leading trunk `0` means
/// GB, DE or FR; without one only the trunk-less plans (US/NANP, ES) are
/// tried — libphonenumber would otherwise read any 10 digits as a GB or DE
/// number with the trunk prefix left off (`1700000000` -> `0170 0000000`).
fn phone_regions(s: &str) -> &'static [phonenumber::country::Id] {
    use phonenumber::country::Id;
    if s.trim_start_matches(['(', ' ']).starts_with('0') {
        &[Id::GB, Id::DE, Id::FR]
    } else {
        &[Id::US, Id::ES]
    }
}

/// International prefix `00` -> `+`, so the number parses without a region.
fn international_form(s: &str) -> Option<String> {
    let t = s.trim();
    if t.starts_with('+') {
        Some(t.to_string())
    } else {
        t.strip_prefix("00")
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit() && c != '0'))
            .map(|r| format!("+{r}"))
    }
}

/// Compiled regexes libphonenumber's metadata may keep (in one LRU shared by
/// every thread; its own default is 100). Validating the bench lake's
/// numbers (NANP numbers try up to 25 regions' patterns) touches 500-1,000
/// of them: 256 recompiled ~5,000 per `--full` scan, ~3 % of its CPU, and
/// with ASCII classes ([`phone_regex_cache`]) 1,024 hold fewer bytes than
/// 256 with Unicode ones did (benches/README.md, session 8).
const PHONE_REGEX_CACHE: usize = 1024;

/// Lazy-DFA cache room of one libphonenumber regex (per thread using it).
/// The regex crate's default is 2 MiB: the ~100-200 metadata regexes that
/// validating numbers of a few regions touches then held ~130 MB at the
/// peak of a `--full` scan of the bench lake, growing with the numbers
/// checked until every cache was full (heaptrack, benches/README.md). With
/// 64 KiB each they held ~15 MB, for 7 % more instructions per number
/// checked (callgrind; 128 KiB – 1 MiB measured the same).
const PHONE_DFA_BYTES: usize = 64 << 10;

/// The cache libphonenumber's metadata regexes are compiled into
/// (`vendor/regex-cache`, patched for this): each compiled once, with
/// [`PHONE_DFA_BYTES`] of DFA room and ASCII classes. libphonenumber
/// matches them only against numbers it has normalised to ASCII digits,
/// where `[0-9]` and Unicode `\d` agree, and Unicode `\d` (in nearly
/// every metadata pattern) made each regex several times larger and slower
/// to compile.
fn phone_regex_cache() -> regex_cache::RegexCache {
    regex_cache::RegexCache::with_dfa_size_limit(PHONE_REGEX_CACHE, PHONE_DFA_BYTES)
        .with_ascii_classes()
}

fn parse_valid(
    region: Option<phonenumber::country::Id>,
    s: &str,
) -> Option<phonenumber::PhoneNumber> {
    static SMALL_DFA_CACHE: std::sync::Once = std::sync::Once::new();
    SMALL_DFA_CACHE.call_once(|| {
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
            *cache = phone_regex_cache();
        }
    });
    phonenumber::parse(region, s)
        .ok()
        .filter(phonenumber::is_valid)
}

fn is_phone(s: &str) -> bool {
    // Digits of the number proper, before any extension ("x123", "ext. 4").
    let number = s.split(['x', 'e']).next().unwrap_or(s);
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return false;
    }
    if let Some(intl) = international_form(s) {
        return parse_valid(None, &intl).is_some();
    }
    if phone_regions(s)
        .iter()
        .any(|r| parse_valid(Some(*r), s).is_some())
    {
        return true;
    }
    // Integer columns drop the '+': 442079460958 is +44 20 7946 0958.
    digits >= 11
        && s.bytes().all(|b| b.is_ascii_digit())
        && !s.starts_with('0')
        && parse_valid(None, &format!("+{s}")).is_some()
}

/// Normalise a phone number to E.164 (`+14155552671`) for right-to-be-forgotten
/// matching. International forms (`+…`, `00…`) need no region. A national
/// form uses `default_region` (ISO 3166 alpha-2, e.g. `"GB"`); without one it
/// is accepted only when exactly one of the candidate regions reads it as a
/// valid number (GB, DE, FR with a trunk `0`; US, ES without) — an ambiguous
/// number is not guessed.
pub fn normalize_phone(s: &str, default_region: Option<&str>) -> Option<String> {
    let e164 = |n: phonenumber::PhoneNumber| n.format().mode(phonenumber::Mode::E164).to_string();
    if let Some(intl) = international_form(s) {
        return parse_valid(None, &intl).map(e164);
    }
    if let Some(region) = default_region {
        let id = phonenumber::country::Id::from_str(&region.trim().to_ascii_uppercase()).ok()?;
        return parse_valid(Some(id), s).map(e164);
    }
    let mut found: Option<String> = None;
    for &r in phone_regions(s) {
        if let Some(n) = parse_valid(Some(r), s) {
            let f = e164(n);
            match &found {
                Some(prev) if *prev != f => return None,
                _ => found = Some(f),
            }
        }
    }
    found
}

/// Normalise an email address for matching: trimmed, `mailto:` and angle
/// brackets removed, lower-cased. Provider-specific rewriting (dots or
/// `+tags` in Gmail) is deliberately not done: it is not valid in general.
pub fn normalize_email(s: &str) -> String {
    let t = s.trim();
    let t = t.strip_prefix("mailto:").unwrap_or(t);
    let t = t.trim_start_matches('<').trim_end_matches('>');
    t.trim().to_lowercase()
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether `y` is not after the current year. The clock is read once: years
/// only grow, so only a year after the first reading needs another (reading
/// it for every candidate date showed in `--full` profiles).
fn not_after_this_year(y: i32) -> bool {
    static FIRST_READING: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    y <= *FIRST_READING.get_or_init(current_year) || y <= current_year()
}

/// The current calendar year (UTC), from the system clock.
pub(crate) fn current_year() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    y as i32
}

fn plausible_birth_date(y: i32, m: u32, d: u32) -> bool {
    y >= 1900
        && not_after_this_year(y)
        && (1..=12).contains(&m)
        && d >= 1
        && d <= days_in_month(y, m)
}

/// Month names (en, de, fr, es; full and common abbreviations), lower-case,
/// accents as written and folded.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("jänner", 1),
    ("janvier", 1),
    ("janv", 1),
    ("enero", 1),
    ("ene", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("febrero", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("maerz", 3),
    ("marz", 3),
    ("mars", 3),
    ("marzo", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("juil", 7),
    ("julio", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    ("diciembre", 12),
    ("dic", 12),
];

fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

fn is_date_of_birth(s: &str) -> bool {
    // Numeric forms: split on the separators the patterns allow.
    let numeric: Vec<&str> = s.split(['-', '/', '.']).collect();
    if numeric.len() == 3
        && numeric
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let n: Vec<u32> = numeric.iter().map(|p| p.parse().unwrap_or(0)).collect();
        if numeric[0].len() == 4 {
            return plausible_birth_date(n[0] as i32, n[1], n[2]);
        }
        if numeric[2].len() == 4 {
            let y = n[2] as i32;
            // Day-first (EU) or month-first (US): either reading may be meant.
            return plausible_birth_date(y, n[1], n[0]) || plausible_birth_date(y, n[0], n[1]);
        }
        return false;
    }
    // Textual forms: "14 March 1985", "March 14, 1985", "14. März 1985", "14 de marzo de 1985".
    let mut day = None;
    let mut month = None;
    let mut year = None;
    for tok in s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let t = tok.trim_end_matches('.');
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            let suffix = &t[digits.len()..];
            if !["", "st", "nd", "rd", "th", "er", "o", "º"]
                .contains(&suffix.to_lowercase().as_str())
            {
                return false;
            }
            let v: u32 = digits.parse().unwrap_or(0);
            if digits.len() == 4 && year.is_none() {
                year = Some(v as i32);
            } else if digits.len() <= 2 && day.is_none() {
                day = Some(v);
            } else {
                return false;
            }
        } else if let Some(m) = month_number(t) {
            if month.replace(m).is_some() {
                return false;
            }
        } else if !["de", "del", "le", "the", "of"].contains(&t.to_lowercase().as_str()) {
            return false;
        }
    }
    match (year, month, day) {
        (Some(y), Some(m), Some(d)) => plausible_birth_date(y, m, d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ValidatorKind as V;

    fn ok(kind: V, s: &str) {
        assert!(validate(kind, s), "{kind:?} should accept {s:?}");
    }
    fn no(kind: V, s: &str) {
        assert!(!validate(kind, s), "{kind:?} should reject {s:?}");
    }

    #[test]
    fn kind_names_round_trip() {
        for k in ValidatorKind::ALL {
            assert_eq!(k.as_str().parse::<ValidatorKind>().unwrap(), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
    }

    #[test]
    fn luhn_cards() {
        for c in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "3782 822463 10005",
            "6011111111111117",
            "3530111333300000",
            "30569309025904",
            "6200000000000005",
            "213100000000001",
            "4222222222222",
        ] {
            ok(V::Luhn, c);
        }
        assert_eq!(card_scheme("378282246310005"), Some("amex"));
        assert_eq!(card_scheme("5555555555554444"), Some("mastercard"));
        assert_eq!(card_scheme("4111111111111111"), Some("visa"));
    }

    #[test]
    fn luhn_look_alikes() {
        no(V::Luhn, "4111111111111112"); // fails Luhn
        no(V::Luhn, "1234567812345678"); // fails Luhn
        no(V::Luhn, "0000000000000000"); // passes Luhn, no scheme
        no(V::Luhn, "7000000000000009"); // passes Luhn, no scheme with IIN 7
        no(V::Luhn, "411111111111111"); // Visa with 15 digits
        no(V::Luhn, "37828224631000"); // Amex too short
        no(V::Luhn, "4111 1111-1111 1111"); // mixed separators
        no(V::Luhn, "4111111111111111111111"); // too long
                                               // hex hash and a UUID's digits are not cards
        no(V::Luhn, "d41d8cd98f00b204e9800998ecf8427e");
        no(V::Luhn, "550e8400-e29b-41d4-a716-446655440000");
        // digits of a 16-digit timestamp-ish id failing Luhn
        no(V::Luhn, "1700000000000001");
    }

    #[test]
    fn iban() {
        for c in [
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "FR1420041010050500013M02606",
            "ES9121000418450200051332",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "NO9386011117947",
            "de89370400440532013000",
        ] {
            ok(V::Iban, c);
        }
        no(V::Iban, "DE88370400440532013000"); // wrong check digits
        no(V::Iban, "DE8937040044053201300"); // wrong length for DE
        no(V::Iban, "XX89370400440532013000"); // unknown country
        no(V::Iban, "GB82WEST1234569876543"); // short
        no(V::Iban, "DE00370400440532013000");
        no(V::Iban, "DE89-3704-0044-0532-0130-00");
    }

    #[test]
    fn us_ssn() {
        ok(V::UsSsn, "123-45-6789");
        ok(V::UsSsn, "536-90-4399");
        ok(V::UsSsn, "536904399");
        ok(V::UsSsn, "536 90 4399");
        no(V::UsSsn, "000-12-3456"); // area 000
        no(V::UsSsn, "666-12-3456"); // area 666
        no(V::UsSsn, "900-12-3456"); // area 9xx
        no(V::UsSsn, "987-65-4321");
        no(V::UsSsn, "123-00-4567"); // group 00
        no(V::UsSsn, "123-45-0000"); // serial 0000
        no(V::UsSsn, "078-05-1120"); // Woolworth
        no(V::UsSsn, "219-09-9999"); // SSA pamphlet
        no(V::UsSsn, "111-11-1111");
        no(V::UsSsn, "123-45 6789"); // mixed separators
        no(V::UsSsn, "1234-5-6789"); // wrong grouping
        no(V::UsSsn, "12345678"); // 8 digits
    }

    #[test]
    fn uk_nino() {
        ok(V::UkNino, "AB123456C");
        ok(V::UkNino, "AB 12 34 56 C");
        ok(V::UkNino, "ce123456a");
        no(V::UkNino, "DA123456A"); // first letter D
        no(V::UkNino, "AO123456A"); // second letter O
        no(V::UkNino, "QQ123456A");
        no(V::UkNino, "BG123456A"); // reserved prefix
        no(V::UkNino, "GB123456A");
        no(V::UkNino, "ZZ123456A");
        no(V::UkNino, "TN123456A");
        no(V::UkNino, "AB123456E"); // suffix A-D only
        no(V::UkNino, "AB12345C");
    }

    fn nhs_with_check(first9: &str) -> Option<String> {
        let sum: u32 = first9
            .bytes()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * (10 - i as u32))
            .sum();
        match 11 - sum % 11 {
            10 => None,
            11 => Some(format!("{first9}0")),
            c => Some(format!("{first9}{c}")),
        }
    }

    #[test]
    fn uk_nhs() {
        ok(V::UkNhs, "9434765919");
        ok(V::UkNhs, "943 476 5919");
        ok(V::UkNhs, "943-476-5919");
        let n = nhs_with_check("401023213").unwrap();
        ok(V::UkNhs, &n);
        // Every other last digit fails the check.
        let last = n.as_bytes()[9] - b'0';
        for d in 0..10u8 {
            if d != last {
                no(V::UkNhs, &format!("{}{}", &n[..9], d));
            }
        }
        no(V::UkNhs, "9434765918");
        no(V::UkNhs, "0000000000");
        no(V::UkNhs, "943 476-5919");
        no(V::UkNhs, "94347659");
    }

    #[test]
    fn ip_addresses() {
        ok(V::Ipv4, "192.168.1.20");
        ok(V::Ipv4, "8.8.8.8");
        no(V::Ipv4, "256.1.1.1");
        no(V::Ipv4, "1.2.3");
        no(V::Ipv4, "10.2.3.4.5");
        no(V::Ipv4, "010.1.1.1");
        ok(V::Ipv6, "2001:db8::8a2e:370:7334");
        ok(V::Ipv6, "fe80::1");
        ok(V::Ipv6, "::ffff:192.168.1.1");
        ok(V::Ipv6, "2001:0db8:85a3:0000:0000:8a2e:0370:7334");
        no(V::Ipv6, "12:30:45");
        no(V::Ipv6, "::");
        no(V::Ipv6, "00:1a:2b:3c:4d:5e");
        no(V::Ipv6, "2001:db8:::1");
        no(V::Ipv6, "A::B");
        ok(V::Ipv6, "::1");
    }

    #[test]
    fn ip_context() {
        let h = b"v1.2.3.4 10.2.3.4.5 addr: 1.2.3.4";
        // "1.2.3.4" after 'v'
        assert!(!validate_match(V::Ipv4, h, 1, 8));
        // "10.2.3.4" followed by ".5"
        assert!(!validate_match(V::Ipv4, h, 9, 17));
        // "2.3.4.5" preceded by "."
        assert!(!validate_match(V::Ipv4, h, 12, 19));
        // a plain one
        assert!(validate_match(V::Ipv4, h, 26, 33));
        // product tokens in user agents are versions, not addresses
        let ua = b"Mozilla/5.0 Chrome/91.0.4472.124 from 10.1.2.3/24";
        assert!(!validate_match(V::Ipv4, ua, 19, 32));
        let gecko = b"rv:1.9.2.20) version 10.2.3.4 host:10.9.8.7";
        assert!(!validate_match(V::Ipv4, gecko, 3, 11));
        assert!(!validate_match(V::Ipv4, gecko, 21, 29));
        assert!(validate_match(V::Ipv4, gecko, 35, 43));
        assert!(validate_match(V::Ipv4, ua, 38, 46));
        let line = b"ip=10.0.0.1\n.5";
        // context never crosses the newline: ".5" on the next line does not count
        assert!(validate_match(V::Ipv4, line, 3, 11));
    }

    #[test]
    fn mac() {
        ok(V::Mac, "00:1A:2B:3C:4D:5E");
        ok(V::Mac, "00-1a-2b-3c-4d-5e");
        ok(V::Mac, "001a.2b3c.4d5e");
        no(V::Mac, "00:1A:2B-3C:4D:5E"); // mixed separators
        no(V::Mac, "00:00:00:00:00:00");
        no(V::Mac, "FF:FF:FF:FF:FF:FF");
        no(V::Mac, "00:1A:2B:3C:4D");
        no(V::Mac, "550e8400-e29b-41d4-a716-446655440000"); // UUID
        no(V::Mac, "d41d8cd98f00b204e9800998ecf8427e"); // md5
        no(V::Mac, "0g:1a:2b:3c:4d:5e");
        // part of a longer colon sequence
        let h = b"aa:bb:cc:dd:ee:ff:00:11";
        assert!(!validate_match(V::Mac, h, 0, 17));
        assert!(validate_match(V::Mac, b"mac 00:1a:2b:3c:4d:5e.", 4, 21));
    }

    #[test]
    fn lat_lon() {
        ok(V::LatLon, "48.8566, 2.3522");
        ok(V::LatLon, "-33.8688,151.2093");
        ok(V::LatLon, "40.7128 -74.0060");
        no(V::LatLon, "91.000, 10.000");
        no(V::LatLon, "45.000, 181.000");
        no(V::LatLon, "0.000, 0.000");
        no(V::LatLon, "48.85, 2.35"); // too few decimals
        no(V::LatLon, "48.8566");
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn jwt() {
        let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        ok(V::Jwt, t);
        let unsigned = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(r#"{"sub":"x"}"#));
        ok(V::Jwt, &unsigned);
        let no_alg = format!("{}.{}.sig", b64(r#"{"typ":"JWT"}"#), b64(r#"{"sub":"x"}"#));
        no(V::Jwt, &no_alg);
        no(V::Jwt, "eyJhbGciOi.eyJzdWIiOi.abc"); // truncated, not JSON
        no(V::Jwt, "eyJ!!!.eyJ.x");
        no(V::Jwt, "a.b");
    }

    #[test]
    fn aws_access_key() {
        ok(V::AwsAccessKey, "AKIAIOSFODNN7EXAMPLE");
        ok(V::AwsAccessKey, "ASIAY34FZKBOKMUTVV7A");
        no(V::AwsAccessKey, "AKIAIOSFODNN7EXAMPL"); // 19 chars
        no(V::AwsAccessKey, "AKIAIOSFODNN7EXAMPL1"); // '1' is not base32
        no(V::AwsAccessKey, "AKIAIOSFODNN0EXAMPLE"); // '0' is not base32
        no(V::AwsAccessKey, "AXIAIOSFODNN7EXAMPLE");
        no(V::AwsAccessKey, "d41d8cd98f00b204e980"); // hex
    }

    #[test]
    fn icd10() {
        for c in [
            "E11.9", "I10", "J45.909", "S72.001A", "T36.0X1A", "C4A.0", "Z3A.38", "F32.A", "M54.5",
            "E119",
        ] {
            ok(V::Icd10, c);
        }
        no(V::Icd10, "U07.1"); // special-purpose chapter not covered by the pattern
        no(V::Icd10, "C99"); // neoplasms end at C97
        no(V::Icd10, "D95");
        no(V::Icd10, "K99.1");
        no(V::Icd10, "A1B");
        no(V::Icd10, "E11.");
        no(V::Icd10, "E11.12345");
        no(V::Icd10, "11.9");
    }

    #[test]
    fn email() {
        ok(V::Email, "john.doe@example.com");
        ok(V::Email, "j+tag@mail.example.co.uk");
        ok(V::Email, "o'brien@example.ie");
        ok(V::Email, "jürgen.müller@example.de");
        no(V::Email, "a b@example.com");
        no(V::Email, "logo@2x.png");
        no(V::Email, "john@localhost");
        no(V::Email, "john@example.c");
        no(V::Email, "john@example.123");
        no(V::Email, ".john@example.com");
        no(V::Email, "jo..hn@example.com");
        no(V::Email, "john@-example.com");
        no(V::Email, "john@example..com");
        no(V::Email, "john@example.abcdefghijklmnopqrstuvwxyz");
        assert_eq!(
            normalize_email("  <John.Doe@Example.COM> "),
            "john.doe@example.com"
        );
        assert_eq!(normalize_email("mailto:A@B.de"), "a@b.de");
    }

    #[test]
    fn url() {
        ok(V::Url, "https://example.com/path?q=1");
        ok(V::Url, "http://www.example.co.uk");
        ok(V::Url, "ftp://files.example.org/pub");
        ok(V::Url, "www.example.de/impressum");
        ok(V::Url, "http://localhost:8080/x");
        ok(V::Url, "http://10.0.0.1/x");
        ok(V::Url, "https://user@example.com:443/");
        no(V::Url, "https://");
        no(V::Url, "https://example");
        no(V::Url, "example.com");
        no(V::Url, "http://exa mple.com");
        no(V::Url, "https://example.com:abc/");
    }

    #[test]
    fn phone() {
        ok(V::Phone, "+1 415-555-2671".replace("555", "253").as_str());
        ok(V::Phone, "+44 20 7946 0958");
        ok(V::Phone, "020 7946 0958");
        ok(V::Phone, "+49 30 12345678");
        ok(V::Phone, "030 12345678");
        ok(V::Phone, "+33 1 23 45 67 89");
        ok(V::Phone, "01 23 45 67 89");
        ok(V::Phone, "+34 912 345 678");
        ok(V::Phone, "612 345 678");
        ok(V::Phone, "(415) 253-2671");
        ok(V::Phone, "0049 30 12345678");
        no(V::Phone, "123");
        no(V::Phone, "+1 000-000-0000");
        no(V::Phone, "0000000000");
        no(V::Phone, "+99 1234 5678");
        ok(V::Phone, "442079460958");
        ok(V::Phone, "+1 415-253-2671 ext. 42");
        ok(V::Phone, "(415) 253-2671x123");
        ok(V::Phone, "4152532671");
        // Bare digits are not read as GB/DE numbers missing their trunk 0.
        no(V::Phone, "1700000000");
        no(V::Phone, "1234567890");
    }

    #[test]
    fn phone_regexes_are_compiled_with_small_dfa_caches() {
        for n in [
            "+44 20 7946 0958",
            "030 12345678",
            "+33 1 23 45 67 89",
            "(415) 253-2671",
        ] {
            ok(V::Phone, n);
        }
        let cache = phonenumber::metadata::DATABASE.cache();
        let cache = cache.lock().unwrap();
        // The cache every metadata regex is compiled into is the one that
        // limits their lazy-DFA room, and the numbers above went through it.
        assert_eq!(cache.dfa_size_limit(), Some(PHONE_DFA_BYTES));
        assert!(cache.ascii_classes());
        assert_eq!(cache.capacity(), PHONE_REGEX_CACHE);
        assert!(cache.len() > 10, "{} regexes", cache.len());
    }

    #[test]
    fn phone_regexes_use_ascii_classes_where_the_pattern_allows() {
        let mut cache = phone_regex_cache();
        let digits = cache.compile(r"^\d{3}$").unwrap();
        assert!(digits.is_match("123"));
        // Arabic-Indic digits: what Unicode `\d` would match too. Metadata
        // patterns never see them: libphonenumber maps them to ASCII first.
        assert!(!digits.is_match("\u{663}\u{664}\u{665}"));
        // `.` without Unicode could match invalid UTF-8: compiled as before.
        assert!(cache.compile(r"^.$").unwrap().is_match("\u{e9}"));
    }

    #[test]
    fn phone_normalisation() {
        assert_eq!(
            normalize_phone("+44 20 7946 0958", None).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            normalize_phone("0044 20 7946 0958", None).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            normalize_phone("020 7946 0958", Some("GB")).as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            normalize_phone("030 12345678", Some("de")).as_deref(),
            Some("+493012345678")
        );
        assert_eq!(
            normalize_phone("(415) 253-2671", Some("US")).as_deref(),
            Some("+14152532671")
        );
        assert_eq!(normalize_phone("not a phone", Some("US")), None);
        assert_eq!(normalize_phone("020 7946 0958", Some("XX")), None);
        assert_eq!(
            normalize_phone("(415) 253-2671", None).as_deref(),
            Some("+14152532671")
        );
        assert_eq!(
            normalize_phone("612 345 678", None).as_deref(),
            Some("+34612345678")
        );
    }

    #[test]
    fn date_of_birth() {
        for d in [
            "1985-03-14",
            "1985/03/14",
            "14.03.1985",
            "14/03/1985",
            "03/14/1985",
            "29.02.2000",
            "14 March 1985",
            "March 14, 1985",
            "14. März 1985",
            "14 de marzo de 1985",
            "1er janvier 1990",
            "14 Sept. 1985",
        ] {
            ok(V::DateOfBirth, d);
        }
        no(V::DateOfBirth, "1899-12-31"); // before 1900
        no(V::DateOfBirth, &format!("{}-01-01", current_year() + 1)); // future year
        no(V::DateOfBirth, "1985-02-30");
        no(V::DateOfBirth, "29.02.1999");
        no(V::DateOfBirth, "14/14/1985");
        no(V::DateOfBirth, "1985-13-01");
        no(V::DateOfBirth, "14 Foo 1985");
        no(V::DateOfBirth, "85-03-14");
        assert!(current_year() >= 2024);
    }

    #[test]
    fn numeric_context() {
        // SSN digits inside a decimal number
        assert!(!validate_match(V::UsSsn, b"0.536904399", 2, 11));
        assert!(!validate_match(V::UsSsn, b"536-90-4399-1", 0, 11));
        assert!(validate_match(V::UsSsn, b"ssn: 536-90-4399.", 5, 16));
        assert!(!validate_match(V::Luhn, b"x", 0, 2)); // out of bounds
    }
}
