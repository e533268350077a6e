//! Masked evidence: enough of a value to let a person recognise the shape of a
//! finding ("***-**-6789", "j***@e******.com"), never the value itself.
//! Catalogs and reports store only masked evidence.

/// Mask `value` as evidence for `entity`. Never returns the raw value for
/// anything longer than 3 characters (a final guard masks every non-space
/// character when an entity-specific rule would leave the value unchanged).
pub fn mask(entity: &str, value: &str) -> String {
    let masked = match entity {
        "EMAIL_ADDRESS" => mask_email(value),
        "US_SSN" | "CREDIT_CARD" | "UK_NHS" => keep_last_digits(value, 4),
        "PHONE_NUMBER" => keep_last_digits(value, 2),
        "IBAN_CODE" => mask_iban(value),
        "PERSON" => mask_words(value),
        "DATE_OF_BIRTH" | "PASSPORT_NUMBER" | "UK_NINO" => value
            .chars()
            .map(|c| if c.is_alphanumeric() { '*' } else { c })
            .collect(),
        "AWS_ACCESS_KEY" => keep_prefix(value, 4),
        _ => mask_generic(value),
    };
    if masked == value && value.chars().count() > 3 {
        value
            .chars()
            .map(|c| if c.is_whitespace() { c } else { '*' })
            .collect()
    } else {
        masked
    }
}

fn stars(n: usize) -> String {
    "*".repeat(n)
}

/// "john@example.co.uk" -> "j***@e******.**.uk"
fn mask_email(value: &str) -> String {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return mask_generic(value);
    };
    let first_then_stars = |s: &str| {
        let mut it = s.chars();
        match it.next() {
            Some(c) => format!("{c}{}", stars(it.count())),
            None => String::new(),
        }
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let n = labels.len();
    let domain_masked: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == n && n > 1 {
                (*l).to_string()
            } else if i == 0 {
                first_then_stars(l)
            } else {
                stars(l.chars().count())
            }
        })
        .collect();
    format!("{}@{}", first_then_stars(local), domain_masked.join("."))
}

/// Keep the last `keep` digits, star every other letter or digit, keep separators.
/// "123-45-6789" -> "***-**-6789"; "4111 1111 1111 1111" -> "**** **** **** 1111".
fn keep_last_digits(value: &str, keep: usize) -> String {
    let total_digits = value.chars().filter(char::is_ascii_digit).count();
    // Short values reveal too much if the tail is kept.
    let keep = if total_digits <= keep * 2 { 0 } else { keep };
    let mut seen = 0;
    let mut out: Vec<char> = Vec::with_capacity(value.len());
    for c in value.chars().rev() {
        if c.is_ascii_digit() && seen < keep {
            seen += 1;
            out.push(c);
        } else if c.is_alphanumeric() {
            out.push('*');
        } else {
            out.push(c);
        }
    }
    out.into_iter().rev().collect()
}

/// Keep the country code and the last four characters:
/// "DE89 3704 0044 0532 0130 00" -> "DE** **** **** **** **30 00".
fn mask_iban(value: &str) -> String {
    let alnum_total = value.chars().filter(|c| c.is_alphanumeric()).count();
    let mut idx = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_alphanumeric() {
                return c;
            }
            let i = idx;
            idx += 1;
            if alnum_total > 8 && (i < 2 || i + 4 >= alnum_total) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// First character of each word: "John Doe" -> "J*** D**".
fn mask_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut at_word_start = true;
    for c in value.chars() {
        if c.is_alphanumeric() {
            out.push(if at_word_start { c } else { '*' });
            at_word_start = false;
        } else {
            out.push(c);
            at_word_start = c.is_whitespace() || c == '-';
        }
    }
    out
}

fn keep_prefix(value: &str, n: usize) -> String {
    value
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i < n || !c.is_alphanumeric() {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Per alphanumeric run: runs of 7+ keep first and last two characters, runs
/// of 2–6 keep the first, single characters are starred; separators stay.
fn mask_generic(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphanumeric() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_alphanumeric() {
            i += 1;
        }
        let run = &chars[start..i];
        match run.len() {
            1 => out.push('*'),
            2..=6 => {
                out.push(run[0]);
                out.push_str(&stars(run.len() - 1));
            }
            n => {
                out.push(run[0]);
                out.push_str(&stars(n - 3));
                out.extend(&run[n - 2..]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn entity_specific_shapes() {
        assert_eq!(
            mask("EMAIL_ADDRESS", "john@example.com"),
            "j***@e******.com"
        );
        assert_eq!(
            mask("EMAIL_ADDRESS", "jo@mail.example.co.uk"),
            "j*@m***.*******.**.uk"
        );
        assert_eq!(mask("US_SSN", "123-45-6789"), "***-**-6789");
        assert_eq!(mask("US_SSN", "123456789"), "*****6789");
        assert_eq!(mask("CREDIT_CARD", "4111111111111111"), "************1111");
        assert_eq!(
            mask("CREDIT_CARD", "4111 1111 1111 1111"),
            "**** **** **** 1111"
        );
        assert_eq!(
            mask("IBAN_CODE", "DE89370400440532013000"),
            "DE****************3000"
        );
        assert_eq!(
            mask("IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
            "DE** **** **** **** **30 00"
        );
        assert_eq!(mask("PERSON", "John Doe"), "J*** D**");
        assert_eq!(mask("PERSON", "José García-López"), "J*** G*****-L****");
        assert_eq!(mask("PHONE_NUMBER", "+44 20 7946 0958"), "+** ** **** **58");
        assert_eq!(mask("DATE_OF_BIRTH", "1985-03-14"), "****-**-**");
        assert_eq!(
            mask("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
            "AKIA****************"
        );
        assert_eq!(mask("IP_ADDRESS", "192.168.1.20"), "1**.1**.*.2*");
        assert_eq!(
            mask("URL", "https://example.com/a"),
            "h****://e****le.c**/*"
        );
    }

    #[test]
    fn never_returns_raw_value() {
        let entities = [
            "EMAIL_ADDRESS",
            "PHONE_NUMBER",
            "PERSON",
            "STREET_ADDRESS",
            "DATE_OF_BIRTH",
            "CREDIT_CARD",
            "IBAN_CODE",
            "US_SSN",
            "UK_NINO",
            "UK_NHS",
            "PASSPORT_NUMBER",
            "IP_ADDRESS",
            "MAC_ADDRESS",
            "GEO_COORDINATE",
            "URL",
            "AWS_ACCESS_KEY",
            "JWT",
            "MEDICAL_CODE",
            "SOMETHING_ELSE",
        ];
        let values = [
            "john@example.com",
            "a@b",
            "1234",
            "4111111111111111",
            "----",
            "a.b.c.d",
            "....@....",
            "I10",
            "E11.9",
            "12 Main Street",
            "::1",
            "a b c d",
            "1 2 3 4",
            "x@y.zz",
            "DE12",
            "+1 2",
            "Ab",
            "é…é…",
            "J D",
            "0000",
        ];
        for e in entities {
            for v in values {
                let m = mask(e, v);
                if v.chars().count() > 3 {
                    assert_ne!(m, v, "mask({e}, {v}) returned the raw value");
                }
                assert_eq!(m.chars().count(), v.chars().count(), "mask({e}, {v}) = {m}");
            }
        }
    }
}
