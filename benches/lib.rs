//! lakewarden-benches: deterministic data for lakewarden's benchmarks, and
//! the scan loops the rules-engine bench and `rules_throughput` share.
//!
//! Everything here is generated from a seed with a small self-contained RNG
//! (xoshiro256**), so a corpus or a bench lake is byte-for-byte the same on
//! every machine and with every dependency version; no external data.
//!
//! * [`Gen`] makes realistic, PII-ish strings: names, e-mails, phones,
//!   addresses, free-text notes with sparse PII, UUIDs, hashes, numbers,
//!   URLs, log lines, ...
//! * [`corpus`] draws a mixed corpus of such values up to a byte budget.
//! * [`JoinedBatch`], [`scan_per_value`], [`scan_joined`]: the two ways of
//!   feeding a [`Matcher`], the second as the classifier does it (values
//!   joined with `\n`, one scan, offsets mapped back with a binary search).

use lakewarden_rules::{Matcher, RulesError};

// ---------------------------------------------------------------------------
// RNG
// ---------------------------------------------------------------------------

/// xoshiro256** seeded through SplitMix64. Not cryptographic; stable forever.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Nancy",
    "Daniel",
    "Lisa",
    "Matthew",
    "Margaret",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Oliver",
    "Amelia",
    "Harry",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Emily",
    "Lukas",
    "Hannah",
    "Felix",
    "Lea",
    "Jonas",
    "Sophie",
    "Hugo",
    "Chloé",
    "Louis",
    "Camille",
    "Mateo",
    "Lucía",
    "Pablo",
    "Martina",
    "Aarav",
    "Priya",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Olga",
    "Dmitri",
    "Fatima",
    "Omar",
    "Kwame",
    "Amara",
    "Siobhan",
    "Niamh",
    "Sean",
    "Aoife",
];

const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Dubois",
    "Durand",
    "Lefebvre",
    "Moreau",
    "Laurent",
    "Fernández",
    "García",
    "Sánchez",
    "Romero",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Patel",
    "Singh",
    "Kumar",
    "Nguyen",
    "Tanaka",
    "Suzuki",
    "Kowalski",
    "Nowak",
    "Ivanov",
    "Okafor",
    "Mensah",
    "Haddad",
];

const STREETS: &[&str] = &[
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Pine",
    "High",
    "Station",
    "Church",
    "Victoria",
    "Mill",
    "King",
    "Queen",
    "Bridge",
    "Green",
    "Manor",
];

const STREET_TYPES: &[&str] = &[
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Lane",
    "Drive",
    "Boulevard",
    "Way",
    "Court",
    "Place",
];

const DE_STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Schulstraße",
    "Lindenallee",
    "Bergstraße",
];

const CITIES: &[(&str, &str)] = &[
    ("Springfield", "IL"),
    ("Portland", "OR"),
    ("Austin", "TX"),
    ("Denver", "CO"),
    ("Boston", "MA"),
    ("Seattle", "WA"),
    ("Madison", "WI"),
    ("Raleigh", "NC"),
    ("Columbus", "OH"),
    ("Phoenix", "AZ"),
];

const UK_CITIES: &[&str] = &[
    "London",
    "Leeds",
    "Bristol",
    "Manchester",
    "Glasgow",
    "Cardiff",
];

const DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "example.com",
    "acme-corp.com",
    "mail.de",
    "orange.fr",
    "proton.me",
    "icloud.com",
    "company.co.uk",
    "uni-example.edu",
];

