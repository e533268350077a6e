//! End-to-end tests of the built-in rule files: loading, matching with both
//! engines, validation, user overrides.

use std::collections::BTreeSet;
use std::path::PathBuf;

use lakewarden_rules::{
    mask, match_order, validate_match, validate_match_in_text, Matcher, RegexMatcher, RuleSet,
    RulesError, Sensitivity, ValueKind,
};

#[cfg(feature = "hyperscan")]
use lakewarden_rules::HyperscanMatcher;

const CORE: [&str; 18] = [
    "AWS_ACCESS_KEY",
    "CREDIT_CARD",
    "DATE_OF_BIRTH",
    "EMAIL_ADDRESS",
    "GEO_COORDINATE",
    "IBAN_CODE",
    "IP_ADDRESS",
    "JWT",
    "MAC_ADDRESS",
    "MEDICAL_CODE",
    "PASSPORT_NUMBER",
    "PERSON",
    "PHONE_NUMBER",
    "STREET_ADDRESS",
    "UK_NHS",
    "UK_NINO",
    "URL",
    "US_SSN",
];

fn rules() -> RuleSet {
    RuleSet::builtin().expect("built-in rules load")
}

/// Validated `(entity, matched text)` pairs found in `text`.
fn detect<M: Matcher>(
    rules: &RuleSet,
    m: &M,
    scratch: &mut M::Scratch,
    text: &str,
) -> BTreeSet<(String, String)> {
    let hay = text.as_bytes();
    let mut out = BTreeSet::new();
    m.scan(scratch, hay, &mut |id, s, e| {
        let (entity, p) = rules.pattern(id);
        let ok = match p.validator {
            Some(v) => {
                let ok = validate_match(v, hay, s, e);
                // What the classifier calls on its joined text agrees.
                assert_eq!(ok, validate_match_in_text(v, text, s, e), "{v:?}");
                ok
            }
            None => true,
        };
        if ok {
            out.insert((entity.entity.clone(), text[s..e].to_string()));
        }
    })
    .unwrap();
    out
}

