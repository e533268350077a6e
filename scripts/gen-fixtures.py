#!/usr/bin/env python3
"""Generate lakewarden's demo lake and its truth file.

    scripts/gen-fixtures.py [--out fixtures/demo-lake] [--truth PATH] [--seed 7]

Writes a small, realistic data lake (Parquet, CSV/TSV/pipe, JSON Lines, gzip,
hive partitions, a Spark output folder, a Delta table, nested Parquet, traps
and unsupported files) under --out, and the ground truth the scanner is scored
against to --truth (default: <out>.truth.json, i.e. fixtures/demo-lake.truth.json).

The output is committed, so the demo and the Rust tests need no Python. Run
it through the pinned venv:

    "$(scripts/python-env.sh)/bin/python" scripts/gen-fixtures.py

Determinism: Faker instances and random.Random are seeded from --seed, all
timestamps are fixed, gzip/zip headers carry no clock, and the Delta table's
log is normalised after writing (fixed commit timestamps, table id and data
file names). Two runs with the same seed and the same pinned packages give
byte-identical files.

Every sensitive value is generated to be valid for its entity (Luhn, IBAN
mod-97, SSN area/group/serial, NINO prefixes, NHS mod-11, ...) and checked by
this script as it is generated; scripts/check-fixtures.py re-reads the lake
and verifies the truth independently.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import gzip
import hashlib
import hmac
import io
import ipaddress
import json
import random
import re
import shutil
import struct
import sys
import unicodedata
import uuid
import zipfile
import zlib
from pathlib import Path

try:
    import pyarrow as pa
    import pyarrow.orc as pa_orc
    import pyarrow.parquet as pq
    from deltalake import DeltaTable, write_deltalake
    from faker import Faker
except ImportError as e:  # pragma: no cover
    sys.exit(f"{Path(__file__).name}: {e}; run it with the pinned venv: "
             f'"$(scripts/python-env.sh)/bin/python" scripts/{Path(__file__).name}')

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES"]
POOL_SIZES = {"en_US": 3000, "en_GB": 2600, "de_DE": 2400, "fr_FR": 2200, "es_ES": 2600}
BASE_TS = dt.datetime(2024, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
DOB_MIN = dt.date(1930, 1, 1)
DOB_MAX = dt.date(2008, 12, 31)
NS = uuid.UUID("6f1d3c1e-7a51-4c7e-9a63-1f0d2b7c9e55")  # namespace for uuid5 names

# --------------------------------------------------------------------------
# Hand-written vocabularies
# --------------------------------------------------------------------------

# Real ICD-10 / ICD-10-CM diagnosis codes (a mix of WHO and US clinical
# modification codes, as found in real claims and EHR extracts).
ICD10_CODES = [
    "A09", "A41.9", "B34.9", "B35.1", "C18.9", "C20", "C25.9", "C34.90", "C43.9",
    "C50.911", "C61", "C67.9", "C73", "C91.10", "D50.9", "D64.9", "D69.6", "E03.9",
    "E10.9", "E11.22", "E11.65", "E11.9", "E55.9", "E66.9", "E78.00", "E78.5",
    "E87.1", "F10.20", "F17.210", "F20.9", "F31.9", "F32.9", "F32.A", "F33.1",
    "F41.1", "F41.9", "F43.10", "F90.0", "G20", "G30.9", "G35", "G40.909",
    "G43.909", "G47.33", "G56.00", "G62.9", "G89.29", "H10.9", "H25.9", "H40.9",
    "H52.4", "H66.90", "I10", "I21.9", "I25.10", "I48.91", "I50.9", "I63.9",
    "I73.9", "I87.2", "I95.9", "J01.90", "J02.9", "J06.9", "J11.1", "J18.9",
    "J20.9", "J30.9", "J44.9", "J45.909", "K21.9", "K29.70", "K35.80", "K50.90",
    "K51.90", "K57.30", "K58.9", "K59.00", "K76.0", "K80.20", "L03.90", "L20.9",
    "L30.9", "L40.0", "L70.0", "M10.9", "M17.11", "M19.90", "M25.561", "M54.2",
    "M54.5", "M54.50", "M62.830", "M75.101", "M79.7", "M81.0", "N18.4", "N18.9",
    "N20.0", "N39.0", "N40.0", "N95.1", "O24.419", "O80", "R05", "R06.02",
    "R07.9", "R10.9", "R11.2", "R42", "R50.9", "R51", "R53.83", "R73.03",
    "S06.0X0A", "S83.511A", "S93.401A", "T78.40XA", "U07.1", "Z00.00", "Z12.31",
    "Z23", "Z68.30", "Z71.3", "Z79.4", "Z87.891",
]

US_AREA_CODES = [
    201, 202, 203, 205, 206, 207, 208, 210, 212, 213, 214, 215, 216, 217, 224,
    225, 239, 240, 248, 251, 252, 253, 254, 256, 262, 267, 269, 270, 281, 301,
    302, 303, 304, 305, 307, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319,
    320, 321, 323, 330, 334, 336, 337, 339, 347, 352, 360, 361, 386, 401, 402,
    404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424,
    425, 432, 434, 435, 440, 443, 469, 478, 480, 484, 501, 502, 503, 504, 505,
    507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541, 559,
    561, 562, 563, 570, 571, 573, 574, 580, 585, 586, 601, 602, 603, 605, 606,
    607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 630,
    631, 636, 646, 650, 651, 660, 661, 662, 678, 701, 702, 703, 704, 706, 707,
    708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 732, 734, 740,
    757, 760, 763, 765, 770, 773, 774, 775, 781, 785, 786, 801, 802, 803, 804,
    805, 806, 808, 810, 812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832,
    843, 845, 847, 850, 856, 857, 858, 859, 860, 862, 863, 864, 865, 870, 901,
    903, 904, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918, 919, 920,
    925, 928, 931, 936, 937, 940, 941, 949, 951, 952, 954, 956, 970, 971, 972,
    973, 978, 979, 985, 989,
]

# Rough bounding boxes (lat_min, lat_max, lon_min, lon_max) per locale.
GEO_BOXES = {
    "en_US": (29.0, 47.5, -122.5, -71.0),
    "en_GB": (50.4, 57.5, -5.5, 1.5),
    "de_DE": (47.6, 54.8, 6.2, 14.8),
    "fr_FR": (43.2, 50.9, -4.3, 7.5),
    "es_ES": (36.6, 43.4, -8.8, 3.1),
}

EN_NOTES = [
    "Customer requested a callback about the delayed delivery.",
    "Account upgraded to the premium plan after the trial ended.",
    "Complaint about damaged packaging, replacement sent.",
    "Prefers contact in the afternoon, not before lunch.",
    "Asked for a copy of the last three invoices.",
    "Direct debit mandate renewed, no further action.",
    "Returned item within the cooling-off period, refund approved.",
    "Interested in the loyalty programme, brochure posted.",
    "Payment failed twice, the issuer declined; customer will retry.",
    "Moved house recently, delivery preferences updated.",
    "Left a positive review, thank-you voucher issued.",
    "Queried the annual fee, explained the pricing tiers.",
    "Subscription paused for two months at the customer's request.",
    "Escalated to the billing team, ticket still open.",
    "Requested that marketing emails be stopped.",
    "Called about a missing parcel, courier investigation opened.",
    "No answer on follow-up call, will try again next week.",
    "Satisfied with the resolution, case closed.",
    "Wants paper statements instead of online ones.",
    "Reported a problem with the mobile app login.",
    'Said the parcel was "left with a neighbour", which it was not.',
    "Asked whether gift wrapping is available for large orders.",
    "Disputed a late fee, waived as a goodwill gesture.",
    "Wants to be told about the spring sale, but by post only.",
]

FR_NOTES = [
    "Client satisfait du service, aucune action requise.",
    "Demande de rappel concernant la livraison en retard.",
    "Facture envoyée par courrier, paiement en attente.",
    "Réclamation sur un colis endommagé, remplacement expédié.",
    "Souhaite recevoir la lettre d'information mensuelle.",
    "Relance effectuée, pas de réponse pour le moment.",
    "Abonnement résilié à la demande du client.",
    "Remboursement accordé après retour du produit.",
    "Intéressé par l'offre fidélité, brochure envoyée.",
    "Préfère être contacté en fin de journée.",
    "Litige sur les frais de port, geste commercial accordé.",
    "Commande groupée pour une association sportive.",
    "A signalé un problème de connexion à l'application.",
    "Demande un devis pour une livraison à l'étranger.",
]

LOG_SERVICES = ["checkout-api", "auth-service", "billing-worker", "search-api", "media-ingest", "notifier"]
LOG_JOBS = ["nightly-rollup", "purge-sessions", "reindex-catalog", "export-invoices"]
LOG_FLAGS = ["new_checkout", "dark_mode", "fast_search", "beta_pricing"]
EVENT_TYPES = ["page_view", "page_view", "page_view", "add_to_cart", "search", "login", "checkout"]
EVENT_TAGS = ["mobile", "desktop", "returning", "promo", "beta", "organic", "paid", "newsletter"]


# --------------------------------------------------------------------------
# Validators (the generator asserts every value it emits)
# --------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


IBAN_LENGTHS = {"GB": 22, "DE": 22, "FR": 27, "ES": 24}


def iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "")
    if IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    r = s[4:] + s[:4]
    n = "".join(str(int(c, 36)) for c in r)
    return int(n) % 97 == 1


def ssn_ok(ssn: str) -> bool:
    d = re.sub(r"[- ]", "", ssn)
    if not re.fullmatch(r"\d{9}", d):
        return False
    area, group, serial = int(d[:3]), int(d[3:5]), int(d[5:])
    return area != 0 and area != 666 and area < 900 and group != 0 and serial != 0


NINO_BAD_FIRST = set("DFIQUV")
NINO_BAD_SECOND = set("DFIOQUV")
NINO_BAD_PAIRS = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def nino_ok(nino: str) -> bool:
    s = nino.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", s):
        return False
    return s[0] not in NINO_BAD_FIRST and s[1] not in NINO_BAD_SECOND and s[:2] not in NINO_BAD_PAIRS


def nhs_check(nine: str) -> int:
    total = sum(int(c) * (10 - i) for i, c in enumerate(nine))
    check = 11 - total % 11
    return 0 if check == 11 else check


def nhs_ok(nhs: str) -> bool:
    d = re.sub(r"[- ]", "", nhs)
    if not re.fullmatch(r"\d{10}", d):
        return False
    c = nhs_check(d[:9])
    return c != 10 and c == int(d[9])


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def fold(s: str) -> str:
    s = s.replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("œ", "oe")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", s.lower())


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


LONG_DIGITS = re.compile(r"\d{9,}")


def ts_iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Phone:
    """A phone number: country code, national significant number, and how its
    digits group when written."""

    def __init__(self, loc: str, cc: str, groups: list[str], trunk: str):
        self.loc, self.cc, self.groups, self.trunk = loc, cc, groups, trunk

    @property
    def nsn(self) -> str:
        return "".join(self.groups)

    @property
    def e164(self) -> str:
        return f"+{self.cc}{self.nsn}"


class Lake:
    def __init__(self, seed: int):
        self.seed = seed
        Faker.seed(seed)
        self.rng = random.Random(seed)
        self.fk: dict[str, Faker] = {}
        for i, loc in enumerate(LOCALES):
            f = Faker(loc)
            f.seed_instance(seed * 100 + i)
            self.fk[loc] = f
        self.used_emails: set[str] = set()
        self.phone_e164: dict[str, str] = {}  # every formatted phone -> E.164
        self.pools: dict[str, list[dict]] = {}
        self.datasets: list[dict] = []  # truth entries
        self.cells: dict[str, dict[str, list]] = {}  # path -> column_path -> values (for subjects)
        self.entities_of: dict[tuple[str, str], list[str]] = {}
        self.skipped: list[dict] = []

    # ---------------- random primitives ----------------
    def uuid4(self) -> str:
        while True:
            u = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            if not LONG_DIGITS.search(u):
                return u

    def hexdigest(self, algo: str) -> str:
        while True:
            h = hashlib.new(algo, self.rng.randbytes(32)).hexdigest()
            if not LONG_DIGITS.search(h):
                return h

    def digits(self, n: int, first_nonzero: bool = True) -> str:
        s = str(self.rng.randint(1, 9)) if first_nonzero else str(self.rng.randint(0, 9))
        return s + "".join(str(self.rng.randint(0, 9)) for _ in range(n - 1))

    def date_between(self, a: dt.date, b: dt.date) -> dt.date:
        return a + dt.timedelta(days=self.rng.randint(0, (b - a).days))

    def dob(self) -> dt.date:
        return self.date_between(DOB_MIN, DOB_MAX)

    def ts_between(self, a: dt.datetime, b: dt.datetime) -> dt.datetime:
        return a + dt.timedelta(seconds=self.rng.randint(0, int((b - a).total_seconds())))

    # ---------------- identifiers ----------------
    def ssn(self) -> str:
        r = self.rng
        while True:
            area = r.randint(100, 899)  # >= 100 so the Int64 copy keeps 9 digits
            if area != 666:
                break
        s = f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"
        assert ssn_ok(s)
        return s

    def nino(self) -> str:
        r = self.rng
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        while True:
            a = r.choice([c for c in letters if c not in NINO_BAD_FIRST])
            b = r.choice([c for c in letters if c not in NINO_BAD_SECOND])
            if a + b not in NINO_BAD_PAIRS:
                break
        s = f"{a}{b}{self.digits(6, False)}{r.choice('ABCD')}"
        assert nino_ok(s)
        return s

    def nhs(self) -> str:
        r = self.rng
        while True:
            nine = str(r.choice([4, 6, 7])) + self.digits(8, False)
            c = nhs_check(nine)
            if c != 10:
                s = nine + str(c)
                assert nhs_ok(s)
                return s

    def aws_key(self) -> str:
        return "AKIA" + "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))

    def jwt(self) -> str:
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        iat = int(self.ts_between(BASE_TS - dt.timedelta(days=30), BASE_TS).timestamp())
        claims = {"sub": f"usr_{self.rng.randint(10000, 99999)}", "iat": iat, "exp": iat + 3600,
                  "scope": self.rng.choice(["events:write", "profile:read", "orders:read orders:write"])}
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(b"lakewarden-demo-secret", f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64url(sig)}"

    def card(self) -> str:
        ctype = self.rng.choice(["visa16", "visa16", "visa16", "mastercard", "mastercard", "mastercard",
                                 "amex", "discover", "jcb16", "diners"])
        n = self.fk["en_US"].credit_card_number(card_type=ctype)
        assert luhn_ok(n), n
        return n

    def card16(self) -> str:
        while True:
            n = self.card()
            if len(n) == 16:
                return n

    def not_luhn16(self) -> str:
        while True:
            n = self.digits(16)
            if not luhn_ok(n):
                return n

    def iban(self, loc: str) -> str:
        n = self.fk[loc].iban()
        assert iban_ok(n), n
        return n

    @staticmethod
    def iban_spaced(iban: str) -> str:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))

    def passport(self, loc: str) -> str:
        r = self.rng
        if loc in ("en_US", "en_GB"):
            return self.digits(9)
        if loc == "de_DE":
            alphabet = "CFGHJKLMNPRTVWXYZ0123456789"
            return r.choice("CFGHJK") + "".join(r.choice(alphabet) for _ in range(8))
        if loc == "fr_FR":
            return f"{self.digits(2, False)}{r.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{r.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{self.digits(5, False)}"
        if loc == "es_ES":
            return r.choice(["PA", "AA", "PB", "XD"]) + r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + self.digits(6, False)
        raise ValueError(loc)

    # ---------------- phones ----------------
    def phone(self, loc: str, kind: str | None = None) -> Phone:
        r = self.rng
        kind = kind or r.choice(["mobile", "mobile", "landline"])
        if loc == "en_US":
            while True:
                exch = self.digits(3)
                if exch[0] >= "2" and exch[1:] != "11" and exch != "555":
                    break
            return Phone(loc, "1", [str(r.choice(US_AREA_CODES)), exch, self.digits(4, False)], "")
        if loc == "en_GB":
            if kind == "mobile":
                p2 = r.choice(["1", "2", "3", "7", "8", "9"])
                third = {"1": "0123456789", "2": "0123456789", "3": "0123456789",
                         "7": "1234567", "8": "01456789", "9": "02456789"}[p2]
                nsn = "7" + p2 + r.choice(third) + self.digits(7, False)
                return Phone(loc, "44", [nsn[:4], nsn[4:]], "0")
            if r.random() < 0.5:
                return Phone(loc, "44", ["20", r.choice("378") + self.digits(3, False), self.digits(4, False)], "0")
            return Phone(loc, "44", [r.choice(["161", "121", "131", "141"]), str(r.randint(2, 7)) + self.digits(2, False), self.digits(4, False)], "0")
        if loc == "de_DE":
            if kind == "mobile":
                pre = r.choice(["151", "152", "157", "159", "160", "162", "170", "171", "172", "173", "174", "175", "176", "177", "178", "179"])
                n = 8 if pre.startswith("15") or pre == "176" else 7
                return Phone(loc, "49", [pre, self.digits(n)], "0")
            area, n = r.choice([("30", 8), ("40", 7), ("89", 7), ("69", 7), ("221", 7), ("711", 7), ("211", 7), ("341", 7)])
            return Phone(loc, "49", [area, str(r.randint(2, 9)) + self.digits(n - 1, False)], "0")
        if loc == "fr_FR":
            if kind == "mobile":
                first = r.choice(["6", "6", "7"])
                second = r.choice("0124578") if first == "6" else r.choice("3456789")
            else:
                first = r.choice("12345")
                second = r.choice("134578" if first == "2" else "12345678")
            rest = self.digits(7, False)
            nsn = first + second + rest
            return Phone(loc, "33", [nsn[0], nsn[1:3], nsn[3:5], nsn[5:7], nsn[7:9]], "0")
        if loc == "es_ES":
            if kind == "mobile":
                nsn = "6" + self.digits(8, False)
                return Phone(loc, "34", [nsn[:3], nsn[3:6], nsn[6:]], "")
            nsn = r.choice(["91", "93", "95"]) + str(r.randint(2, 9)) + self.digits(6, False)
            return Phone(loc, "34", [nsn[:2], nsn[2:5], nsn[5:7], nsn[7:]], "")
        raise ValueError(loc)

    def fmt_phone(self, p: Phone, style: str | None = None) -> str:
        r = self.rng
        g = p.groups
        if p.loc == "en_US":
            a, e, s = g
            choices = {
                "nat": [f"({a}) {e}-{s}", f"{a}-{e}-{s}", f"{a}.{e}.{s}", f"({a}) {e}-{s}"],
                "intl": [f"+1 {a}-{e}-{s}", f"+1 ({a}) {e}-{s}", f"+1{a}{e}{s}", f"+1 {a} {e} {s}"],
            }
        else:
            nat_sp = p.trunk + " ".join(g)
            intl_sp = f"+{p.cc} " + " ".join(g)
            choices = {"nat": [nat_sp, nat_sp], "intl": [intl_sp, f"+{p.cc}{p.nsn}"]}
            if p.loc == "en_GB":
                choices["nat"].append(f"({p.trunk}{g[0]}) " + " ".join(g[1:]))
                choices["intl"].append(f"+{p.cc} (0){' '.join(g)}")
            elif p.loc == "de_DE":
                choices["nat"] += [f"0{g[0]}/{''.join(g[1:])}", f"0{g[0]}-{''.join(g[1:])}"]
                choices["intl"].append(f"+49 (0){g[0]} {''.join(g[1:])}")
            elif p.loc == "fr_FR":
                choices["nat"] += [p.trunk + p.nsn, p.trunk + ".".join(g)]
                choices["intl"].append(f"+33 (0){' '.join(g)}")
            elif p.loc == "es_ES":
                choices["nat"].append(p.nsn)
        style = style or r.choice(["nat", "nat", "intl"])
        s = r.choice(choices[style])
        self.phone_e164[s] = p.e164
        return s

    # ---------------- people and places ----------------
    def name_parts(self, loc: str) -> tuple[str, str]:
        f = self.fk[loc]
        pat = re.compile(r"^[^\W\d_]+(?:['\-][^\W\d_]+)*$")
        while True:
            first, last = f.first_name(), f.last_name()
            if not (pat.match(first) and pat.match(last)):
                continue
            if loc == "de_DE":
                try:
                    (first + last).encode("cp1252")
                except UnicodeEncodeError:
                    continue
            return first, last

    def email_for(self, loc: str, first: str, last: str, work: bool = False) -> str:
        r = self.rng
        f = self.fk[loc]
        fi, la = fold(first) or "x", fold(last) or "y"
        x = r.random()
        if x < 0.40:
            local = f"{fi}.{la}"
        elif x < 0.55:
            local = f"{fi}{la}"
        elif x < 0.70:
            local = f"{fi[0]}{la}"
        elif x < 0.80:
            local = f"{fi}_{la}"
        elif x < 0.90:
            local = f"{la}.{fi}"
        else:
            local = f"{fi}{r.randint(1, 99)}"
        if r.random() < 0.25:
            local += str(r.randint(1, 99))
        domain = f.domain_name() if (work or r.random() < 0.25) else f.free_email_domain()
        email = f"{local}@{domain}"
        while email in self.used_emails:
            local += str(r.randint(0, 9))
            email = f"{local}@{domain}"
        self.used_emails.add(email)
        return email

    def address(self, loc: str) -> dict:
        f = self.fk[loc]
        r = self.rng
        while True:
            if loc == "en_US":
                street = f.street_address()
                city, pc = f.city(), f.zipcode()
                full = f"{street}, {city}, {f.state_abbr(include_territories=False, include_freely_associated_states=False)} {pc}"
            elif loc == "en_GB":
                street = f.street_address().replace("\n", ", ")
                city, pc = f.city(), f.postcode()
                full = f"{street}, {city}, {pc}"
            elif loc == "de_DE":
                street = f"{f.street_name()} {r.randint(1, 180)}{r.choice([''] * 9 + ['a', 'b'])}"
                city, pc = f.city(), f.postcode()
                full = f"{street}, {pc} {city}"
            elif loc == "fr_FR":
                street = f.street_address()
                city, pc = f.city(), f.postcode()
                full = f"{street}, {pc} {city}"
            else:
                street = " ".join(f.street_address().split())
                city, pc = f.city(), f.postcode()
                full = f"{street}, {pc} {city}"
            if not re.search(r"\d", street):
                continue  # keep only addresses with a house number
            if loc == "de_DE":
                try:
                    full.encode("cp1252")
                except UnicodeEncodeError:
                    continue
            return {"street": street, "city": city, "postcode": pc, "full": full}

    def person(self, loc: str) -> dict:
        first, last = self.name_parts(loc)
        return {
            "loc": loc, "first": first, "last": last, "name": f"{first} {last}",
            "email": self.email_for(loc, first, last),
            "phone": self.phone(loc),
            "addr": self.address(loc),
            "dob": self.dob(),
        }

    def attr(self, p: dict, key: str):
        """Stable per-person identifiers, assigned on first use."""
        if key not in p:
            p[key] = {
                "ssn": self.ssn, "nino": self.nino, "nhs": self.nhs, "card": self.card,
                "iban": lambda: self.iban(p["loc"]), "passport": lambda: self.passport(p["loc"]),
                "work_email": lambda: self.email_for(p["loc"], p["first"], p["last"], work=True),
                "mobile": lambda: self.phone(p["loc"], "mobile"),
            }[key]()
        return p[key]

    def build_pools(self):
        for loc in LOCALES:
            self.pools[loc] = [self.person(loc) for _ in range(POOL_SIZES[loc])]
        # A few data subjects that show up across many datasets (for RTBF demos).
        self.subjects = [self.pools[loc][0] for loc in LOCALES]

    def pick(self, locs: list[str]) -> dict:
        """A random person from the given locales; now and then a demo subject."""
        if self.rng.random() < 0.004:
            cands = [s for s in self.subjects if s["loc"] in locs]
            if cands:
                return self.rng.choice(cands)
        return self.rng.choice(self.pools[self.rng.choice(locs)])

    def geo(self, loc: str) -> tuple[float, float]:
        a, b, c, d = GEO_BOXES[loc]
        return round(self.rng.uniform(a, b), 6), round(self.rng.uniform(c, d), 6)

    # ---------------- truth bookkeeping ----------------
    def add_dataset(self, path: str, fmt: str, rows: int, cols: list[dict], **extra):
        entry = {"path": path, "format": fmt, "rows": rows, "status": "ok"}
        entry.update(extra)
        entry["columns"] = [self._col_truth(path, c) for c in cols]
        self.datasets.append(entry)

    def _col_truth(self, path: str, c: dict) -> dict:
        vals = c["values"]
        labels = c.get("labels")
        ents = c.get("entities", [])
        is_list = c.get("list", False)
        nulls = sum(1 for v in vals if v is None)
        out = {"column_path": c["path"], "entities": ents}
        if c.get("type"):
            out["type"] = c["type"]
        if is_list:
            elems = [e for v in vals if v is not None for e in v if e is not None]
            basis = len(elems)
            out["list"] = True
            counts = {e: basis for e in ents}
        else:
            basis = len(vals) - nulls
            if labels is None:
                counts = {e: basis for e in ents}
            else:
                counts = {e: sum(1 for v, lab in zip(vals, labels) if v is not None and e in lab) for e in ents}
                for lab in labels:
                    assert set(lab) <= set(ents), (c["path"], lab)
        out["nulls"] = nulls
        out["non_null"] = basis
        if ents:
            shares = {e: (round(counts[e] / basis, 4) if basis else 0.0) for e in ents}
            if len(ents) == 1:
                out["share"] = shares[ents[0]]
            else:
                out["shares"] = shares
            out["matches"] = counts
            if any(0 < s < 0.05 for s in shares.values()):
                out["sparse"] = True
        for k in ("trap", "notes"):
            if c.get(k):
                out[k] = c[k]
        self.cells.setdefault(path, {})[c["path"]] = vals
        self.entities_of[(path, c["path"])] = ents
        return out


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------

def write_parquet(table: pa.Table, path: Path, compression: str = "snappy"):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression=compression)


def write_delim(path: Path, header: list[str], rows: list[list], delimiter: str, encoding: str = "utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    path.write_bytes(buf.getvalue().encode(encoding))


def jsonl_bytes(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records).encode("utf-8")


def hadoop_crc(data: bytes) -> bytes:
    """Contents of a Hadoop ChecksumFileSystem .crc side file (CRC32 per 512 bytes)."""
    out = bytearray(b"crc\x00" + struct.pack(">i", 512))
    for i in range(0, len(data), 512):
        out += struct.pack(">I", zlib.crc32(data[i:i + 512]) & 0xFFFFFFFF)
    return bytes(out)


def avro_long(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def avro_bytes(b: bytes) -> bytes:
    return avro_long(len(b)) + b


def write_avro(path: Path, records: list[tuple[str, int]], sync: bytes):
    schema = {"type": "record", "name": "StockItem", "namespace": "demo",
              "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "long"}]}
    out = bytearray(b"Obj\x01")
    out += avro_long(2)
    out += avro_bytes(b"avro.codec") + avro_bytes(b"null")
    out += avro_bytes(b"avro.schema") + avro_bytes(json.dumps(schema, separators=(",", ":")).encode())
    out += avro_long(0) + sync
    data = b"".join(avro_bytes(s.encode()) + avro_long(q) for s, q in records)
    out += avro_long(len(records)) + avro_long(len(data)) + data + sync
    path.write_bytes(bytes(out))


def write_xlsx(path: Path, rows: list[list]):
    def cell(ref, v):
        if isinstance(v, (int, float)):
            return f'<c r="{ref}"><v>{v}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'

    sheet_rows = []
    for i, row in enumerate(rows, start=1):
        cells = "".join(cell(f"{chr(65 + j)}{i}", v) for j, v in enumerate(row))
        sheet_rows.append(f'<row r="{i}">{cells}</row>')
    decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    files = {
        "[Content_Types].xml": decl + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '</Types>',
        "_rels/.rels": decl + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
        "xl/workbook.xml": decl + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Report" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": decl + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": decl + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData>{"".join(sheet_rows)}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            zi = zipfile.ZipInfo(name, date_time=(2024, 6, 1, 12, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, text)


# --------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------

def gen_customers_us(L: Lake, out: Path):
    r = L.rng
    people = L.pools["en_US"][:2000]
    n = len(people)
    ids = list(range(100001, 100001 + n))
    names = [p["name"] for p in people]
    emails = [p["email"] for p in people]
    phones = [None if r.random() < 0.05 else L.fmt_phone(p["phone"]) for p in people]
    ssns = []
    ssn_ints = []
    for p in people:
        s = L.attr(p, "ssn")
        ssns.append(s if r.random() < 0.9 else s.replace("-", ""))
        ssn_ints.append(int(s.replace("-", "")))
    dobs = [p["dob"] for p in people]
    streets = [p["addr"]["street"] for p in people]
    cities = [p["addr"]["city"] for p in people]
    zips = [p["addr"]["postcode"] for p in people]
    cards = [None if r.random() < 0.08 else L.attr(p, "card") for p in people]
    backup = [int(L.card16()) if r.random() < 0.4 else None for _ in people]
    alt_phone = [int(L.phone("en_US").nsn) if r.random() < 0.5 else None for _ in people]
    passports = [L.attr(p, "passport") if r.random() < 0.55 else None for p in people]
    opt_in = [r.random() < 0.6 for _ in people]
    ssn_verified = [r.random() < 0.8 for _ in people]
    signup = [L.date_between(dt.date(2015, 1, 1), dt.date(2024, 5, 31)) for _ in people]
    order16 = [int(L.not_luhn16()) for _ in people]
    col7 = [L.attr(p, "work_email") if r.random() < 0.85 else None for p in people]
    for v in backup:
        assert v is None or luhn_ok(str(v))
    for v in order16:
        assert not luhn_ok(str(v))

    t = pa.table({
        "customer_id": pa.array(ids, pa.int64()),
        "full_name": pa.array(names, pa.string()),
        "email": pa.array(emails, pa.string()),
        "phone": pa.array(phones, pa.string()),
        "ssn": pa.array(ssns, pa.string()),
        "ssn_int": pa.array(ssn_ints, pa.int64()),
        "date_of_birth": pa.array(dobs, pa.date32()),
        "street_address": pa.array(streets, pa.string()),
        "city": pa.array(cities, pa.string()),
        "zip": pa.array(zips, pa.string()),
        "credit_card": pa.array(cards, pa.string()),
        "backup_card": pa.array(backup, pa.int64()),
        "alt_phone": pa.array(alt_phone, pa.int64()),
        "passport_number": pa.array(passports, pa.string()),
        "email_opt_in": pa.array(opt_in, pa.bool_()),
        "ssn_verified": pa.array(ssn_verified, pa.bool_()),
        "signup_date": pa.array(signup, pa.date32()),
        "order_id_16": pa.array(order16, pa.int64()),
        "col_7": pa.array(col7, pa.string()),
    })
    write_parquet(t, out / "customers_us.parquet")
    cols = [
        dict(path="customer_id", values=ids, type="int64"),
        dict(path="full_name", values=names, entities=["PERSON"], type="string"),
        dict(path="email", values=emails, entities=["EMAIL_ADDRESS"], type="string"),
        dict(path="phone", values=phones, entities=["PHONE_NUMBER"], type="string"),
        dict(path="ssn", values=ssns, entities=["US_SSN"], type="string", notes="mostly ddd-dd-dddd, ~10% digits only"),
        dict(path="ssn_int", values=ssn_ints, entities=["US_SSN"], type="int64",
             notes="same SSNs as digits in an Int64; areas are >= 100 so every value has 9 digits"),
        dict(path="date_of_birth", values=dobs, entities=["DATE_OF_BIRTH"], type="date32"),
        dict(path="street_address", values=streets, entities=["STREET_ADDRESS"], type="string"),
        dict(path="city", values=cities, type="string", notes="a city alone is not a street address"),
        dict(path="zip", values=zips, type="string", notes="postcode alone: no entity"),
        dict(path="credit_card", values=cards, entities=["CREDIT_CARD"], type="string"),
        dict(path="backup_card", values=backup, entities=["CREDIT_CARD"], type="int64",
             notes="16-digit Luhn-valid PANs stored as Int64"),
        dict(path="alt_phone", values=alt_phone, entities=["PHONE_NUMBER"], type="int64",
             notes="10-digit US national numbers stored as Int64"),
        dict(path="passport_number", values=passports, entities=["PASSPORT_NUMBER"], type="string",
             notes="US passports, 9 digits: also SSN-shaped; the column name decides"),
        dict(path="email_opt_in", values=opt_in, type="bool", trap="boolean named like email"),
        dict(path="ssn_verified", values=ssn_verified, type="bool", trap="boolean named like ssn"),
        dict(path="signup_date", values=signup, type="date32", trap="event date (2015-2024), not a date of birth"),
        dict(path="order_id_16", values=order16, type="int64", trap="16-digit ids that fail Luhn: not card numbers"),
        dict(path="col_7", values=col7, entities=["EMAIL_ADDRESS"], type="string",
             notes="work emails under a meaningless name"),
    ]
    L.add_dataset("customers_us.parquet", "parquet", n, cols)


def gen_contacts_gb(L: Lake, out: Path):
    r = L.rng
    people = L.pools["en_GB"][:2400]
    n = len(people)
    rows, notes, note_labels, builds = [], [], [], []
    names = [p["name"] for p in people]
    emails = [p["email"] for p in people]
    mobiles = [None if r.random() < 0.03 else L.fmt_phone(L.attr(p, "mobile")) for p in people]
    ninos = []
    nhss = []
    for p in people:
        s = L.attr(p, "nino")
        ninos.append(s if r.random() < 0.7 else f"{s[:2]} {s[2:4]} {s[4:6]} {s[6:8]} {s[8]}")
        h = L.attr(p, "nhs")
        x = r.random()
        nhss.append(f"{h[:3]} {h[3:6]} {h[6:]}" if x < 0.6 else h)
    passports = [L.attr(p, "passport") if r.random() < 0.5 else None for p in people]
    postcodes = [p["addr"]["postcode"] for p in people]
    addresses = [f"{p['addr']['street']}, {p['addr']['city']}" for p in people]
    for p in people:
        x = r.random()
        if x < 0.016:
            notes.append(r.choice(["Prefers email: {e}, not phone.", "New email address {e}, please update the account.",
                                   "Sent the statement to {e} as requested."]).format(e=p["email"]))
            note_labels.append({"EMAIL_ADDRESS"})
        elif x < 0.031:
            ph = L.fmt_phone(p["phone"])
            notes.append(r.choice(["Call back on {t} after 5pm.", "Landline changed to {t}, confirmed by letter.",
                                   "Asked us to ring {t} instead of the mobile."]).format(t=ph))
            note_labels.append({"PHONE_NUMBER"})
        elif x < 0.12:
            notes.append(None)
            note_labels.append(set())
        else:
            k = 1 if r.random() < 0.7 else 2
            notes.append(" ".join(r.sample(EN_NOTES, k)))
            note_labels.append(set())
        builds.append(r.choice([
            f"{r.randint(1, 12)}.{r.randint(0, 9)}.{r.randint(0, 20)}.{r.randint(0, 300)}",
            f"v{r.randint(1, 6)}.{r.randint(0, 15)}.{r.randint(0, 9)}.{r.randint(0, 99)}",
        ]))
    header = ["name", "email", "mobile", "nino", "nhs_number", "passport_no", "postcode", "address", "notes", "build_version"]
    for i in range(n):
        rows.append([names[i], emails[i], mobiles[i], ninos[i], nhss[i], passports[i], postcodes[i], addresses[i], notes[i], builds[i]])
    write_delim(out / "crm" / "contacts_gb.csv", header, rows, ",")
    cols = [
        dict(path="name", values=names, entities=["PERSON"]),
        dict(path="email", values=emails, entities=["EMAIL_ADDRESS"]),
        dict(path="mobile", values=mobiles, entities=["PHONE_NUMBER"]),
        dict(path="nino", values=ninos, entities=["UK_NINO"], notes="AB123456C and 'AB 12 34 56 C' forms"),
        dict(path="nhs_number", values=nhss, entities=["UK_NHS"], notes="'943 476 5919' and '9434765919' forms"),
        dict(path="passport_no", values=passports, entities=["PASSPORT_NUMBER"], notes="UK passports, 9 digits"),
        dict(path="postcode", values=postcodes, notes="postcode alone: no entity"),
        dict(path="address", values=addresses, entities=["STREET_ADDRESS"], notes="street, town (quoted: embedded commas)"),
        dict(path="notes", values=notes, labels=note_labels, entities=["EMAIL_ADDRESS", "PHONE_NUMBER"],
             notes="free text; ~3% of rows mention the customer's email or phone (sparse)"),
        dict(path="build_version", values=builds, trap="4-part version strings look like IPv4"),
    ]
    L.add_dataset("crm/contacts_gb.csv", "csv", n, cols, delimiter=",", encoding="utf-8", header=True,
                  notes="empty fields are nulls; fields with commas or quotes are quoted")


def gen_kunden_de(L: Lake, out: Path):
    r = L.rng
    people = L.pools["de_DE"][:2200]
    n = len(people)
    ids = [str(500000 + i) for i in range(n)]
    vor = [p["first"] for p in people]
    nach = [p["last"] for p in people]
    strasse = [p["addr"]["street"] for p in people]
    plz = [p["addr"]["postcode"] for p in people]
    ort = [p["addr"]["city"] for p in people]
    tel = [None if r.random() < 0.04 else L.fmt_phone(p["phone"]) for p in people]
    ibans = []
    for p in people:
        i = L.attr(p, "iban")
        ibans.append(L.iban_spaced(i) if r.random() < 0.5 else i)
    geb = [p["dob"].strftime("%d.%m.%Y") for p in people]
    pas = [L.attr(p, "passport") if r.random() < 0.4 else None for p in people]
    header = ["kundennr", "vorname", "nachname", "strasse", "plz", "ort", "telefon", "iban", "geburtsdatum", "reisepassnummer"]
    rows = [[ids[i], vor[i], nach[i], strasse[i], plz[i], ort[i], tel[i], ibans[i], geb[i], pas[i]] for i in range(n)]
    path = out / "crm" / "kunden_de.csv"
    write_delim(path, header, rows, ";", encoding="cp1252")
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        raise AssertionError("kunden_de.csv must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    cols = [
        dict(path="kundennr", values=ids),
        dict(path="vorname", values=vor, entities=["PERSON"], notes="first names only"),
        dict(path="nachname", values=nach, entities=["PERSON"], notes="surnames only"),
        dict(path="strasse", values=strasse, entities=["STREET_ADDRESS"], notes="street and house number"),
        dict(path="plz", values=plz, notes="postcode alone: no entity"),
        dict(path="ort", values=ort, notes="a city alone is not a street address"),
        dict(path="telefon", values=tel, entities=["PHONE_NUMBER"]),
        dict(path="iban", values=ibans, entities=["IBAN_CODE"], notes="DE IBANs, half in groups of four"),
        dict(path="geburtsdatum", values=geb, entities=["DATE_OF_BIRTH"], notes="dd.mm.yyyy"),
        dict(path="reisepassnummer", values=pas, entities=["PASSPORT_NUMBER"], notes="German passports, e.g. C01X00T47"),
    ]
    L.add_dataset("crm/kunden_de.csv", "csv", n, cols, delimiter=";", encoding="cp1252", header=True,
                  notes="Windows-1252 encoded (umlauts, ß): not valid UTF-8; empty fields are nulls")


def gen_clients_fr(L: Lake, out: Path):
    r = L.rng
    people = L.pools["fr_FR"][:2000]
    n = len(people)
    names = [p["name"] for p in people]
    emails = [p["email"] for p in people]
    tel = [L.fmt_phone(p["phone"]) for p in people]
    adr = [p["addr"]["full"] for p in people]
    ibans = []
    for p in people:
        i = L.attr(p, "iban")
        ibans.append(L.iban_spaced(i) if r.random() < 0.3 else i)
    dob = [p["dob"].isoformat() for p in people]
    pas = [L.attr(p, "passport") if r.random() < 0.45 else None for p in people]
    attr1 = [L.fmt_phone(L.attr(p, "mobile")) if r.random() < 0.7 else None for p in people]
    comm = [None if r.random() < 0.2 else r.choice(FR_NOTES) for _ in people]
    header = ["nom_complet", "courriel", "telephone", "adresse", "iban", "date_naissance", "num_passeport", "attr1", "commentaire"]
    rows = [[names[i], emails[i], tel[i], adr[i], ibans[i], dob[i], pas[i], attr1[i], comm[i]] for i in range(n)]
    write_delim(out / "exports" / "clients_fr.tsv", header, rows, "\t")
    cols = [
        dict(path="nom_complet", values=names, entities=["PERSON"]),
        dict(path="courriel", values=emails, entities=["EMAIL_ADDRESS"]),
        dict(path="telephone", values=tel, entities=["PHONE_NUMBER"]),
        dict(path="adresse", values=adr, entities=["STREET_ADDRESS"], notes="street, postcode and town on one line"),
        dict(path="iban", values=ibans, entities=["IBAN_CODE"], notes="FR IBANs"),
        dict(path="date_naissance", values=dob, entities=["DATE_OF_BIRTH"], notes="YYYY-MM-DD"),
        dict(path="num_passeport", values=pas, entities=["PASSPORT_NUMBER"], notes="French passports, e.g. 12AB34567"),
        dict(path="attr1", values=attr1, entities=["PHONE_NUMBER"], notes="mobile numbers under a meaningless name"),
        dict(path="commentaire", values=comm, notes="generic French free text, no PII"),
    ]
    L.add_dataset("exports/clients_fr.tsv", "csv", n, cols, delimiter="\t", encoding="utf-8", header=True,
                  notes="tab-separated; empty fields are nulls")


def gen_pedidos_es(L: Lake, out: Path):
    r = L.rng
    people = L.pools["es_ES"][:2500]
    n = len(people)
    ids = [f"PED-{2024000 + i}" for i in range(n)]
    names = [p["name"] for p in people]
    emails = [p["email"] for p in people]
    tel = [L.fmt_phone(p["phone"]) for p in people]
    adr = [p["addr"]["full"] for p in people]
    cards = []
    for p in people:
        c = L.attr(p, "card")
        if len(c) == 15:
            cards.append(f"{c[:4]} {c[4:10]} {c[10:]}")
        else:
            cards.append(" ".join(c[i:i + 4] for i in range(0, len(c), 4)))
    pedido = [L.date_between(dt.date(2022, 1, 1), dt.date(2024, 5, 31)).strftime("%d/%m/%Y") for _ in people]
    nac = [p["dob"].strftime("%d/%m/%Y") for p in people]
    pas = [L.attr(p, "passport") if r.random() < 0.5 else None for p in people]
    importe = [f"{r.uniform(5, 900):.2f}" for _ in people]
    header = ["pedido_id", "nombre", "correo", "telefono", "direccion", "tarjeta", "fecha_pedido", "fecha_nacimiento", "pasaporte", "importe"]
    rows = [[ids[i], names[i], emails[i], tel[i], adr[i], cards[i], pedido[i], nac[i], pas[i], importe[i]] for i in range(n)]
    write_delim(out / "exports" / "pedidos_es.csv", header, rows, "|")
    cols = [
        dict(path="pedido_id", values=ids),
        dict(path="nombre", values=names, entities=["PERSON"]),
        dict(path="correo", values=emails, entities=["EMAIL_ADDRESS"]),
        dict(path="telefono", values=tel, entities=["PHONE_NUMBER"]),
        dict(path="direccion", values=adr, entities=["STREET_ADDRESS"]),
        dict(path="tarjeta", values=cards, entities=["CREDIT_CARD"], notes="card numbers in groups separated by spaces"),
        dict(path="fecha_pedido", values=pedido, trap="order date (dd/mm/yyyy), not a date of birth"),
        dict(path="fecha_nacimiento", values=nac, entities=["DATE_OF_BIRTH"], notes="dd/mm/yyyy"),
        dict(path="pasaporte", values=pas, entities=["PASSPORT_NUMBER"], notes="Spanish passports, e.g. PAA123456"),
        dict(path="importe", values=importe, notes="amount"),
    ]
    L.add_dataset("exports/pedidos_es.csv", "csv", n, cols, delimiter="|", encoding="utf-8", header=True,
                  notes="pipe-delimited despite the .csv extension")


def gen_web_events(L: Lake, out: Path):
    r = L.rng
    n = 3000
    recs = []
    C = {k: [] for k in ["event_id", "ts", "event_type", "user.name", "user.contact.email", "user.contact.phone",
                         "client.ip", "client.user_agent", "device.mac", "geo.lat", "geo.lon", "tags", "emails",
                         "payload", "build_version"]}
    payload_labels = []
    start = BASE_TS - dt.timedelta(days=14)
    times = sorted(L.ts_between(start, BASE_TS) for _ in range(n))
    for i in range(n):
        p = L.pick(LOCALES)
        anon = r.random() < 0.05
        eid = L.uuid4()
        ts = ts_iso(times[i])
        etype = r.choice(EVENT_TYPES)
        user = None
        if not anon:
            user = {"name": p["name"], "contact": {"email": p["email"], "phone": L.fmt_phone(p["phone"])}}
        if r.random() < 0.7:
            ip = L.fk[p["loc"]].ipv4_public()
        else:
            ip = str(ipaddress.IPv6Address(L.fk[p["loc"]].ipv6()))
        ua = L.fk[p["loc"]].user_agent()
        mac = L.fk[p["loc"]].mac_address()
        if r.random() < 0.3:
            mac = mac.upper().replace(":", "-")
        lat, lon = L.geo(p["loc"])
        tags = r.sample(EVENT_TAGS, r.randint(0, 3))
        k = r.choice([0, 0, 1, 1, 1, 2, 3])
        emails = []
        if k and not anon:
            emails.append(p["email"])
        while len(emails) < k:
            emails.append(L.pick(LOCALES)["email"])
        x = r.random()
        if x < 0.025:
            payload = r.choice(["Authorization: Bearer {j}", "session token {j} refreshed", "jwt={j}"]).format(j=L.jwt())
            lab = {"JWT"}
        elif x < 0.045:
            payload = r.choice(["aws_access_key_id={k}", "uploaded with key {k} to bucket media-prod",
                                "credentials {k} used for s3 sync"]).format(k=L.aws_key())
            lab = {"AWS_ACCESS_KEY"}
        else:
            payload = r.choice([
                "sha256={s}", "etag={m}", "trace_id={u}", "object {u} uploaded, checksum {s}",
                "cart={u};items={n}", "digest:{s}", "md5 {m} verified", "span {u} parent {u2}",
            ]).format(s=L.hexdigest("sha256"), m=L.hexdigest("md5"), u=L.uuid4(), u2=L.uuid4(), n=r.randint(1, 9))
            lab = set()
        build = r.choice([f"{r.randint(1, 12)}.{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 400)}",
                          f"v{r.randint(1, 5)}.{r.randint(0, 20)}.{r.randint(0, 9)}.{r.randint(0, 99)}",
                          f"2024.{r.randint(1, 6)}.{r.randint(1, 28)}.{r.randint(1, 20)}"])
        rec = {"event_id": eid, "ts": ts, "event_type": etype, "user": user,
               "client": {"ip": ip, "user_agent": ua}, "device": {"mac": mac},
               "geo": {"lat": lat, "lon": lon}, "tags": tags, "emails": emails,
               "payload": payload, "build_version": build}
        recs.append(rec)
        C["event_id"].append(eid)
        C["ts"].append(ts)
        C["event_type"].append(etype)
        C["user.name"].append(user["name"] if user else None)
        C["user.contact.email"].append(user["contact"]["email"] if user else None)
        C["user.contact.phone"].append(user["contact"]["phone"] if user else None)
        C["client.ip"].append(ip)
        C["client.user_agent"].append(ua)
        C["device.mac"].append(mac)
        C["geo.lat"].append(lat)
        C["geo.lon"].append(lon)
        C["tags"].append(tags)
        C["emails"].append(emails)
        C["payload"].append(payload)
        C["build_version"].append(build)
        payload_labels.append(lab)
    path = out / "events" / "web_events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jsonl_bytes(recs))
    cols = [
        dict(path="event_id", values=C["event_id"], trap="UUIDs"),
        dict(path="ts", values=C["ts"], notes="event timestamp (ISO 8601)"),
        dict(path="event_type", values=C["event_type"]),
        dict(path="user.name", values=C["user.name"], entities=["PERSON"], notes="user is null for ~5% anonymous events"),
        dict(path="user.contact.email", values=C["user.contact.email"], entities=["EMAIL_ADDRESS"]),
        dict(path="user.contact.phone", values=C["user.contact.phone"], entities=["PHONE_NUMBER"]),
        dict(path="client.ip", values=C["client.ip"], entities=["IP_ADDRESS"], notes="~70% IPv4, ~30% IPv6"),
        dict(path="client.user_agent", values=C["client.user_agent"], trap="user agents carry dotted version numbers"),
        dict(path="device.mac", values=C["device.mac"], entities=["MAC_ADDRESS"]),
        dict(path="geo.lat", values=C["geo.lat"], entities=["GEO_COORDINATE"], notes="float latitude; pairs with geo.lon"),
        dict(path="geo.lon", values=C["geo.lon"], entities=["GEO_COORDINATE"], notes="float longitude; pairs with geo.lat"),
        dict(path="tags", values=C["tags"], list=True, notes="list of plain tags, no PII"),
        dict(path="emails", values=C["emails"], list=True, entities=["EMAIL_ADDRESS"],
             notes="list<string>; share is over list elements; ~30% of lists are empty"),
        dict(path="payload", values=C["payload"], labels=payload_labels, entities=["JWT", "AWS_ACCESS_KEY"],
             notes="free text: ~2.5% JWTs, ~2% AWS access key ids; the rest sha256/md5 hex and UUIDs (traps)"),
        dict(path="build_version", values=C["build_version"], trap="4-part version strings look like IPv4"),
    ]
    L.add_dataset("events/web_events.jsonl", "json", n, cols, notes="JSON Lines, nested objects and lists")


def gen_app_logs(L: Lake, out: Path):
    r = L.rng
    n = 3000
    recs, labels = [], []
    C = {k: [] for k in ["ts", "level", "service", "message", "commit_sha", "request_id"]}
    shas = [L.hexdigest("sha1") for _ in range(6)]
    times = sorted(L.ts_between(BASE_TS - dt.timedelta(days=2), BASE_TS) for _ in range(n))
    for i in range(n):
        x = r.random()
        loc = r.choice(LOCALES)
        if x < 0.03:
            ip = L.fk[loc].ipv4_public()
            msg = r.choice(["connection from {ip} rejected: too many requests", "login failed for client {ip}",
                            "upstream {ip}:{port} timed out after {ms} ms"]).format(ip=ip, port=r.choice([443, 8080, 5432]), ms=r.randint(500, 30000))
            lab = {"IP_ADDRESS"}
            level = r.choice(["WARN", "ERROR"])
        elif x < 0.07:
            url = L.fk[loc].uri()
            msg = r.choice(["webhook delivered to {u}", "fetching {u} failed with status 503", "redirecting to {u}"]).format(u=url)
            lab = {"URL"}
            level = r.choice(["INFO", "WARN"])
        else:
            msg = r.choice([
                "request completed status={st} duration_ms={ms}", "processed batch of {n} records in {ms} ms",
                "cache miss for key session:{h}", "scheduled job {job} finished", "retrying upstream call attempt={k}",
                "connection pool exhausted, waiting {ms} ms", "user session expired", "health check ok",
                "queue depth {n}", "flushed {n} metrics", "gc pause {ms} ms", "feature flag {flag} evaluated to {b}",
                "payment authorised for order ORD-{o}", "config reloaded",
            ]).format(st=r.choice([200, 200, 201, 204, 400, 404, 500]), ms=r.randint(1, 5000), n=r.randint(1, 5000),
                      h=L.hexdigest("md5")[:8], job=r.choice(LOG_JOBS), k=r.randint(1, 5), flag=r.choice(LOG_FLAGS),
                      b=r.choice(["true", "false"]), o=r.randint(100000, 999999))
            lab = set()
            level = r.choice(["INFO", "INFO", "INFO", "DEBUG", "WARN"])
        rec = {"ts": ts_iso(times[i]), "level": level, "service": r.choice(LOG_SERVICES), "message": msg,
               "commit_sha": r.choice(shas), "request_id": L.uuid4()}
        recs.append(rec)
        for k in C:
            C[k].append(rec[k])
        labels.append(lab)
    path = out / "events" / "app_logs.ndjson.gz"
    with open(path, "wb") as fh:
        with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
            gz.write(jsonl_bytes(recs))
    cols = [
        dict(path="ts", values=C["ts"]),
        dict(path="level", values=C["level"]),
        dict(path="service", values=C["service"]),
        dict(path="message", values=C["message"], labels=labels, entities=["IP_ADDRESS", "URL"],
             notes="free text: ~3% IPv4 addresses, ~4% URLs"),
        dict(path="commit_sha", values=C["commit_sha"], trap="40-hex git SHA-1"),
        dict(path="request_id", values=C["request_id"], trap="UUIDs"),
    ]
    L.add_dataset("events/app_logs.ndjson.gz", "json", n, cols, compression="gzip", notes="gzip-compressed JSON Lines")


def gen_legacy(L: Lake, out: Path):
    r = L.rng
    n = 2000
    C = {k: [] for k in ["legacy_id", "homepage", "col_12", "diagnosis_code", "data", "updated"]}
    recs = []
    for i in range(n):
        loc = r.choice(LOCALES)
        url = r.choice([L.fk[loc].url(), L.fk[loc].uri()])
        iban_loc = r.choice(["en_GB", "de_DE", "fr_FR", "es_ES"])
        rec = {"legacy_id": 9000000 + i, "homepage": url, "col_12": f"SKU-{r.randint(10000, 99999)}",
               "diagnosis_code": r.choice(ICD10_CODES), "data": L.iban(iban_loc),
               "updated": L.date_between(dt.date(2012, 1, 1), dt.date(2019, 12, 31)).isoformat()}
        recs.append(rec)
        for k in C:
            C[k].append(rec[k])
    path = out / "events" / "legacy.json"
    path.write_bytes(jsonl_bytes(recs))
    cols = [
        dict(path="legacy_id", values=C["legacy_id"]),
        dict(path="homepage", values=C["homepage"], entities=["URL"]),
        dict(path="col_12", values=C["col_12"], trap="product SKUs like SKU-48213, not ICD-10 codes"),
        dict(path="diagnosis_code", values=C["diagnosis_code"], entities=["MEDICAL_CODE"], notes="ICD-10 codes"),
        dict(path="data", values=C["data"], entities=["IBAN_CODE"], notes="GB/DE/FR/ES IBANs under a meaningless name"),
        dict(path="updated", values=C["updated"], notes="record update date"),
    ]
    L.add_dataset("events/legacy.json", "json", n, cols, notes="a .json file holding one object per line")


def gen_sales(L: Lake, out: Path):
    r = L.rng
    parts = [("eu", 2023), ("eu", 2024), ("us", 2023), ("us", 2024)]
    C = {k: [] for k in ["order_id", "customer_email", "amount", "card_last4", "shipping_address", "region", "year"]}
    oid = 70000000
    files = 0
    for region, year in parts:
        m = 600
        locs = ["en_GB", "de_DE", "fr_FR", "es_ES"] if region == "eu" else ["en_US"]
        ids, em, amt, last4, ship = [], [], [], [], []
        for _ in range(m):
            p = L.pick(locs)
            oid += r.randint(1, 40)
            ids.append(oid)
            em.append(p["email"])
            amt.append(round(r.choice([r.uniform(1, 90), r.uniform(-90, 90), r.uniform(5, 2500)]) if r.random() < 0.3 else r.uniform(5, 400), 2))
            last4.append(L.attr(p, "card")[-4:])
            ship.append(p["addr"]["full"])
        t = pa.table({"order_id": pa.array(ids, pa.int64()), "customer_email": pa.array(em, pa.string()),
                      "amount": pa.array(amt, pa.float64()), "card_last4": pa.array(last4, pa.string()),
                      "shipping_address": pa.array(ship, pa.string())})
        write_parquet(t, out / "sales" / f"region={region}" / f"year={year}" / "part-0000.parquet")
        files += 1
        C["order_id"] += ids
        C["customer_email"] += em
        C["amount"] += amt
        C["card_last4"] += last4
        C["shipping_address"] += ship
        C["region"] += [region] * m
        C["year"] += [year] * m
    n = len(C["order_id"])
    cols = [
        dict(path="order_id", values=C["order_id"], type="int64"),
        dict(path="customer_email", values=C["customer_email"], entities=["EMAIL_ADDRESS"], type="string"),
        dict(path="amount", values=C["amount"], type="double",
             trap="prices and refunds (some in -90..90): not coordinates"),
        dict(path="card_last4", values=C["card_last4"], type="string", trap="last four digits only: not a card number"),
        dict(path="shipping_address", values=C["shipping_address"], entities=["STREET_ADDRESS"], type="string"),
        dict(path="region", values=C["region"], notes="hive partition key"),
        dict(path="year", values=C["year"], notes="hive partition key"),
    ]
    L.add_dataset("sales", "parquet", n, cols, partitioned=True, partition_columns=["region", "year"], files=files)


def gen_spark_out(L: Lake, out: Path):
    r = L.rng
    d = out / "spark_out"
    d.mkdir(parents=True, exist_ok=True)
    job = uuid.uuid5(NS, f"spark_out/{L.seed}")
    C = {k: [] for k in ["patient_name", "nhs_number", "diagnosis", "date_of_birth", "geo", "ip_v6"]}
    people = r.sample(L.pools["en_GB"], 2400)
    files = 0
    for part in range(3):
        chunk = people[part * 800:(part + 1) * 800]
        names = [p["name"] for p in chunk]
        nhs = [L.attr(p, "nhs") for p in chunk]
        diag = [r.choice(ICD10_CODES) for _ in chunk]
        dob = [p["dob"].strftime("%d/%m/%Y") for p in chunk]
        geo = []
        for _ in chunk:
            lat, lon = L.geo("en_GB")
            geo.append(f"{lat},{lon}")
        ip6 = [str(ipaddress.IPv6Address(L.fk["en_GB"].ipv6())) for _ in chunk]
        t = pa.table({"patient_name": names, "nhs_number": nhs, "diagnosis": diag, "date_of_birth": dob,
                      "geo": geo, "ip_v6": ip6})
        name = f"part-{part:05d}-{job}-c000.snappy.parquet"
        write_parquet(t, d / name)
        (d / f".{name}.crc").write_bytes(hadoop_crc((d / name).read_bytes()))
        files += 1
        for k, v in zip(C, [names, nhs, diag, dob, geo, ip6]):
            C[k] += v
    (d / "_SUCCESS").write_bytes(b"")
    (d / "._SUCCESS.crc").write_bytes(hadoop_crc(b""))
    n = len(C["patient_name"])
    cols = [
        dict(path="patient_name", values=C["patient_name"], entities=["PERSON"], type="string"),
        dict(path="nhs_number", values=C["nhs_number"], entities=["UK_NHS"], type="string"),
        dict(path="diagnosis", values=C["diagnosis"], entities=["MEDICAL_CODE"], type="string", notes="ICD-10 codes"),
        dict(path="date_of_birth", values=C["date_of_birth"], entities=["DATE_OF_BIRTH"], type="string", notes="dd/mm/yyyy strings"),
        dict(path="geo", values=C["geo"], entities=["GEO_COORDINATE"], type="string", notes="'lat,lon' pair in one string"),
        dict(path="ip_v6", values=C["ip_v6"], entities=["IP_ADDRESS"], type="string"),
    ]
    L.add_dataset("spark_out", "parquet", n, cols, files=files,
                  notes="Spark output folder: part-*.snappy.parquet; _SUCCESS and .crc side files are not data")
    for f in ["_SUCCESS", "._SUCCESS.crc"] + [f".part-{i:05d}-{job}-c000.snappy.parquet.crc" for i in range(3)]:
        L.skipped.append({"path": f"spark_out/{f}", "reason": "Spark/Hadoop marker or checksum file"})


def normalize_delta(table: Path, name: str):
    """Make a delta-rs table reproducible: fixed commit times, table id and data file names."""
    log = table / "_delta_log"
    counter = 0
    for version, jf in enumerate(sorted(log.glob("*.json"))):
        assert jf.name == f"{version:020d}.json", jf
        ts = int((BASE_TS + dt.timedelta(hours=version)).timestamp() * 1000)
        text = jf.read_text()
        out_lines = []
        for line in text.splitlines():
            if not line.strip():
                continue
            a = json.loads(line)
            if "commitInfo" in a:
                ci = a["commitInfo"]
                ci["timestamp"] = ts
                if isinstance(ci.get("operationMetrics"), dict) and "execution_time_ms" in ci["operationMetrics"]:
                    ci["operationMetrics"]["execution_time_ms"] = 0
            if "metaData" in a:
                a["metaData"]["id"] = str(uuid.uuid5(NS, f"delta/{name}"))
                a["metaData"]["createdTime"] = ts
            if "add" in a:
                old = a["add"]["path"]
                new = f"part-{counter:05d}-{uuid.uuid5(NS, f'delta/{name}/{version}/{counter}')}-c000.snappy.parquet"
                counter += 1
                (table / old).rename(table / new)
                a["add"]["path"] = new
                a["add"]["modificationTime"] = ts
                if isinstance(a["add"].get("stats"), str):
                    a["add"]["stats"] = json.dumps(json.loads(a["add"]["stats"]), sort_keys=True, separators=(",", ":"))
            out_lines.append(json.dumps(a, sort_keys=True, separators=(",", ":")))
        jf.write_text("\n".join(out_lines) + ("\n" if text.endswith("\n") else ""))
    leftovers = [p.name for p in table.iterdir() if p.is_file() and not p.name.startswith("part-")]
    assert not leftovers, leftovers


def gen_delta(L: Lake, out: Path):
    r = L.rng
    d = out / "delta" / "customers_delta"
    d.parent.mkdir(parents=True, exist_ok=True)
    eu = ["en_GB", "de_DE", "fr_FR", "es_ES"]
    C = {k: [] for k in ["name", "email", "iban", "phone", "city", "aws_access_key", "notes"]}
    aws_labels = []
    schema = pa.schema([(k, pa.string()) for k in C])
    for commit in range(2):
        batch = {k: [] for k in C}
        for _ in range(1200):
            p = L.pick(eu)
            batch["name"].append(p["name"])
            batch["email"].append(p["email"])
            batch["iban"].append(L.attr(p, "iban"))
            batch["phone"].append(L.fmt_phone(p["phone"]))
            batch["city"].append(p["addr"]["city"])
            x = r.random()
            if x < 0.02:
                batch["aws_access_key"].append(L.aws_key())
                aws_labels.append({"AWS_ACCESS_KEY"})
            elif x < 0.32:
                batch["aws_access_key"].append(None)
                aws_labels.append(set())
            else:
                batch["aws_access_key"].append(r.choice(["n/a", "none", "rotated", "revoked", "pending"]))
                aws_labels.append(set())
            batch["notes"].append(None if r.random() < 0.3 else r.choice(EN_NOTES))
        t = pa.table({k: pa.array(v, pa.string()) for k, v in batch.items()}, schema=schema)
        write_deltalake(str(d), t, mode="append" if commit else "error")
        for k in C:
            C[k] += batch[k]
    normalize_delta(d, "customers_delta")
    dtab = DeltaTable(str(d))
    assert dtab.version() == 1, dtab.version()
    n = len(C["name"])
    cols = [
        dict(path="name", values=C["name"], entities=["PERSON"], type="string"),
        dict(path="email", values=C["email"], entities=["EMAIL_ADDRESS"], type="string"),
        dict(path="iban", values=C["iban"], entities=["IBAN_CODE"], type="string", notes="GB/DE/FR/ES IBANs"),
        dict(path="phone", values=C["phone"], entities=["PHONE_NUMBER"], type="string"),
        dict(path="city", values=C["city"], type="string", notes="a city alone is not a street address"),
        dict(path="aws_access_key", values=C["aws_access_key"], labels=aws_labels, entities=["AWS_ACCESS_KEY"], type="string",
             notes="~2% of rows hold a key; the rest null or placeholders (n/a, none, rotated, revoked, pending)"),
        dict(path="notes", values=C["notes"], type="string", notes="generic free text, no PII"),
    ]
    L.add_dataset("delta/customers_delta", "delta", n, cols, version=1, files=2,
                  notes="Delta table written by the deltalake package in two appends (versions 0 and 1)")


def gen_profiles(L: Lake, out: Path):
    r = L.rng
    n = 1500
    ids, cust, phones, addrs, attrs = [], [], [], [], []
    C = {k: [] for k in ["customer.name", "customer.contact.email", "customer.contact.phone", "phones",
                         "addresses.street", "addresses.city", 'attrs."a.b"', "attrs.plan"]}
    for i in range(n):
        p = L.pick(LOCALES)
        ids.append(800000 + i)
        ph = L.fmt_phone(p["phone"])
        cust.append({"name": p["name"], "contact": {"email": p["email"], "phone": ph}})
        plist = [L.fmt_phone(L.attr(p, "mobile"))] if r.random() < 0.6 else []
        if r.random() < 0.3:
            plist.append(L.fmt_phone(L.phone(p["loc"], "landline")))
        phones.append(plist)
        alist = [{"street": p["addr"]["street"], "city": p["addr"]["city"]}]
        if r.random() < 0.25:
            a2 = L.address(p["loc"])
            alist.append({"street": a2["street"], "city": a2["city"]})
        addrs.append(alist)
        ab = L.attr(p, "work_email") if r.random() < 0.8 else None
        plan = r.choice(["free", "plus", "pro"])
        attrs.append({"a.b": ab, "plan": plan})
        C["customer.name"].append(p["name"])
        C["customer.contact.email"].append(p["email"])
        C["customer.contact.phone"].append(ph)
        C["phones"].append(plist)
        C["addresses.street"].append([a["street"] for a in alist])
        C["addresses.city"].append([a["city"] for a in alist])
        C['attrs."a.b"'].append(ab)
        C["attrs.plan"].append(plan)
    contact_t = pa.struct([("email", pa.string()), ("phone", pa.string())])
    cust_t = pa.struct([("name", pa.string()), ("contact", contact_t)])
    addr_t = pa.list_(pa.struct([("street", pa.string()), ("city", pa.string())]))
    attrs_t = pa.struct([("a.b", pa.string()), ("plan", pa.string())])
    t = pa.table({
        "profile_id": pa.array(ids, pa.int64()),
        "customer": pa.array(cust, cust_t),
        "phones": pa.array(phones, pa.list_(pa.string())),
        "addresses": pa.array(addrs, addr_t),
        "attrs": pa.array(attrs, attrs_t),
    })
    write_parquet(t, out / "nested" / "profiles.parquet")
    cols = [
        dict(path="profile_id", values=ids, type="int64"),
        dict(path="customer.name", values=C["customer.name"], entities=["PERSON"], type="string"),
        dict(path="customer.contact.email", values=C["customer.contact.email"], entities=["EMAIL_ADDRESS"], type="string"),
        dict(path="customer.contact.phone", values=C["customer.contact.phone"], entities=["PHONE_NUMBER"], type="string"),
        dict(path="phones", values=C["phones"], list=True, entities=["PHONE_NUMBER"], type="list<string>",
             notes="share is over list elements; ~28% of lists are empty"),
        dict(path="addresses.street", values=C["addresses.street"], list=True, entities=["STREET_ADDRESS"], type="string",
             notes="field of list<struct<street,city>>"),
        dict(path="addresses.city", values=C["addresses.city"], list=True, type="string",
             notes="a city alone is not a street address"),
        dict(path='attrs."a.b"', values=C['attrs."a.b"'], entities=["EMAIL_ADDRESS"], type="string",
             notes="struct field literally named a.b"),
        dict(path="attrs.plan", values=C["attrs.plan"], type="string"),
    ]
    L.add_dataset("nested/profiles.parquet", "parquet", n, cols)


def gen_misc(L: Lake, out: Path):
    r = L.rng
    d = out / "misc"
    d.mkdir(parents=True, exist_ok=True)

    # empty and header-only CSVs
    (d / "empty.csv").write_bytes(b"")
    L.add_dataset("misc/empty.csv", "csv", 0, [], notes="zero-byte file: no columns, no rows (not an error)")
    (d / "header_only.csv").write_bytes(b"name,email,phone,ssn\n")
    L.add_dataset("misc/header_only.csv", "csv", 0,
                  [dict(path=c, values=[], notes="no values: a name alone is not evidence") for c in ["name", "email", "phone", "ssn"]],
                  delimiter=",", encoding="utf-8", header=True)

    # unsupported formats (valid files, small, no PII)
    write_xlsx(d / "report.xlsx", [["month", "orders", "revenue"], ["2024-01", 1204, 53211.5],
                                   ["2024-02", 1133, 49870.25], ["2024-03", 1391, 61002.0]])
    write_avro(d / "data.avro", [(f"SKU-{r.randint(10000, 99999)}", r.randint(0, 500)) for _ in range(20)],
               sync=hashlib.md5(b"lakewarden-avro-sync").digest())
    pa_orc.write_table(pa.table({"sku": [f"SKU-{r.randint(10000, 99999)}" for _ in range(20)],
                                 "qty": pa.array([r.randint(0, 500) for _ in range(20)], pa.int64())}),
                       str(d / "data.orc"))
    for name, fmt in [("report.xlsx", "xlsx"), ("data.avro", "avro"), ("data.orc", "orc")]:
        L.datasets.append({"path": f"misc/{name}", "format": fmt, "status": "unsupported", "columns": [],
                           "notes": "valid file of a format the scanner does not read; must be recorded as unsupported"})

    # hashes and look-alikes
    n = 1000
    C = {"sha256": [L.hexdigest("sha256") for _ in range(n)], "md5": [L.hexdigest("md5") for _ in range(n)],
         "uuid": [L.uuid4() for _ in range(n)], "product_code": [f"P-{L.digits(9)}" for _ in range(n)],
         "tracking_number": [L.not_luhn16() for _ in range(n)],
         "price": [round(r.uniform(0.5, 89.99), 2) for _ in range(n)],
         "discount": [round(r.uniform(0, 0.5), 3) for _ in range(n)]}
    t = pa.table({k: (pa.array(v, pa.float64()) if k in ("price", "discount") else pa.array(v, pa.string())) for k, v in C.items()})
    write_parquet(t, d / "hashes.parquet")
    traps = {"sha256": "sha256 hex digests", "md5": "md5 hex digests", "uuid": "UUIDs",
             "product_code": "9-digit numbers behind a P- prefix (SSN-shaped digits)",
             "tracking_number": "16-digit numbers failing Luhn", "price": "floats within coordinate ranges",
             "discount": "floats within coordinate ranges"}
    L.add_dataset("misc/hashes.parquet", "parquet", n,
                  [dict(path=k, values=v, trap=traps[k], type=("double" if k in ("price", "discount") else "string")) for k, v in C.items()])

    # dates that are not dates of birth
    ids = list(range(1, n + 1))
    created = [L.ts_between(dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc), BASE_TS) for _ in range(n)]
    order = [L.date_between(dt.date(2019, 1, 1), dt.date(2024, 5, 31)) for _ in range(n)]
    expiry = [L.date_between(dt.date(2024, 7, 1), dt.date(2031, 12, 31)) for _ in range(n)]
    t = pa.table({"id": pa.array(ids, pa.int64()), "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
                  "order_date": pa.array(order, pa.date32()), "expiry_date": pa.array(expiry, pa.date32())})
    write_parquet(t, d / "dates.parquet")
    L.add_dataset("misc/dates.parquet", "parquet", n, [
        dict(path="id", values=ids, type="int64"),
        dict(path="created_at", values=created, type="timestamp[us, UTC]", trap="event timestamps, not dates of birth"),
        dict(path="order_date", values=order, type="date32", trap="order dates, not dates of birth"),
        dict(path="expiry_date", values=expiry, type="date32", trap="future dates, not dates of birth"),
    ])

    # a file name with spaces and a non-ASCII character
    m = 300
    kontakt, cc, betrag = [], [], []
    for _ in range(m):
        p = L.pick(["de_DE", "fr_FR", "en_GB"])
        kontakt.append(p["email"])
        cc.append(L.pick(["de_DE", "fr_FR", "en_GB"])["email"] if r.random() < 0.6 else None)
        betrag.append(f"{r.uniform(10, 500):.2f}")
    ids = [str(i) for i in range(1, m + 1)]
    write_delim(d / "file with spaces ü.csv", ["id", "kontakt", "cc_adresse", "betrag"],
                [[ids[i], kontakt[i], cc[i], betrag[i]] for i in range(m)], ",")
    L.add_dataset("misc/file with spaces ü.csv", "csv", m, [
        dict(path="id", values=ids),
        dict(path="kontakt", values=kontakt, entities=["EMAIL_ADDRESS"]),
        dict(path="cc_adresse", values=cc, entities=["EMAIL_ADDRESS"], notes="emails, although the name hints at an address"),
        dict(path="betrag", values=betrag, notes="amount"),
    ], delimiter=",", encoding="utf-8", header=True, notes="file name has spaces and a non-ASCII letter")


def gen_skipped(L: Lake, out: Path):
    """Files that a scanner must not report as datasets."""
    r = L.rng
    (out / "_tmp").mkdir(parents=True, exist_ok=True)
    rows = []
    for _ in range(50):
        p = L.pick(["en_US"])
        rows.append([p["name"], p["email"], L.attr(p, "ssn")])
    write_delim(out / "_tmp" / "staging_customers.csv", ["name", "email", "ssn"], rows, ",")
    (out / ".hidden").mkdir(parents=True, exist_ok=True)
    t = pa.table({"email": [L.pick(LOCALES)["email"] for _ in range(50)],
                  "aws_access_key": [L.aws_key() for _ in range(50)]})
    write_parquet(t, out / ".hidden" / "secrets.parquet")
    L.skipped += [
        {"path": "_tmp/staging_customers.csv", "reason": "inside a folder whose name starts with '_'"},
        {"path": ".hidden/secrets.parquet", "reason": "inside a folder whose name starts with '.'"},
    ]
    del r


# --------------------------------------------------------------------------
# Subjects (for RTBF demos and tests)
# --------------------------------------------------------------------------

def subjects_truth(L: Lake) -> list[dict]:
    out = []
    for s in L.subjects:
        occ = []
        for ds in L.datasets:
            path = ds["path"]
            for c in ds["columns"]:
                cp = c["column_path"]
                ents = L.entities_of.get((path, cp), [])
                vals = L.cells.get(path, {}).get(cp, [])
                if not ents:
                    continue
                hits = {"email": 0, "name": 0, "phone": 0}
                for v in vals:
                    if v is None:
                        continue
                    items = [it for it in (v if isinstance(v, list) else [v]) if isinstance(it, str)]
                    if "EMAIL_ADDRESS" in ents and any(it == s["email"] or (len(ents) > 1 and s["email"] in it) for it in items):
                        hits["email"] += 1
                    if "PERSON" in ents and any(it == s["name"] for it in items):
                        hits["name"] += 1
                    if "PHONE_NUMBER" in ents and any(L.phone_e164.get(it) == s["phone"].e164 for it in items):
                        hits["phone"] += 1
                for k, cnt in hits.items():
                    if cnt:
                        occ.append({"path": path, "column_path": cp, "matched_on": k, "rows": cnt})
        out.append({"locale": s["loc"], "name": s["name"], "email": s["email"], "phone_e164": s["phone"].e164,
                    "occurrences": occ})

    return out


# --------------------------------------------------------------------------

def main(argv=None) -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(repo / "fixtures" / "demo-lake"))
    ap.add_argument("--truth", default=None, help="default: <out>.truth.json")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    out = Path(args.out).resolve()
    truth_path = Path(args.truth).resolve() if args.truth else out.parent / (out.name + ".truth.json")
    if out == Path(out.anchor) or out == repo or out == Path.home() or len(out.parts) < 3:
        print(f"gen-fixtures: refusing to wipe {out}", file=sys.stderr)
        return 2
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    L = Lake(args.seed)
    L.build_pools()
    gen_customers_us(L, out)
    gen_contacts_gb(L, out)
    gen_kunden_de(L, out)
    gen_clients_fr(L, out)
    gen_pedidos_es(L, out)
    gen_web_events(L, out)
    gen_app_logs(L, out)
    gen_legacy(L, out)
    gen_sales(L, out)
    gen_spark_out(L, out)
    gen_delta(L, out)
    gen_profiles(L, out)
    gen_misc(L, out)
    gen_skipped(L, out)

    datasets = sorted(L.datasets, key=lambda d: d["path"])
    truth = {
        "schema_version": 1,
        "generator": "scripts/gen-fixtures.py",
        "seed": args.seed,
        "lake": out.name,
        "conventions": {
            "path": "relative to the lake root; a folder dataset (hive partitions, Spark part files, Delta) is the folder",
            "column_path": "dot-separated; list elements add no segment; a field name containing '.' or '\"' is double-quoted",
            "share": "matches / non_null, where non_null counts non-null values (for list columns: non-null list elements); "
                     "CSV empty fields are nulls",
            "entities": "every entity the column holds; [] for none; 'trap' explains a look-alike that must not be reported",
            "subjects": "data subjects for RTBF tests; occurrence rows = rows whose value (or any list element) is the "
                        "subject's email, exact full name (namesakes count too) or phone in any format (compared as E.164)",
        },
        "datasets": datasets,
        "skipped": sorted(L.skipped, key=lambda s: s["path"]),
        "subjects": subjects_truth(L),
    }
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"gen-fixtures: {len(datasets)} datasets, {total / 1e6:.2f} MB in {out}; truth: {truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