const WORDS: &[&str] = &[
    "the",
    "customer",
    "called",
    "about",
    "their",
    "order",
    "and",
    "asked",
    "for",
    "a",
    "refund",
    "delivery",
    "was",
    "late",
    "by",
    "two",
    "days",
    "package",
    "arrived",
    "damaged",
    "please",
    "follow",
    "up",
    "with",
    "warehouse",
    "team",
    "before",
    "friday",
    "invoice",
    "attached",
    "account",
    "updated",
    "new",
    "shipping",
    "preference",
    "noted",
    "escalated",
    "to",
    "tier",
    "support",
    "issue",
    "resolved",
    "after",
    "reset",
    "password",
    "user",
    "reported",
    "that",
    "login",
    "fails",
    "on",
    "mobile",
    "app",
    "version",
    "in",
    "checkout",
    "flow",
    "is",
    "broken",
    "when",
    "coupon",
    "applied",
    "we",
    "should",
    "check",
    "logs",
    "tomorrow",
    "morning",
    "meeting",
    "rescheduled",
    "next",
    "week",
    "quarterly",
    "report",
    "draft",
    "ready",
    "review",
    "budget",
    "approved",
    "pending",
    "legal",
    "sign",
    "off",
    "contract",
    "renewal",
    "due",
    "end",
    "of",
    "month",
    "no",
    "further",
    "action",
    "needed",
    "left",
    "voicemail",
    "will",
    "retry",
    "sent",
    "replacement",
    "item",
    "tracking",
    "number",
    "provided",
    "satisfied",
    "outcome",
    "closed",
    "ticket",
    "duplicate",
    "merged",
    "into",
    "parent",
    "case",
    "priority",
    "high",
    "low",
    "medium",
];

const TLDS: &[&str] = &["com", "org", "net", "io", "de", "co.uk", "fr", "dev"];

const URL_PATHS: &[&str] = &[
    "api", "v1", "v2", "users", "orders", "products", "search", "static", "img", "docs", "account",
    "settings", "cart", "checkout", "blog", "2024", "reports", "export",
];

const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];

const SERVICES: &[&str] = &[
    "auth-service",
    "billing",
    "gateway",
    "scheduler",
    "ingest-worker",
    "search-api",
    "notifier",
];

const LOG_MSGS: &[&str] = &[
    "request completed",
    "cache miss for key",
    "retrying upstream call",
    "connection reset by peer",
    "job finished",
    "token refreshed",
    "slow query detected",
    "rate limit exceeded",
    "health check ok",
    "payload validated",
];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "okhttp/4.12.0",
];

const STATUS: &[&str] = &[
    "active",
    "inactive",
    "pending",
    "closed",
    "suspended",
    "trial",
];

const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "CHF", "JPY"];

const MERCHANTS: &[&str] = &[
    "ACME Supplies Ltd",
    "Globex GmbH",
    "Initech Inc",
    "Umbrella SARL",
    "Hooli LLC",
    "Stark Industries",
    "Wayne Enterprises",
    "Tyrell Corp",
];