fn entities_in(found: &BTreeSet<(String, String)>) -> BTreeSet<&str> {
    found.iter().map(|(e, _)| e.as_str()).collect()
}

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/// (entity, value that must be found as that entity, exact expected match)
fn positives() -> Vec<(&'static str, String, String)> {
    let v = |e: &'static str, s: &str| (e, s.to_string(), s.to_string());
    let w = |e: &'static str, s: &str, m: &str| (e, s.to_string(), m.to_string());
    vec![
        w(
            "EMAIL_ADDRESS",
            "contact: john.doe@example.com.",
            "john.doe@example.com",
        ),
        v("EMAIL_ADDRESS", "j.müller+news@mail.example.de"),
        v("PHONE_NUMBER", "+44 20 7946 0958"),
        v("PHONE_NUMBER", "+1-415-253-2671"),
        v("PHONE_NUMBER", "(415) 253-2671"),
        v("PHONE_NUMBER", "415.253.2671"),
        v("PHONE_NUMBER", "020 7946 0958"),
        v("PHONE_NUMBER", "+49 30 12345678"),
        v("PHONE_NUMBER", "030 12345678"),
        v("PHONE_NUMBER", "+49(0)30 12345678"),
        v("PHONE_NUMBER", "+33 1 23 45 67 89"),
        v("PHONE_NUMBER", "01 23 45 67 89"),
        v("PHONE_NUMBER", "+34 912 345 678"),
        v("PHONE_NUMBER", "612 345 678"),
        v("PHONE_NUMBER", "0044 20 7946 0958"),
        v("PHONE_NUMBER", "442079460958"),
        v("PERSON", "John Smith"),
        v("PERSON", "José García"),
        v("PERSON", "Élodie Martin"),
        v("PERSON", "Ludwig van Beethoven"),
        v("PERSON", "Siobhan O'Brien"),
        v("STREET_ADDRESS", "221B Baker Street"),
        v("STREET_ADDRESS", "1600 Pennsylvania Avenue"),
        v("STREET_ADDRESS", "350 5th Ave Apt 4"),
        v("STREET_ADDRESS", "Hauptstraße 5"),
        v("STREET_ADDRESS", "Berliner Str. 12a"),
        v("STREET_ADDRESS", "Karl-Marx-Allee 3"),
        v("STREET_ADDRESS", "12 rue de la Paix"),
        v("STREET_ADDRESS", "3, boulevard Saint-Michel"),
        v("STREET_ADDRESS", "8 allée des Tilleuls"),
        v("STREET_ADDRESS", "Calle de Alcalá, 45"),
        v("STREET_ADDRESS", "Avda. de América 3"),
        v("STREET_ADDRESS", "C/ Mayor, 5"),
        w(
            "STREET_ADDRESS",
            "Neue Anschrift: Lindenweg 12a, 68691 Regensburg",
            "12a, 68691 Regensburg",
        ),
        w(
            "STREET_ADDRESS",
            "nouvelle adresse : 43, avenue de Lemaire, 19287 Grondin-sur-Marques",
            "e, 19287 Grondin",
        ),
        w(
            "STREET_ADDRESS",
            "new address: 46 Josh Bridge, Gibsonfurt, SE4X 3UL",
            ", Gibsonfurt, SE4X 3UL",
        ),
        w(
            "STREET_ADDRESS",
            "ship to 1600 Pennsylvania Ave NW, Washington, DC 20500",
            ", Washington, DC 20500",
        ),
        v("DATE_OF_BIRTH", "1985-03-14"),
        w("DATE_OF_BIRTH", "1985-03-14T00:00:00Z", "1985-03-14"),
        v("DATE_OF_BIRTH", "14.03.1985"),
        v("DATE_OF_BIRTH", "03/14/1985"),
        v("DATE_OF_BIRTH", "14 March 1985"),
        v("DATE_OF_BIRTH", "14. März 1985"),
        v("DATE_OF_BIRTH", "14 de marzo de 1985"),
        v("CREDIT_CARD", "4111 1111 1111 1111"),
        v("CREDIT_CARD", "5555555555554444"),
        v("CREDIT_CARD", "3782 822463 10005"),
        v("IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
        v("IBAN_CODE", "GB82WEST12345698765432"),
        v("IBAN_CODE", "FR1420041010050500013M02606"),
        v("US_SSN", "536-90-4399"),
        v("US_SSN", "536904399"),
        v("UK_NINO", "AB 12 34 56 C"),
        v("UK_NINO", "CE123456A"),
        v("UK_NHS", "943 476 5919"),
        v("UK_NHS", "9434765919"),
        v("PASSPORT_NUMBER", "C01X00T47"),
        v("PASSPORT_NUMBER", "12AB34567"),
        v("PASSPORT_NUMBER", "A12345678"),
        v("IP_ADDRESS", "192.168.1.20"),
        v("IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        v("IP_ADDRESS", "fe80::1"),
        v("MAC_ADDRESS", "00:1A:2B:3C:4D:5E"),
        v("MAC_ADDRESS", "00-1a-2b-3c-4d-5e"),
        v("MAC_ADDRESS", "001a.2b3c.4d5e"),
        v("GEO_COORDINATE", "48.8566, 2.3522"),
        v("GEO_COORDINATE", "-33.8688,151.2093"),
        w(
            "URL",
            "see https://example.com/path?q=1.",
            "https://example.com/path?q=1",
        ),
        v("URL", "www.example.de/impressum"),
        v("URL", "ftp://files.example.org/pub/"),
        v("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
        v("JWT", JWT),
        v("MEDICAL_CODE", "E11.9"),
        v("MEDICAL_CODE", "J45.909"),
        v("MEDICAL_CODE", "I10"),
    ]
}

/// (value, entities that must NOT be found in it)
fn negatives() -> Vec<(&'static str, &'static [&'static str])> {
    const ALL_IDS: &[&str] = &[
        "CREDIT_CARD",
        "MAC_ADDRESS",
        "AWS_ACCESS_KEY",
        "US_SSN",
        "UK_NHS",
        "IBAN_CODE",
        "IP_ADDRESS",
    ];
    vec![
        ("version 10.2.3.4.5", &["IP_ADDRESS"]),
        ("v1.2.3.4", &["IP_ADDRESS"]),
        ("build 1.2.3.4.5.6", &["IP_ADDRESS"]),
        ("999.1.1.1", &["IP_ADDRESS"]),
        // Four-digit parts are candidates now (so a column of versions shows
        // its failures), never valid addresses.
        ("4.18.0.1160", &["IP_ADDRESS"]),
        ("2024.5.1.12", &["IP_ADDRESS"]),
        // A town with its postcode, or a postcode, is not a street address.
        ("Gibsonfurt, SE4X 3UL", &["STREET_ADDRESS"]),
        ("Springfield, IL 62704", &["STREET_ADDRESS"]),
        ("Lager 3: 10005 Stück", &["STREET_ADDRESS"]),
        ("75002 Paris", &["STREET_ADDRESS"]),
        ("550e8400-e29b-41d4-a716-446655440000", ALL_IDS),
        ("d41d8cd98f00b204e9800998ecf8427e", ALL_IDS),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", ALL_IDS),
        ("4111111111111112", &["CREDIT_CARD"]),
        ("1234 5678 9012 3456", &["CREDIT_CARD"]),
        ("0000 0000 0000 0000", &["CREDIT_CARD"]),
        ("000-12-3456", &["US_SSN"]),
        ("666-12-3456", &["US_SSN"]),
        ("912-34-5678", &["US_SSN"]),
        ("078-05-1120", &["US_SSN"]),
        ("0.536904399", &["US_SSN"]),
        ("DE88370400440532013000", &["IBAN_CODE"]),
        ("DE8937040044053201300", &["IBAN_CODE"]),
        ("943 476 5918", &["UK_NHS"]),
        ("QQ 12 34 56 A", &["UK_NINO"]),
        ("GB123456A", &["UK_NINO"]),
        ("logo@2x.png", &["EMAIL_ADDRESS"]),
        ("at 12:30:45 today", &["IP_ADDRESS", "MAC_ADDRESS"]),
        ("std::io::Result", &["IP_ADDRESS"]),
        ("aa:bb:cc:dd:ee:ff:00:11", &["MAC_ADDRESS"]),
        ("1899-12-31", &["DATE_OF_BIRTH"]),
        ("1985-02-30", &["DATE_OF_BIRTH"]),
        ("91.0000, 10.0000", &["GEO_COORDINATE"]),
        ("AKIAIOSFODNN7EXAMPL1", &["AWS_ACCESS_KEY"]),
        ("eyJhbGciOi.eyJzdWIiOi.abc", &["JWT"]),
        ("C99.1", &["MEDICAL_CODE"]),
        ("example.com", &["URL"]),
        ("true", CORE.as_slice()),
        ("", CORE.as_slice()),
    ]
}

#[test]
fn builtin_loads_all_core_entities() {
    let r = rules();
    let names: Vec<&str> = r.entities().iter().map(|e| e.entity.as_str()).collect();
    assert_eq!(names, CORE.to_vec());
    // Dense global ids over all patterns.
    let total: usize = r.entities().iter().map(|e| e.patterns.len()).sum();
    assert_eq!(r.pattern_count(), total);
    for id in 0..r.pattern_count() as u32 {
        let (e, p) = r.pattern(id);
        assert!(e.patterns.iter().any(|q| q.id == p.id));
        assert!(!p.kinds.is_empty());
        assert!((0.0..=1.0).contains(&p.score));
    }
    for e in r.entities() {
        assert!(!e.patterns.is_empty(), "{} has no patterns", e.entity);
        assert!(
            !e.name_hints.positive_patterns().is_empty(),
            "{} has no name hints",
            e.entity
        );
        assert!(
            !e.context_words.is_empty(),
            "{} has no context words",
            e.entity
        );
        assert!(!e.description.is_empty());
        assert!(e.source.starts_with("builtin:"), "{}", e.source);
    }
    assert_eq!(r.fingerprint().len(), 64);
    assert_eq!(
        r.fingerprint(),
        rules().fingerprint(),
        "fingerprint is deterministic"
    );
}

#[test]
fn sensitivities_follow_entities_md() {
    let r = rules();
    for e in [
        "US_SSN",
        "CREDIT_CARD",
        "IBAN_CODE",
        "UK_NINO",
        "UK_NHS",
        "PASSPORT_NUMBER",
        "MEDICAL_CODE",
        "AWS_ACCESS_KEY",
        "JWT",
    ] {
        assert_eq!(r.sensitivity_of(e), Some(Sensitivity::High), "{e}");
    }
    for e in [
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "STREET_ADDRESS",
        "DATE_OF_BIRTH",
        "GEO_COORDINATE",
    ] {
        assert_eq!(r.sensitivity_of(e), Some(Sensitivity::Medium), "{e}");
    }
    for e in ["IP_ADDRESS", "MAC_ADDRESS", "URL"] {
        assert_eq!(r.sensitivity_of(e), Some(Sensitivity::Low), "{e}");
    }
    assert_eq!(r.sensitivity_of("NOPE"), None);
    assert!(r.entity("PASSPORT_NUMBER").unwrap().needs_name_hint);
    assert!(r.entity("DATE_OF_BIRTH").unwrap().needs_name_hint);
    assert!(!r.entity("EMAIL_ADDRESS").unwrap().needs_name_hint);
}

#[test]
fn integer_kind_patterns_exist_for_numeric_ids() {
    let r = rules();
    for e in ["US_SSN", "CREDIT_CARD", "PHONE_NUMBER", "UK_NHS"] {
        assert!(
            r.entity(e)
                .unwrap()
                .patterns
                .iter()
                .any(|p| p.applies_to(ValueKind::Integer)),
            "{e} should scan integer columns"
        );
    }
    assert!(r
        .entity("DATE_OF_BIRTH")
        .unwrap()
        .patterns
        .iter()
        .any(|p| p.applies_to(ValueKind::Date)));
}

#[test]
fn no_builtin_pattern_can_cross_a_newline() {
    // Load-time HIR checks reject any class that can match '\n'; this is the
    // belt-and-braces textual check asked for by the classifier.
    for (_, e, p) in rules().patterns() {
        assert!(!p.regex.contains(r"\s"), "{} {} uses \\s", e.entity, p.id);
        assert!(!p.regex.contains("(?s"), "{} {} uses (?s)", e.entity, p.id);
        assert!(!p.regex.contains('\n'), "{} {}", e.entity, p.id);
    }
}

fn check_positives<M: Matcher>(m: &M) {
    let r = rules();
    let mut s = m.new_scratch().unwrap();
    let mut failures = Vec::new();
    for (entity, text, expected) in positives() {
        let found = detect(&r, m, &mut s, &text);
        if !found.contains(&(entity.to_string(), expected.clone())) {
            failures.push(format!(
                "{entity}: {text:?} (expected {expected:?}) -> {found:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "missed:\n{}", failures.join("\n"));
}

fn check_negatives<M: Matcher>(m: &M) {
    let r = rules();
    let mut s = m.new_scratch().unwrap();
    let mut failures = Vec::new();
    for (text, forbidden) in negatives() {
        let found = detect(&r, m, &mut s, text);
        for e in entities_in(&found) {
            if forbidden.contains(&e) {
                failures.push(format!("{text:?} wrongly holds {e}: {found:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "false positives:\n{}",
        failures.join("\n")
    );
}

#[test]
fn regex_matcher_finds_positives() {
    check_positives(&RegexMatcher::compile(&rules()).unwrap());
}

#[test]
fn regex_matcher_rejects_look_alikes() {
    check_negatives(&RegexMatcher::compile(&rules()).unwrap());
}

#[cfg(feature = "hyperscan")]
#[test]
fn hyperscan_matcher_finds_positives() {
    check_positives(&HyperscanMatcher::compile(&rules()).unwrap());
}

#[cfg(feature = "hyperscan")]
#[test]
fn hyperscan_matcher_rejects_look_alikes() {
    check_negatives(&HyperscanMatcher::compile(&rules()).unwrap());
}

/// Values joined with `\n`, as the classifier scans them.
fn joined_corpus() -> String {
    let mut lines: Vec<String> = positives().into_iter().map(|(_, t, _)| t).collect();
    lines.extend(negatives().into_iter().map(|(t, _)| t.to_string()));
    lines.extend(
        [
            "Dear Mr. John Smith, your card 4111-1111-1111-1111 expires 12/27.",
            "Herr Jürgen Müller wohnt in der Hauptstraße 5, 10115 Berlin, Tel. 030 12345678",
            "Mme Élodie Dubois, 12 rue de la Paix 75002 Paris, née le 14/03/1985, tél. +33 1 23 45 67 89",
            "Sr. José García López, Calle de Alcalá, 45, 28014 Madrid; DNI; móvil 612 345 678",
            "GET /index.html from 10.0.0.1 ua=Mozilla/5.0 (X11; Linux x86_64) build 5.4.0.1",
            "patient dx E11.9 and I10; NHS 943 476 5919; NI AB 12 34 56 C",
            "aws_access_key_id=AKIAIOSFODNN7EXAMPLE region=eu-west-1",
            "loc=48.8566, 2.3522 mac=00:1A:2B:3C:4D:5E ipv6=2001:db8::1",
            "IBAN: DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX",
            "1234567890123456789012345678901234567890",
            "a@b.c.d.e.f.g.h.example.com x@y a@@b.com @@@ ...",
            "00:00:00 12:34:56:78:9a:bc:de ::::: ::1 1::",
            "1985-3-5 1985-03-35 31/12/1999 2000/02/29 5.3.1985",
            "https://example.com/a_(b)?c=d#e. www.test.co.uk, http://x",
            "O'Neil McDonald-Smith van der Berg De La Cruz",
            "+1 (800) 555-0199 ext 42; 555-0100; 1-800-FLOWERS",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    // Deterministic pseudo-random lines from digit/letter/separator soup.
    let alphabet: Vec<char> = "0123456789abcdefABCDEF:.-/ @,AKIAeyJ+()".chars().collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..300 {
        let mut line = String::new();
        for _ in 0..60 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            line.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        lines.push(line);
    }
    lines.join("\n")
}

#[cfg(feature = "hyperscan")]
#[test]
fn hyperscan_and_regex_agree() {
    let r = rules();
    let hs = HyperscanMatcher::compile(&r).unwrap();
    let re = RegexMatcher::compile(&r).unwrap();
    let corpus = joined_corpus();
    let a = hs
        .find_all(&mut hs.new_scratch().unwrap(), corpus.as_bytes())
        .unwrap();
    let b = re
        .find_all(&mut re.new_scratch().unwrap(), corpus.as_bytes())
        .unwrap();
    if a != b {
        let sa: BTreeSet<_> = a.iter().copied().collect();
        let sb: BTreeSet<_> = b.iter().copied().collect();
        let show = |set: &BTreeSet<(u32, usize, usize)>| {
            set.iter()
                .take(20)
                .map(|&(id, s, e)| {
                    format!(
                        "{}:{} {:?}",
                        r.pattern(id).0.entity,
                        r.pattern(id).1.id,
                        &corpus[s..e]
                    )
                })
                .collect::<Vec<_>>()
                .join("\n  ")
        };
        panic!(
            "only hyperscan:\n  {}\nonly regex:\n  {}",
            show(&sa.difference(&sb).copied().collect()),
            show(&sb.difference(&sa).copied().collect())
        );
    }
    assert!(
        a.len() > 100,
        "corpus should produce many matches, got {}",
        a.len()
    );
    // Both report in `MatchOrder`, so the sequences themselves agree.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    hs.scan(
        &mut hs.new_scratch().unwrap(),
        corpus.as_bytes(),
        &mut |id, s, e| a.push((id, s, e)),
    )
    .unwrap();
    re.scan(&mut (), corpus.as_bytes(), &mut |id, s, e| {
        b.push((id, s, e))
    })
    .unwrap();
    assert!(a.is_sorted_by_key(|&(id, s, e)| match_order(id, s, e)));
    assert_eq!(a, b);
}

fn check_no_match_spans_newline<M: Matcher>(m: &M) {
    let corpus = joined_corpus();
    let mut s = m.new_scratch().unwrap();
    let mut n = 0;
    m.scan(&mut s, corpus.as_bytes(), &mut |_, st, e| {
        n += 1;
        assert!(
            !corpus.as_bytes()[st..e].contains(&b'\n'),
            "match {st}..{e} spans a newline"
        );
    })
    .unwrap();
    assert!(n > 0);
}

#[test]
fn regex_matches_never_span_newlines() {
    check_no_match_spans_newline(&RegexMatcher::compile(&rules()).unwrap());
}

#[cfg(feature = "hyperscan")]
#[test]
fn hyperscan_matches_never_span_newlines() {
    check_no_match_spans_newline(&HyperscanMatcher::compile(&rules()).unwrap());
}

fn check_email_line_one<M: Matcher>(m: &M) {
    let r = rules();
    let mut s = m.new_scratch().unwrap();
    let found = m.find_all(&mut s, b"a@b.com\nfoo").unwrap();
    let emails: Vec<_> = found
        .iter()
        .filter(|(id, _, _)| r.pattern(*id).0.entity == "EMAIL_ADDRESS")
        .collect();
    assert_eq!(emails.len(), 1, "{found:?}");
    assert_eq!((emails[0].1, emails[0].2), (0, 7));
    assert!(found.iter().all(|&(_, s, e)| e <= 7 || s >= 8), "{found:?}");
}

#[test]
fn email_match_stays_on_its_line_regex() {
    check_email_line_one(&RegexMatcher::compile(&rules()).unwrap());
}

#[cfg(feature = "hyperscan")]
#[test]
fn email_match_stays_on_its_line_hyperscan() {
    check_email_line_one(&HyperscanMatcher::compile(&rules()).unwrap());
}

#[cfg(feature = "hyperscan")]
#[test]
fn hyperscan_scratch_per_thread() {
    let r = rules();
    let hs = HyperscanMatcher::compile(&r).unwrap();
    let corpus = joined_corpus();
    let expected = hs
        .find_all(&mut hs.new_scratch().unwrap(), corpus.as_bytes())
        .unwrap();
    std::thread::scope(|sc| {
        for _ in 0..4 {
            sc.spawn(|| {
                let mut scratch = hs.new_scratch().unwrap();
                for _ in 0..3 {
                    assert_eq!(
                        hs.find_all(&mut scratch, corpus.as_bytes()).unwrap(),
                        expected
                    );
                }
            });
        }
    });
}

#[test]
fn name_hints_cover_locales() {
    let r = rules();
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "EMAIL_ADDRESS",
            &[
                "email",
                "E-Mail",
                "customer.contact.email",
                "courriel",
                "correo_electronico",
                "emailAddress",
            ],
            &["email_opt_in", "email_verified"],
        ),
        (
            "PHONE_NUMBER",
            &[
                "phone",
                "tel",
                "Telefonnummer",
                "telefono",
                "téléphone",
                "mobile",
                "handy",
                "movil",
                "portable",
            ],
            &["phone_type", "mobile_os"],
        ),
        (
            "PERSON",
            &[
                "name",
                "first_name",
                "Vorname",
                "Nachname",
                "prenom",
                "nom",
                "nombre",
                "apellido",
                "lastName",
            ],
            &["file_name", "username", "company_name"],
        ),
        (
            "STREET_ADDRESS",
            &[
                "address",
                "street",
                "Strasse",
                "straße",
                "adresse",
                "rue",
                "calle",
                "direccion",
                "dirección",
            ],
            &["email_address", "ip_address", "mac_address"],
        ),
        (
            "DATE_OF_BIRTH",
            &[
                "dob",
                "birth_date",
                "geburtsdatum",
                "date_naissance",
                "fecha_nacimiento",
                "dateOfBirth",
            ],
            &["birth_place", "geburtsort"],
        ),
        (
            "CREDIT_CARD",
            &[
                "card_number",
                "cc_num",
                "pan",
                "kreditkarte",
                "carte_bancaire",
                "tarjeta",
            ],
            &["card_type", "card_holder", "scorecard"],
        ),
        (
            "US_SSN",
            &["ssn", "social_security_number"],
            &["ssn_verified"],
        ),
        ("UK_NINO", &["nino", "national_insurance_number"], &[]),
        ("UK_NHS", &["nhs_number", "nhs"], &["nhs_trust"]),
        (
            "PASSPORT_NUMBER",
            &["passport", "reisepass", "passeport", "pasaporte"],
            &["password"],
        ),
        ("IBAN_CODE", &["iban", "IBAN"], &["iban_valid"]),
        (
            "IP_ADDRESS",
            &["ip", "ip_addr", "client_ip", "ipAddress"],
            &["ip_version", "build_version"],
        ),
        (
            "MAC_ADDRESS",
            &["mac", "mac_address", "macAddr"],
            &["macos_version"],
        ),
        (
            "GEO_COORDINATE",
            &[
                "lat",
                "lon",
                "latitude",
                "longitude",
                "breite",
                "länge",
                "latitud",
            ],
            &["location_id"],
        ),
        ("URL", &["url", "website", "homepageUrl"], &["url_count"]),
        ("AWS_ACCESS_KEY", &["aws_access_key", "access_key_id"], &[]),
        ("JWT", &["jwt", "token", "id_token"], &["token_type"]),
        (
            "MEDICAL_CODE",
            &[
                "icd",
                "icd10_code",
                "diagnosis",
                "diagnose",
                "diagnostic",
                "diagnóstico",
            ],
            &["diagnosis_date"],
        ),
    ];
    for (entity, pos, neg) in cases {
        let h = &r.entity(entity).unwrap().name_hints;
        for c in *pos {
            assert!(h.positive(c), "{entity}: {c} should be a positive hint");
        }
        for c in *neg {
            assert!(h.negative(c), "{entity}: {c} should be a negative hint");
        }
    }
    let ip = &r.entity("IP_ADDRESS").unwrap().name_hints;
    assert!(!ip.positive("zip_code") && !ip.positive("recipient") && !ip.positive("description"));
}

#[test]
fn masks_of_positives_never_leak() {
    for (entity, _, value) in positives() {
        let m = mask(entity, &value);
        assert_ne!(m, value, "{entity}");
        assert_eq!(m.chars().count(), value.chars().count());
    }
}

// ---------------------------------------------------------------------------
// User rules directory
// ---------------------------------------------------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "lakewarden-rules-test-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const EMPLOYEE_ID: &str = r#"
entity = "EMPLOYEE_ID"
sensitivity = "MEDIUM"
description = "ACME employee id"
context_words = ["employee"]
[name_hints]
positive = ['emp[ _]?id']
[[patterns]]
id = "acme"
regex = '\bEMP-[0-9]{6}\b'
score = 0.9
"#;

const EMAIL_OVERRIDE: &str = r#"
entity = "EMAIL_ADDRESS"
sensitivity = "HIGH"
description = "Only ACME mail"
[[patterns]]
id = "acme_mail"
regex = '\b[a-z.]+@acme\.example\b'
validator = "email"
score = 1.0
kinds = ["text"]
"#;

#[test]
fn user_dir_overrides_and_adds() {
    let dir = TempDir::new("override");
    dir.write("email.toml", EMAIL_OVERRIDE);
    dir.write("employee_id.toml", EMPLOYEE_ID);
    dir.write("README.md", "not a rule file");
    dir.write(
        "jwt_off.toml",
        "entity = \"JWT\"\nsensitivity = \"HIGH\"\nenabled = false\n",
    );
    let base = rules();
    let r = RuleSet::load(Some(&dir.0)).unwrap();
    let names: Vec<&str> = r.entities().iter().map(|e| e.entity.as_str()).collect();
    assert!(names.contains(&"EMPLOYEE_ID"));
    assert!(
        !names.contains(&"JWT"),
        "enabled = false removes the entity"
    );
    assert_eq!(names.len(), 18);
    let email = r.entity("EMAIL_ADDRESS").unwrap();
    assert_eq!(email.sensitivity, Sensitivity::High);
    assert_eq!(email.patterns.len(), 1);
    assert_eq!(email.patterns[0].id, "acme_mail");
    assert!(email.source.ends_with("email.toml"));
    assert_ne!(r.fingerprint(), base.fingerprint());

    let m = RegexMatcher::compile(&r).unwrap();
    let found = detect(
        &r,
        &m,
        &mut (),
        "EMP-123456 john@acme.example jane@other.example",
    );
    assert!(found.contains(&("EMPLOYEE_ID".into(), "EMP-123456".into())));
    assert!(found.contains(&("EMAIL_ADDRESS".into(), "john@acme.example".into())));
    assert!(!found.iter().any(|(_, v)| v == "jane@other.example"));
    #[cfg(feature = "hyperscan")]
    {
        let hs = HyperscanMatcher::compile(&r).unwrap();
        let found_hs = detect(
            &r,
            &hs,
            &mut hs.new_scratch().unwrap(),
            "EMP-123456 john@acme.example",
        );
        assert!(found_hs.contains(&("EMPLOYEE_ID".into(), "EMP-123456".into())));
    }

    // No user dir = built-ins.
    assert_eq!(
        RuleSet::load(None).unwrap().fingerprint(),
        base.fingerprint()
    );
}

#[test]
fn errors_name_file_and_pattern() {
    let dir = TempDir::new("bad-pattern");
    dir.write(
        "bad.toml",
        "entity = \"BAD\"\nsensitivity = \"LOW\"\n[[patterns]]\nid = \"spacey\"\nregex = 'foo\\sbar'\nscore = 0.5\n",
    );
    let err = RuleSet::load(Some(&dir.0)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, RulesError::InvalidPattern { .. }), "{msg}");
    assert!(
        msg.contains("bad.toml") && msg.contains("spacey") && msg.contains("newline"),
        "{msg}"
    );

    let dir = TempDir::new("bad-toml");
    dir.write("broken.toml", "entity = \"X\"\nsensitivity = \"EXTREME\"\n");
    let msg = RuleSet::load(Some(&dir.0)).unwrap_err().to_string();
    assert!(msg.contains("broken.toml"), "{msg}");

    let dir = TempDir::new("typo");
    dir.write(
        "typo.toml",
        "entity = \"X\"\nsensitivity = \"LOW\"\nneeds_name_hnt = true\n",
    );
    let msg = RuleSet::load(Some(&dir.0)).unwrap_err().to_string();
    assert!(
        msg.contains("typo.toml") && msg.contains("needs_name_hnt"),
        "{msg}"
    );

    let dir = TempDir::new("dup");
    dir.write("a.toml", EMPLOYEE_ID);
    dir.write("b.toml", EMPLOYEE_ID);
    let err = RuleSet::load(Some(&dir.0)).unwrap_err();
    assert!(matches!(err, RulesError::DuplicateEntity { .. }), "{err}");

    let dir = TempDir::new("dup-id");
    dir.write(
        "d.toml",
        "entity = \"D\"\nsensitivity = \"LOW\"\n[[patterns]]\nid = \"a\"\nregex = 'x1'\nscore = 0.5\n[[patterns]]\nid = \"a\"\nregex = 'x2'\nscore = 0.5\n",
    );
    let msg = RuleSet::load(Some(&dir.0)).unwrap_err().to_string();
    assert!(
        msg.contains("d.toml") && msg.contains("`a`") && msg.contains("duplicate"),
        "{msg}"
    );

    let err = RuleSet::load(Some(std::path::Path::new("/nonexistent/lakewarden"))).unwrap_err();
    assert!(matches!(err, RulesError::Io { .. }), "{err}");
}

#[test]
fn context_words_inside_name_hints_table_are_accepted() {
    let r = RuleSet::from_toml_files([(
        "x.toml".to_string(),
        "entity = \"X\"\nsensitivity = \"LOW\"\n[name_hints]\npositive = ['x']\ncontext_words = [\"Foo\"]\n[[patterns]]\nid = \"x\"\nregex = 'xyz'\nscore = 0.1\n"
            .to_string(),
    )])
    .unwrap();
    assert_eq!(
        r.entity("X").unwrap().context_words,
        vec!["foo".to_string()]
    );
}

#[cfg(feature = "hyperscan")]
#[test]
fn hyperscan_compile_error_names_file_and_pattern() {
    // Accepted by regex-syntax, refused by Hyperscan with SOM_LEFTMOST.
    let candidates = [
        r"(?:[a-z]{1,40}[0-9]){30}[a-z]{1,40}z",
        r"[a-z]{1000,}x[a-z]{1000}",
        r"(?:a|b|c){5000}",
    ];
    for rx in candidates {
        let text = format!(
            "entity = \"HS\"\nsensitivity = \"LOW\"\n[[patterns]]\nid = \"ok\"\nregex = 'abc'\nscore = 0.1\n[[patterns]]\nid = \"too_big\"\nregex = '{rx}'\nscore = 0.1\n"
        );
        let r = RuleSet::from_toml_files([("hs_test.toml".to_string(), text)]).unwrap();
        if let Err(err) = HyperscanMatcher::compile(&r) {
            let msg = err.to_string();
            assert!(
                msg.contains("hs_test.toml") && msg.contains("too_big"),
                "{msg}"
            );
            return;
        }
    }
    panic!("no candidate pattern was rejected by Hyperscan");
}