const TAGS: &[&str] = &[
    "billing", "shipping", "login", "bug", "feature", "urgent", "vip", "refund",
];

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// Generator of realistic PII-ish strings. All methods append to / return
/// owned `String`s; the RNG stream (and so the output) depends only on the seed
/// and on the sequence of calls.
#[derive(Debug, Clone)]
pub struct Gen {
    pub rng: Rng,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen {
            rng: Rng::new(seed),
        }
    }

    fn digits(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push((b'0' + self.rng.below(10) as u8) as char);
        }
    }

    fn hex(&mut self, out: &mut String, n: usize) {
        const H: &[u8] = b"0123456789abcdef";
        for _ in 0..n {
            out.push(H[self.rng.below(16) as usize] as char);
        }
    }

    pub fn first_name(&mut self) -> &'static str {
        self.rng.pick(FIRST)
    }

    pub fn last_name(&mut self) -> &'static str {
        self.rng.pick(LAST)
    }

    pub fn person_name(&mut self) -> String {
        let f = self.first_name();
        let l = self.last_name();
        match self.rng.below(10) {
            0 => format!("{l}, {f}"),
            1 => format!("{f} {} {l}", (b'A' + self.rng.below(26) as u8) as char),
            2 => format!("Dr. {f} {l}"),
            _ => format!("{f} {l}"),
        }
    }

    pub fn email(&mut self) -> String {
        let f = ascii_lower(self.first_name());
        let l = ascii_lower(self.last_name());
        let d = self.rng.pick(DOMAINS);
        match self.rng.below(4) {
            0 => format!("{f}.{l}@{d}"),
            1 => format!("{}{l}{}@{d}", &f[..1], self.rng.below(100)),
            2 => format!("{f}_{l}{}@{d}", self.rng.range(1960, 2005)),
            _ => format!("{l}.{f}@{d}"),
        }
    }

    pub fn phone(&mut self) -> String {
        let mut s = String::with_capacity(20);
        match self.rng.below(4) {
            0 => {
                s.push('(');
                s.push_str(&self.rng.range(201, 989).to_string());
                s.push_str(") ");
                s.push_str(&self.rng.range(200, 999).to_string());
                s.push('-');
                self.digits(&mut s, 4);
            }
            1 => {
                s.push_str("+1 ");
                s.push_str(&self.rng.range(201, 989).to_string());
                s.push(' ');
                s.push_str(&self.rng.range(200, 999).to_string());
                s.push(' ');
                self.digits(&mut s, 4);
            }
            2 => {
                s.push_str("+44 7");
                self.digits(&mut s, 3);
                s.push(' ');
                self.digits(&mut s, 6);
            }
            _ => {
                s.push_str("+49 30 ");
                self.digits(&mut s, 8);
            }
        }
        s
    }

    pub fn street_address(&mut self) -> String {
        match self.rng.below(5) {
            0 => format!(
                "{} {} {}",
                self.rng.pick(DE_STREETS),
                self.rng.range(1, 120),
                self.rng.range(10115, 99998)
            ),
            1 => {
                let city = self.rng.pick(UK_CITIES);
                format!(
                    "{} {} {}, {city} {}{}{} {}{}{}",
                    self.rng.range(1, 300),
                    self.rng.pick(STREETS),
                    self.rng.pick(STREET_TYPES),
                    (b'A' + self.rng.below(26) as u8) as char,
                    (b'A' + self.rng.below(26) as u8) as char,
                    self.rng.range(1, 20),
                    self.rng.below(10),
                    (b'A' + self.rng.below(26) as u8) as char,
                    (b'A' + self.rng.below(26) as u8) as char,
                )
            }
            _ => {
                let (city, st) = CITIES[self.rng.below(CITIES.len() as u64) as usize];
                format!(
                    "{} {} {}, {city}, {st} {:05}",
                    self.rng.range(1, 9999),
                    self.rng.pick(STREETS),
                    self.rng.pick(STREET_TYPES),
                    self.rng.range(1001, 99950)
                )
            }
        }
    }

    pub fn city(&mut self) -> String {
        CITIES[self.rng.below(CITIES.len() as u64) as usize]
            .0
            .to_string()
    }

    pub fn postcode(&mut self) -> String {
        format!("{:05}", self.rng.range(1001, 99950))
    }

    pub fn uuid(&mut self) -> String {
        let mut s = String::with_capacity(36);
        self.hex(&mut s, 8);
        s.push('-');
        self.hex(&mut s, 4);
        s.push_str("-4");
        self.hex(&mut s, 3);
        s.push('-');
        s.push(['8', '9', 'a', 'b'][self.rng.below(4) as usize]);
        self.hex(&mut s, 3);
        s.push('-');
        self.hex(&mut s, 12);
        s
    }

    /// sha256 / sha1 / md5 hex digest (random).
    pub fn hash(&mut self) -> String {
        let n = [64, 64, 40, 32][self.rng.below(4) as usize];
        let mut s = String::with_capacity(n);
        self.hex(&mut s, n);
        s
    }

    pub fn sha256(&mut self) -> String {
        let mut s = String::with_capacity(64);
        self.hex(&mut s, 64);
        s
    }

    /// Integers, amounts, decimals, quantities, order numbers.
    pub fn number(&mut self) -> String {
        match self.rng.below(6) {
            0 => self.rng.below(100).to_string(),
            1 => self.rng.below(1_000_000).to_string(),
            2 => format!("{}.{:02}", self.rng.below(10_000), self.rng.below(100)),
            3 => format!("-{}.{:04}", self.rng.below(500), self.rng.below(10_000)),
            4 => self.rng.range(1_000_000_000, 9_999_999_999).to_string(),
            _ => format!("{:.6}", self.rng.below(1_000_000_000) as f64 / 1e3),
        }
    }

    pub fn date(&mut self) -> String {
        let (y, m, d) = (
            self.rng.range(1940, 2024),
            self.rng.range(1, 12),
            self.rng.range(1, 28),
        );
        match self.rng.below(3) {
            0 => format!("{y:04}-{m:02}-{d:02}"),
            1 => format!("{m:02}/{d:02}/{y:04}"),
            _ => format!("{d:02}.{m:02}.{y:04}"),
        }
    }

    pub fn timestamp(&mut self) -> String {
        format!(
            "2024-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.rng.range(1, 12),
            self.rng.range(1, 28),
            self.rng.below(24),
            self.rng.below(60),
            self.rng.below(60),
            self.rng.below(1000)
        )
    }

    pub fn ipv4(&mut self) -> String {
        match self.rng.below(3) {
            0 => format!(
                "10.{}.{}.{}",
                self.rng.below(256),
                self.rng.below(256),
                self.rng.range(1, 254)
            ),
            1 => format!("192.168.{}.{}", self.rng.below(256), self.rng.range(1, 254)),
            _ => format!(
                "{}.{}.{}.{}",
                self.rng.range(11, 223),
                self.rng.below(256),
                self.rng.below(256),
                self.rng.range(1, 254)
            ),
        }
    }

    pub fn url(&mut self) -> String {
        let host = ascii_lower(self.rng.pick(MERCHANTS).split(' ').next().unwrap_or("site"));
        let mut s = format!(
            "https://{}{host}.{}",
            if self.rng.chance(0.5) { "www." } else { "" },
            self.rng.pick(TLDS)
        );
        for _ in 0..self.rng.range(1, 4) {
            s.push('/');
            s.push_str(self.rng.pick(URL_PATHS));
        }
        if self.rng.chance(0.4) {
            s.push_str("?id=");
            s.push_str(&self.rng.below(1_000_000).to_string());
            if self.rng.chance(0.3) {
                s.push_str("&utm_source=newsletter&utm_medium=email");
            }
        }
        s
    }

    pub fn user_agent(&mut self) -> String {
        self.rng.pick(USER_AGENTS).to_string()
    }

    pub fn log_line(&mut self) -> String {
        let ts = self.timestamp();
        let lvl = self.rng.pick(LEVELS);
        let svc = self.rng.pick(SERVICES);
        let msg = self.rng.pick(LOG_MSGS);
        let ip = self.ipv4();
        let mut s = format!(
            "{ts} {lvl} [{svc}] {msg} client={ip} path=/{}/{} status={} latency_ms={} trace_id=",
            self.rng.pick(URL_PATHS),
            self.rng.pick(URL_PATHS),
            [200, 200, 200, 201, 204, 301, 404, 500][self.rng.below(8) as usize],
            self.rng.below(2000)
        );
        self.hex(&mut s, 32);
        if self.rng.chance(0.05) {
            s.push_str(" user=");
            s.push_str(&self.email());
        }
        s
    }

    /// A valid-Luhn 16-digit Visa/Mastercard number, grouped or plain.
    pub fn card_number(&mut self) -> String {
        let mut d: Vec<u8> = Vec::with_capacity(16);
        if self.rng.chance(0.5) {
            d.push(4);
        } else {
            d.push(5);
            d.push(self.rng.range(1, 5) as u8);
        }
        while d.len() < 15 {
            d.push(self.rng.below(10) as u8);
        }
        // Luhn check digit for the 15 digits so far.
        let sum: u32 = d
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &x)| {
                let x = x as u32;
                if i % 2 == 0 {
                    let y = x * 2;
                    if y > 9 {
                        y - 9
                    } else {
                        y
                    }
                } else {
                    x
                }
            })
            .sum();
        d.push(((10 - sum % 10) % 10) as u8);
        let grouped = self.rng.chance(0.6);
        let mut s = String::with_capacity(19);
        for (i, x) in d.iter().enumerate() {
            if grouped && i > 0 && i % 4 == 0 {
                s.push(' ');
            }
            s.push((b'0' + x) as char);
        }
        s
    }

    pub fn ssn(&mut self) -> String {
        format!(
            "{:03}-{:02}-{:04}",
            self.rng.range(100, 665),
            self.rng.range(1, 99),
            self.rng.range(1, 9999)
        )
    }

    pub fn iban(&mut self) -> String {
        // Plausible shape (the check digits are not computed: a validator
        // rejecting most of these is realistic for free text too).
        let mut s = String::from("DE");
        self.digits(&mut s, 2);
        s.push(' ');
        for i in 0..4 {
            self.digits(&mut s, 4);
            if i < 3 {
                s.push(' ');
            }
        }
        self.digits(&mut s, 2);
        s
    }

    /// One piece of PII as it appears inside free text.
    pub fn embedded_pii(&mut self) -> String {
        match self.rng.below(8) {
            0 | 1 => self.email(),
            2 | 3 => self.phone(),
            4 => self.person_name(),
            5 => format!("card {}", self.card_number()),
            6 => format!("SSN {}", self.ssn()),
            _ => self.street_address(),
        }
    }

    /// Free text of `min..=max` words; with probability `pii` one embedded
    /// piece of PII.
    pub fn text(&mut self, min: u64, max: u64, pii: f64) -> String {
        let n = self.rng.range(min, max);
        let at = if self.rng.chance(pii) {
            Some(self.rng.below(n))
        } else {
            None
        };
        let mut s = String::with_capacity(n as usize * 7);
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            if Some(i) == at {
                s.push_str(&self.embedded_pii());
                continue;
            }
            let w = self.rng.pick(WORDS);
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    s.extend(f.to_uppercase());
                    s.push_str(c.as_str());
                }
            } else {
                s.push_str(w);
            }
            if self.rng.chance(0.08) {
                s.push(if self.rng.chance(0.7) { ',' } else { '.' });
            }
            if self.rng.chance(0.03) {
                s.push(' ');
                s.push_str(&self.number());
            }
        }
        s.push('.');
        s
    }

    /// A short note (CRM comment): 6–40 words, 10 % with PII.
    pub fn note(&mut self) -> String {
        self.text(6, 40, 0.10)
    }

    pub fn json_payload(&mut self) -> String {
        format!(
            r#"{{"event":"{}","session":"{}","amount":{},"ok":{},"note":"{}"}}"#,
            self.rng.pick(LOG_MSGS),
            self.uuid(),
            self.number(),
            self.rng.chance(0.9),
            self.text(3, 12, 0.03)
        )
    }

    pub fn status(&mut self) -> String {
        self.rng.pick(STATUS).to_string()
    }

    pub fn currency(&mut self) -> String {
        self.rng.pick(CURRENCIES).to_string()
    }

    pub fn merchant(&mut self) -> String {
        self.rng.pick(MERCHANTS).to_string()
    }

    pub fn tags(&mut self) -> String {
        let n = self.rng.range(1, 3);
        (0..n)
            .map(|_| self.rng.pick(TAGS))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn sku(&mut self) -> String {
        format!(
            "SKU-{}{}-{:06}",
            (b'A' + self.rng.below(26) as u8) as char,
            (b'A' + self.rng.below(26) as u8) as char,
            self.rng.below(1_000_000)
        )
    }

    /// One value of the mixed corpus (weights by count, see the README).
    pub fn mixed_value(&mut self) -> String {
        match self.rng.below(100) {
            0..=9 => self.email(),
            10..=19 => self.person_name(),
            20..=27 => self.street_address(),
            28..=33 => self.phone(),
            34..=49 => self.note(),
            50..=57 => self.uuid(),
            58..=63 => self.hash(),
            64..=73 => self.number(),
            74..=81 => self.url(),
            82..=93 => self.log_line(),
            94..=96 => self.date(),
            97 => self.sku(),
            98 => self.json_payload(),
            _ => self.status(),
        }
    }
}

fn ascii_lower(s: &str) -> String {
    // E-mail local parts: fold accents away so addresses stay ASCII.
    s.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'â' => Some('a'),
            'é' | 'è' | 'ê' => Some('e'),
            'í' => Some('i'),
            'ó' | 'ô' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ç' => Some('c'),
            '\'' => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// A deterministic mixed corpus of values whose lengths sum to at least
/// `target_bytes`.
pub fn corpus(seed: u64, target_bytes: usize) -> Vec<String> {
    let mut g = Gen::new(seed);
    let mut out = Vec::with_capacity(target_bytes / 40);
    let mut total = 0usize;
    while total < target_bytes {
        let v = g.mixed_value();
        total += v.len();
        out.push(v);
    }
    out
}

/// Sum of value lengths (the bytes a throughput figure counts; the `\n`
/// separators of joined batches are not counted).
pub fn value_bytes<S: AsRef<str>>(values: &[S]) -> usize {
    values.iter().map(|v| v.as_ref().len()).sum()
}

// ---------------------------------------------------------------------------
// Scan loops
// ---------------------------------------------------------------------------

/// Values joined with `\n` (each value followed by one), with the start offset
/// of each value, as `lakewarden-classify` builds them.
#[derive(Debug, Clone, Default)]
pub struct JoinedBatch {
    pub buf: Vec<u8>,
    pub starts: Vec<usize>,
}

impl JoinedBatch {
    pub fn new<S: AsRef<str>>(values: &[S]) -> Self {
        let total: usize = values.iter().map(|v| v.as_ref().len() + 1).sum();
        let mut buf = Vec::with_capacity(total);
        let mut starts = Vec::with_capacity(values.len());
        for v in values {
            starts.push(buf.len());
            buf.extend_from_slice(v.as_ref().as_bytes());
            buf.push(b'\n');
        }
        JoinedBatch { buf, starts }
    }

    /// Index of the value holding byte offset `at`.
    pub fn value_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at) - 1
    }
}

/// Split `values` into joined batches of `batch` values (the join is not
/// what is measured: callers build these before timing).
pub fn joined_batches<S: AsRef<str>>(values: &[S], batch: usize) -> Vec<JoinedBatch> {
    values.chunks(batch).map(JoinedBatch::new).collect()
}

/// What a scan found: the number of matches and a checksum over
/// `(value index, pattern id, start within value, end within value)`, equal
/// for every engine and feeding that reports the same matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanTally {
    pub matches: u64,
    pub checksum: u64,
}

impl ScanTally {
    fn add(&mut self, value: usize, id: u32, start: usize, end: usize) {
        self.matches += 1;
        let mut h = (value as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= (id as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        h ^= ((start as u64) << 32 | end as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
        // Commutative, since engines report in different orders.
        self.checksum = self.checksum.wrapping_add(h.rotate_left(17) ^ h);
    }

    pub fn merge(&mut self, other: ScanTally) {
        self.matches += other.matches;
        self.checksum = self.checksum.wrapping_add(other.checksum);
    }
}

/// One `scan` call per value (`base` numbers the first value for the tally).
pub fn scan_per_value<M: Matcher, S: AsRef<str>>(
    m: &M,
    scratch: &mut M::Scratch,
    values: &[S],
    base: usize,
) -> Result<ScanTally, RulesError> {
    let mut t = ScanTally::default();
    for (i, v) in values.iter().enumerate() {
        m.scan(scratch, v.as_ref().as_bytes(), &mut |id, s, e| {
            t.add(base + i, id, s, e)
        })?;
    }
    Ok(t)
}

/// One `scan` call over a joined batch; each match is mapped back to its
/// value with a binary search over the start offsets.
pub fn scan_joined<M: Matcher>(
    m: &M,
    scratch: &mut M::Scratch,
    batch: &JoinedBatch,
    base: usize,
) -> Result<ScanTally, RulesError> {
    let mut t = ScanTally::default();
    m.scan(scratch, &batch.buf, &mut |id, s, e| {
        let vi = batch.value_of(s);
        let vs = batch.starts[vi];
        t.add(base + vi, id, s - vs, e - vs);
    })?;
    Ok(t)
}

/// [`scan_joined`] over consecutive batches of `batch_len` values each.
pub fn scan_joined_all<M: Matcher>(
    m: &M,
    scratch: &mut M::Scratch,
    batches: &[JoinedBatch],
    batch_len: usize,
) -> Result<ScanTally, RulesError> {
    let mut t = ScanTally::default();
    for (i, b) in batches.iter().enumerate() {
        t.merge(scan_joined(m, scratch, b, i * batch_len)?);
    }
    Ok(t)
}

/// Batch size of the joined scans: values per `scan` call.
pub const BATCH_VALUES: usize = 8192;

/// The `*.parquet` files directly under `dir`, sorted by name (a bench lake
/// dataset folder).
pub fn parquet_files(dir: &str) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use anyhow::Context;
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("list {dir}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_and_sized() {
        let a = corpus(7, 200_000);
        let b = corpus(7, 200_000);
        assert_eq!(a, b);
        assert!(value_bytes(&a) >= 200_000);
        assert!(a.iter().all(|v| !v.contains('\n')));
        assert_ne!(corpus(8, 10_000), corpus(7, 10_000));
    }

    #[test]
    fn joined_offsets_map_back() {
        let vals = ["ab", "", "cde"];
        let b = JoinedBatch::new(&vals);
        assert_eq!(b.buf, b"ab\n\ncde\n");
        assert_eq!(b.value_of(0), 0);
        assert_eq!(b.value_of(1), 0);
        assert_eq!(b.value_of(3), 1);
        assert_eq!(b.value_of(4), 2);
        assert_eq!(b.value_of(6), 2);
    }

    #[test]
    fn per_value_and_joined_agree() {
        let rules = lakewarden_rules::RuleSet::builtin().unwrap();
        let m = lakewarden_rules::RegexMatcher::compile(&rules).unwrap();
        #[allow(clippy::let_unit_value)] // RegexMatcher's scratch is `()`; kept for symmetry
        let mut s = m.new_scratch().unwrap();
        let vals = corpus(3, 100_000);
        let per = scan_per_value(&m, &mut s, &vals, 0).unwrap();
        let batches = joined_batches(&vals, 100);
        let joined = scan_joined_all(&m, &mut s, &batches, 100).unwrap();
        assert!(per.matches > 0);
        assert_eq!(per, joined);
    }

    #[test]
    fn cards_pass_luhn() {
        let mut g = Gen::new(1);
        for _ in 0..100 {
            let c: Vec<u32> = g
                .card_number()
                .chars()
                .filter_map(|c| c.to_digit(10))
                .collect();
            let sum: u32 = c
                .iter()
                .rev()
                .enumerate()
                .map(|(i, &d)| {
                    if i % 2 == 1 {
                        let y = d * 2;
                        if y > 9 {
                            y - 9
                        } else {
                            y
                        }
                    } else {
                        d
                    }
                })
                .sum();
            assert_eq!(sum % 10, 0);
        }
    }
}
