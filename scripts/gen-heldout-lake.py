#!/usr/bin/env python3
"""Generate lakewarden's held-out accuracy lake and its truth file.

    scripts/gen-heldout-lake.py [--out fixtures/heldout-lake] [--truth PATH] [--seed 4242]

The demo lake (scripts/gen-fixtures.py) and the rules grew up together, so
scoring against it proves little. This lake is the check on them: its table
and column names, layouts and value formats come from pools that the demo
lake does not use, so a detector that memorised the demo lake's shapes fails
here.

How it differs from the demo lake:

* names: meaningless (`col_3`, `attr1`, `f_03`, `x`, `payload`, `c2`),
  foreign-language (`Anschrift`, `domicilio`, `prénom`, `Geburtsdatum`),
  and misleading (`email` holding booleans, `phone` holding order ids, `ssn`
  holding numbers with invalid areas, `iban` holding look-alikes that fail
  mod-97, `name` holding product names);
* value formats: SSNs with spaces, NHS numbers with dashes, NINOs spaced,
  phones as `+44 (0)…`, `0049…`, `06.12.…`, dotted NANP, upper-case
  emails and plus-addressing, cards with dashes or as Decimal(19,0), MACs in
  Cisco dotted form, IPv6 compressed, DOBs as timestamps, `d/m/Y`, `Y/m/d`
  and `15 mars 1984`, coordinates in nested JSON structs and `lat lon`
  strings;
* layouts: Parquet (with Decimal / Timestamp / Date / list / struct
  columns), CSV with `,` `;` `|` and tab, UTF-8 with BOM and Latin-1, no
  header row, JSON Lines nested 3 deep with lists of objects, gzip JSON
  Lines, hive partitions with two keys, free text with sparse PII at 1–5 %,
  and a mostly-null (≈ 90 %) column whose sparse values only a sampler that
  counts non-null values will see;
* traps: Luhn-failing 16-digit ids, random 16-digit ids that pass Luhn at
  chance rates, random 10-digit numbers that pass NHS mod-11 at chance
  rates, SSN-invalid areas, IBANs with a wrong check, version strings
  `10.2.3.4`, UUIDs, hashes, event timestamps, `price` / `discount` floats
  beside coordinates, company names, product names, ICD-like product codes.

Column names are drawn per seed from pools (`rename`), so `--seed N` gives
a lake with other names (and values) in the same shapes: a quick check that
the detectors did not learn this lake's names either.

Values come from Faker (names, streets, emails) and from the identifier and
phone generators of scripts/gen-fixtures.py, reused so both lakes obey the
same validity rules; the names, shapes and formats around them are new.
Deterministic: same seed and pinned packages give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import importlib.util
import io
import ipaddress
import json
import random
import shutil
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("gen_fixtures", HERE / "gen-fixtures.py")
gf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gf)  # type: ignore[union-attr]

pa, pq = gf.pa, gf.pq
LOCALES = gf.LOCALES
BASE_TS = gf.BASE_TS

# Different pools from the demo lake (smaller: this lake is for scoring, not demos).
POOL_SIZES = {"en_US": 1500, "en_GB": 1300, "de_DE": 1300, "fr_FR": 1300, "es_ES": 1300}

PRODUCT_NAMES = [
    "Aurora Desk Lamp", "Nimbus Travel Mug", "Vertex Running Shoe", "Solace Pillow", "Atlas Backpack",
    "Zephyr Fan", "Orion Telescope", "Maple Cutting Board", "Harbor Rain Jacket", "Cobalt Water Bottle",
    "Sierra Tent", "Pioneer Flashlight", "Echo Earbuds", "Lumen Bulb Pack", "Granite Skillet",
    "Willow Throw Blanket", "Summit Trekking Pole", "Breeze Hammock", "Quartz Wall Clock", "Ember Candle Set",
]
COMPANY_STEMS = ["Nordlicht", "Vallée", "Sol y Mar", "Brightwater", "Kessler", "Duvall", "Iberia Textil",
                 "Harrow & Finch", "Bergmann", "Lumière", "Castell", "Redfield", "Weiss", "Moreau", "Alcázar"]
COMPANY_SUFFIX = {"de_DE": ["GmbH", "AG", "KG", "GmbH & Co. KG"], "fr_FR": ["SARL", "SAS", "SA"],
                  "es_ES": ["S.L.", "S.A."], "en_GB": ["Ltd", "PLC", "LLP"], "en_US": ["Inc.", "LLC", "Corp."]}
TICKET_TEXT_EN = [
    "Printer on floor 3 is jammed again.", "VPN drops every hour, please check.",
    "Laptop battery swells, needs replacement.", "Cannot open the quarterly report.",
    "Meeting room screen shows no signal.", "Password reset worked, closing.",
    "New starter needs a badge and a desk.", "Monitor flickers after the update.",
    "Shared drive quota exceeded.", "Keyboard missing keys, order a new one.",
]
TICKET_TEXT_DE = [
    "Lieferung kam beschädigt an, bitte Ersatz schicken.", "Rechnung doppelt erhalten.",
    "Kunde wünscht Rückruf am Nachmittag.", "Bestellung storniert, Gutschrift folgt.",
    "Adressänderung wurde übernommen.", "Paket liegt in der Filiale.",
]
TICKET_TEXT_ES = [
    "El cliente solicita la factura de marzo.", "Pedido entregado con retraso.",
    "Cambio de talla aprobado.", "Reembolso pendiente de confirmación.",
    "Llamar de nuevo el lunes por la mañana.", "Incidencia cerrada sin más acciones.",
]
TICKET_TEXT_FR = [
    "Le colis est arrivé en retard.", "Demande de duplicata de facture.",
    "Échange accepté, nouvel article expédié.", "Client injoignable, rappel prévu demain.",
    "Adresse de livraison corrigée.", "Remboursement validé par le service client.",
]
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre"]
MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
             "octubre", "noviembre", "diciembre"]
ICD_LIKE_PRODUCT_CODES = ["A12-K", "B7-220", "C300", "Z9X", "K-1100", "M88-B", "Q2-77", "R5000"]


class HeldOut(gf.Lake):
    def build_pools(self):
        for loc in LOCALES:
            self.pools[loc] = [self.person(loc) for _ in range(POOL_SIZES[loc])]
        self.subjects = []

    def pick(self, locs):
        return self.rng.choice(self.pools[self.rng.choice(locs)])

    # ---------- formats the demo lake does not use ----------
    def phone_alt(self, p) -> str:
        """A phone written the way the demo lake never writes one."""
        r, g = self.rng, p.groups
        if p.loc == "en_US":
            a, e, s = g
            s_ = r.choice([f"1-{a}-{e}-{s}", f"+1.{a}.{e}.{s}", f"{a} {e} {s}", f"001 {a} {e} {s}"])
        elif p.loc == "en_GB":
            s_ = r.choice([f"+44 (0){' '.join(g)}", f"0044 {' '.join(g)}", f"0{''.join(g)}"])
        elif p.loc == "de_DE":
            s_ = r.choice([f"0049 {g[0]} {''.join(g[1:])}", f"+49-{g[0]}-{''.join(g[1:])}", f"0{g[0]} / {''.join(g[1:])}"])
        elif p.loc == "fr_FR":
            s_ = r.choice(["0" + ".".join(g), "+33 " + " ".join(g), "0033 " + " ".join(g), "0" + "-".join(g)])
        else:
            s_ = r.choice([f"+34 {p.nsn[:3]}-{p.nsn[3:6]}-{p.nsn[6:]}", f"0034 {' '.join(g)}", f"(+34) {' '.join(g)}"])
        self.phone_e164[s_] = p.e164
        return s_

    def email_alt(self, p) -> str:
        r = self.rng
        e = p["email"]
        local, dom = e.split("@")
        x = r.random()
        if x < 0.2:
            return e.upper()
        if x < 0.4:
            return f"{local}+{r.choice(['shop', 'news', 'x1', 'promo'])}@{dom}"
        if x < 0.55:
            return f"{local.capitalize()}@{dom}"
        return e

    def card_dashed(self) -> str:
        n = self.card16()
        return "-".join(n[i:i + 4] for i in range(0, 16, 4))

    def luhn_by_chance16(self) -> str:
        """Random 16-digit ids: about one in ten passes Luhn by chance."""
        return self.digits(16)

    def ssn_bad_area(self) -> str:
        r = self.rng
        area = r.choice([0, 666] + list(range(900, 1000)))
        return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

    def iban_bad(self, loc: str) -> str:
        good = self.iban(loc)
        while True:
            cd = f"{self.rng.randint(2, 98):02d}"
            bad = good[:2] + cd + good[4:]
            if not gf.iban_ok(bad):
                return bad

    def company(self, loc: str) -> str:
        return f"{self.rng.choice(COMPANY_STEMS)} {self.rng.choice(COMPANY_SUFFIX[loc])}"

    def version(self) -> str:
        """Four-part versions as build systems write them: `10.2.3.4`, build
        counters that outgrow an octet (`4.18.0.1160`), calendar versions
        (`2024.5.1.12`)."""
        r = self.rng
        return r.choice([f"{r.randint(1, 20)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 99)}",
                         f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 60)}.{r.randint(0, 3000)}",
                         f"{r.choice([2023, 2024])}.{r.randint(1, 12)}.{r.randint(0, 9)}.{r.randint(0, 400)}"])

    def dob_text(self, d: dt.date, loc: str) -> str:
        r = self.rng
        if loc == "fr_FR":
            return r.choice([d.strftime("%d/%m/%Y"), f"{d.day} {MONTHS_FR[d.month - 1]} {d.year}"])
        if loc == "es_ES":
            return r.choice([d.strftime("%d-%m-%Y"), f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}"])
        if loc == "de_DE":
            return d.strftime("%d.%m.%Y")
        if loc == "en_US":
            return r.choice([d.strftime("%m/%d/%Y"), d.strftime("%Y/%m/%d")])
        return d.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------
# Column names: drawn per seed, so a lake from another seed has other names
# --------------------------------------------------------------------------

# Names that say nothing: replaced by another meaningless name on every draw.
BLIND = {"col_1", "col_2", "col_3", "col_4", "col_5", "col_9", "attr1", "attr2", "x", "y", "c1", "c2", "c3",
         "f_01", "f_02", "f_03", "v1", "v2", "v3", "k", "s", "u", "x1", "x2", "payload"}
BLIND_TEMPLATES = ["col_{n}", "attr{n}", "f_{n:02d}", "c{n}", "x{n}", "field{n}", "v{n}", "data{n}", "col{n}",
                   "_c{n}", "feature_{n}", "var{n}", "payload", "value", "misc", "raw", "blob", "extra"]
# Columns whose values decide: now and then renamed to a meaningless name.
VALUES_DECIDE = {"Anschrift", "Rufnummer", "Bankverbindung", "courriel", "adresse_postale", "tel_portable",
                 "domicilio", "movil", "cuenta", "nombre_completo", "paciente", "acct", "beneficiary_account",
                 "hw_addr", "v6", "addr", "member", "primary_contact_no", "nom", "agent_note", "memo", "remark",
                 "Notiz", "commentaire", "body", "msg", "ship_to", "pan", "buyer", "Vorname", "Nachname", "prénom",
                 "nom_de_famille", "ni", "nhs", "u"}
BLIND_RATE = 0.35
# Names that carry the evidence a format cannot (or a misleading name for a
# trap): one synonym is drawn per seed; every synonym says the same thing.
SYNONYMS = {
    "born_on": ["born_on", "birth_ts", "dob", "date_of_birth", "birthdate", "geburtsdatum", "fecha_nacimiento",
                "date_naissance"],
    "email": ["email", "e_mail", "mail", "courriel", "email_address"],
    "phone": ["phone", "telefono", "tel", "mobile", "rufnummer"],
    "ssn": ["ssn", "social_security", "ssn_raw", "ss_number"],
    "iban": ["iban", "iban_code", "konto_iban", "cuenta_iban"],
    "name": ["name", "nombre", "nom", "full_name"],
    "Geburtsdatum": ["Geburtsdatum", "geb_datum", "GebDatum", "geboren_am", "dob"],
    "Reisepassnummer": ["Reisepassnummer", "Passnummer", "reisepass_nr", "pass_nr"],
    "numéro_passeport": ["numéro_passeport", "passeport", "no_passeport", "num_passeport"],
    "travel_document_no": ["travel_document_no", "passport_no", "passport", "travel_doc"],
    "date_naissance": ["date_naissance", "date_de_naissance", "naissance", "ddn", "né_le"],
    "date_de_naissance": ["date_de_naissance", "date_naissance", "naissance", "ddn"],
    "date_commande": ["date_commande", "commande_le", "date_achat", "created"],
    "dob": ["dob", "birth_date", "d_o_b", "date_of_birth", "birthday"],
    "admitted": ["admitted", "admission_date", "visit_date", "seen_on"],
    "nhs_no": ["nhs_no", "nhs_number", "nhs", "nhs_id"],
    "soc_sec_no": ["soc_sec_no", "ssn", "social_security_number", "ssn_num"],
    "corp_card": ["corp_card", "card_no", "pan", "cc_number", "tarjeta"],
    "emp_no16": ["emp_no16", "employee_no", "staff_id", "personal_nr"],
    "telefono_movil": ["telefono_movil", "movil", "phone_e164", "msisdn", "handy_nr"],
    "fecha_nac": ["fecha_nac", "fecha_nacimiento", "f_nac", "nacimiento"],
    "birth": ["birth", "dob", "birth_date", "birthday", "date_of_birth"],
    "member_since": ["member_since", "joined", "signup_date", "start_date"],
    "diagnostico": ["diagnostico", "icd10", "dx_code", "diagnosis", "cie10"],
    "precio": ["precio", "price", "preis", "prix"],
    "descuento": ["descuento", "discount", "rabatt", "remise"],
    "temp_c": ["temp_c", "temperature", "temp", "temperatura"],
    "firmware": ["firmware", "fw_version", "os_build", "release"],
    "order_ref": ["order_ref", "order_no", "auftrag", "pedido"],
    "ref": ["ref", "reference", "ref_no", "case_ref"],
    "ni_old": ["ni_old", "legacy_ni", "old_ref", "ni_prev"],
}
# Coordinate pairs: both names drawn together.
GEO_PAIRS = [("latitud", "longitud"), ("latitude", "longitude"), ("lat", "lng"), ("lat", "lon"),
             ("geo_lat", "geo_lon"), ("breitengrad", "laengengrad"), ("lat_wgs84", "lon_wgs84")]
GEO_CANONICAL = {"latitud": ("longitud", 0), "latitude": ("longitude", 0), "longitud": ("latitud", 1),
                 "longitude": ("latitude", 1)}


def rename(L, cols):
    """Draw this seed's names for a dataset's columns (unique within it)."""
    r = L.rng
    used = set()
    pair = r.choice(GEO_PAIRS)

    def blind():
        while True:
            n = r.choice(BLIND_TEMPLATES).format(n=r.randint(1, 40))
            if n not in used:
                return n

    out = []
    for c in cols:
        name = c["path"]
        if "." in name:
            new = name
        elif name in GEO_CANONICAL:
            new = pair[GEO_CANONICAL[name][1]]
        elif name in BLIND or (name in VALUES_DECIDE and r.random() < BLIND_RATE):
            new = blind()
        elif name in SYNONYMS:
            new = r.choice(SYNONYMS[name])
        else:
            new = name
        while new in used:
            new = blind()
        used.add(new)
        out.append(dict(c, path=new))
    return out


# --------------------------------------------------------------------------
# Generic writers: one column list, any format
# --------------------------------------------------------------------------

def col(path, values, entities=(), **kw):
    d = dict(path=path, values=values, entities=list(entities))
    d.update(kw)
    return d


def nest(cols, n, omit_nulls=True):
    """Records for JSON from dotted column paths (None: key omitted or null)."""
    recs = []
    for i in range(n):
        rec: dict = {}
        for c in cols:
            v = c["values"][i]
            if v is None and omit_nulls:
                continue
            cur = rec
            parts = c["path"].split(".")
            for seg in parts[:-1]:
                cur = cur.setdefault(seg, {})
            cur[parts[-1]] = v
        recs.append(rec)
    return recs


def write_table(L, out: Path, rel: str, cols, pa_types=None, **extra):
    renamed = rename(L, cols)
    pa_types = {new["path"]: pa_types[old["path"]] for old, new in zip(cols, renamed) if old["path"] in (pa_types or {})}
    cols = renamed
    arrays = {c["path"]: pa.array(c["values"], pa_types.get(c["path"])) for c in cols}
    gf.write_parquet(pa.table(arrays), out / rel)
    n = len(cols[0]["values"])
    L.add_dataset(rel, "parquet", n, [truth_col(c, pa_types) for c in cols], **extra)


def truth_col(c, pa_types=None):
    c = dict(c)
    if pa_types and c["path"] in pa_types:
        c["type"] = str(pa_types[c["path"]])
    return c


def write_csv(L, out: Path, rel: str, cols, delimiter=",", encoding="utf-8", header=True, bom=False, **extra):
    cols = rename(L, cols) if header else cols
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n" if bom else "\n")
    if header:
        w.writerow([c["path"] for c in cols])
    n = len(cols[0]["values"])
    for i in range(n):
        w.writerow(["" if c["values"][i] is None else c["values"][i] for c in cols])
    data = buf.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    if not header:
        cols = [dict(c, path=f"column_{k + 1}", notes=(c.get("notes", "") + f" (no header row; written as '{c['path']}')").strip())
                for k, c in enumerate(cols)]
    L.add_dataset(rel, "csv", n, cols, delimiter=delimiter, encoding=encoding, header=header, **extra)


def write_jsonl(L, out: Path, rel: str, cols, gz=False, recs=None, **extra):
    if recs is None:
        cols = rename(L, cols)
    n = len(cols[0]["values"])
    recs = recs if recs is not None else nest(cols, n)
    data = gf.jsonl_bytes(recs)
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        bio = io.BytesIO()
        with gzip.GzipFile(fileobj=bio, mode="wb", mtime=0, filename="") as g:
            g.write(data)
        data = bio.getvalue()
    path.write_bytes(data)
    L.add_dataset(rel, "json", n, cols, **extra)


def sparse(L, n, rate, make, base):
    """Free text: `base()` for most rows; `make()` (returns text, label set) for about `rate` of them."""
    vals, labels = [], []
    for _ in range(n):
        if L.rng.random() < rate:
            v, lab = make()
        else:
            v, lab = base(), set()
        vals.append(v)
        labels.append(lab)
    return vals, labels


def maybe(L, v, null_rate):
    return None if L.rng.random() < null_rate else v


# --------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------

def ds_tbl_0007(L, out):
    """en_US Parquet, every column meaningless or misleading; typed entities."""
    r = L.rng
    ppl = L.pools["en_US"][:1400]
    n = len(ppl)
    cols = [
        col("col_1", list(range(5000, 5000 + n)), type="int64"),
        col("col_2", [p["name"] for p in ppl], ["PERSON"]),
        col("col_3", [L.email_alt(p) for p in ppl], ["EMAIL_ADDRESS"], notes="mixed case, plus-addressing"),
        col("col_4", [L.attr(p, "ssn").replace("-", " ") for p in ppl], ["US_SSN"], notes="'123 45 6789'"),
        col("col_5", [Decimal(L.attr(p, "card")) for p in ppl], ["CREDIT_CARD"], notes="PANs as Decimal(19,0)"),
        col("born_on", [dt.datetime.combine(p["dob"], dt.time(0, 0)) for p in ppl], ["DATE_OF_BIRTH"],
            notes="birth dates as a timestamp column"),
        col("col_9", [dt.datetime(2024, 1, 1) + dt.timedelta(minutes=r.randint(0, 200000)) for _ in ppl],
            trap="event timestamps, not birth dates"),
        col("email", [r.random() < 0.5 for _ in ppl], trap="booleans under the name email"),
        col("phone", [r.randint(10_000_000, 99_999_999) for _ in ppl], trap="8-digit order ids under the name phone"),
        col("ssn", [L.ssn_bad_area() for _ in ppl], trap="SSN-shaped, areas 000/666/9xx: invalid"),
    ]
    types = {"col_1": pa.int64(), "col_5": pa.decimal128(19, 0), "born_on": pa.timestamp("us"),
             "col_9": pa.timestamp("us", tz="UTC")}
    write_table(L, out, "bronze/tbl_0007.parquet", cols, types)


def ds_tbl_0012(L, out):
    """en_GB CSV, UTF-8 with BOM and CRLF, meaningless names."""
    r = L.rng
    ppl = L.pools["en_GB"][:1200]
    cols = [
        col("x", [f"{s[:2]} {s[2:4]} {s[4:6]} {s[6:8]} {s[8]}" for s in (L.attr(p, "nino") for p in ppl)], ["UK_NINO"],
            notes="'QQ 12 34 56 C'"),
        col("y", [f"{n[:3]}-{n[3:6]}-{n[6:]}" for n in (L.attr(p, "nhs") for p in ppl)], ["UK_NHS"], notes="'943-476-5919'"),
        col("z", [p["addr"]["postcode"] for p in ppl], notes="postcode alone: no entity"),
        col("attr1", [p["addr"]["full"] for p in ppl], ["STREET_ADDRESS"]),
        col("attr2", [maybe(L, L.phone_alt(p["phone"]), 0.1) for p in ppl], ["PHONE_NUMBER"]),
        col("ref", [L.digits(10) for _ in ppl], trap="random 10-digit refs: ~9% pass NHS mod-11 by chance"),
    ]
    write_csv(L, out, "bronze/tbl_0012.csv", cols, bom=True, notes="UTF-8 BOM, CRLF")


def ds_kundenstamm(L, out):
    """de_DE, tab-separated, Latin-1 (not cp1252-only bytes), German names."""
    r = L.rng
    ppl = [p for p in L.pools["de_DE"] if _latin1(p["name"] + p["addr"]["full"])][:1000]
    cols = [
        col("Kundennr", [f"K{100000 + i}" for i in range(len(ppl))]),
        col("Vorname", [p["first"] for p in ppl], ["PERSON"], notes="first names only"),
        col("Nachname", [p["last"] for p in ppl], ["PERSON"], notes="family names only"),
        col("Anschrift", [p["addr"]["full"] for p in ppl], ["STREET_ADDRESS"]),
        col("Rufnummer", [L.phone_alt(p["phone"]) for p in ppl], ["PHONE_NUMBER"]),
        col("Geburtsdatum", [p["dob"].strftime("%d.%m.%Y") for p in ppl], ["DATE_OF_BIRTH"]),
        col("Bankverbindung", [L.attr(p, "iban") for p in ppl], ["IBAN_CODE"], notes="compact IBANs"),
        col("Arbeitgeber", [L.company("de_DE") for _ in ppl], trap="company names"),
        col("Reisepassnummer", [maybe(L, L.attr(p, "passport"), 0.5) for p in ppl], ["PASSPORT_NUMBER"]),
    ]
    write_csv(L, out, "landing/kundenstamm.tsv", cols, delimiter="\t", encoding="latin-1")


def _latin1(s: str) -> bool:
    try:
        s.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


def ds_clientes(L, out):
    """es_ES, pipe-delimited, no header row (so no birth dates: without a
    column name a date cannot be told to be one, see ENTITIES.md)."""
    r = L.rng
    ppl = L.pools["es_ES"][:900]
    cols = [
        col("nombre_completo", [p["name"] for p in ppl], ["PERSON"]),
        col("domicilio", [p["addr"]["full"] for p in ppl], ["STREET_ADDRESS"]),
        col("movil", [L.phone_alt(L.attr(p, "mobile")) for p in ppl], ["PHONE_NUMBER"]),
        col("cuenta", [gf.Lake.iban_spaced(L.attr(p, "iban")) for p in ppl], ["IBAN_CODE"]),
        col("fecha_alta", [L.date_between(dt.date(2019, 1, 1), dt.date(2024, 5, 1)).isoformat() for _ in ppl],
            trap="sign-up dates"),
    ]
    write_csv(L, out, "landing/clientes_es.csv", cols, delimiter="|", header=False)


def ds_abonnes(L, out):
    """fr_FR, semicolon CSV in Latin-1, French names for everything."""
    ppl = [p for p in L.pools["fr_FR"] if _latin1(p["name"] + p["addr"]["full"])][:900]
    cols = [
        col("prénom", [p["first"] for p in ppl], ["PERSON"]),
        col("nom_de_famille", [p["last"] for p in ppl], ["PERSON"]),
        col("courriel", [p["email"] for p in ppl], ["EMAIL_ADDRESS"]),
        col("adresse_postale", [p["addr"]["full"] for p in ppl], ["STREET_ADDRESS"]),
        col("tel_portable", [L.phone_alt(L.attr(p, "mobile")) for p in ppl], ["PHONE_NUMBER"]),
        col("date_naissance", [L.dob_text(p["dob"], "fr_FR") for p in ppl], ["DATE_OF_BIRTH"]),
        col("numéro_passeport", [maybe(L, L.attr(p, "passport"), 0.3) for p in ppl], ["PASSPORT_NUMBER"]),
        col("société", [L.company("fr_FR") for _ in ppl], trap="company names"),
    ]
    write_csv(L, out, "landing/abonnes.csv", cols, delimiter=";", encoding="latin-1")


def ds_api_dump(L, out):
    """Nested JSON Lines three deep, list of objects, meaningless keys."""
    r = L.rng
    n = 1500
    C = {k: [] for k in ["id", "data.who.display", "data.who.reach.mail", "data.who.reach.tel", "meta.addr",
                         "meta.hw", "meta.build", "meta.trace", "meta.pos.breitengrad", "meta.pos.laengengrad",
                         "meta.pos.preis"]}
    recs = []
    for i in range(n):
        p = L.pick(LOCALES)
        lat, lon = L.geo(p["loc"])
        ip = L.fk[p["loc"]].ipv4_public() if r.random() < 0.6 else ipaddress.IPv6Address(L.fk[p["loc"]].ipv6()).compressed
        mac = L.fk[p["loc"]].mac_address().replace(":", "")
        mac = f"{mac[:4]}.{mac[4:8]}.{mac[8:]}"
        row = {"id": L.uuid4(), "data.who.display": p["name"], "data.who.reach.mail": L.email_alt(p),
               "data.who.reach.tel": L.phone_alt(p["phone"]), "meta.addr": ip, "meta.hw": mac,
               "meta.build": L.version(), "meta.trace": L.hexdigest("sha1"), "meta.pos.breitengrad": lat,
               "meta.pos.laengengrad": lon, "meta.pos.preis": round(r.uniform(1, 80), 2)}
        for k, v in row.items():
            C[k].append(v)
        rec = {"id": row["id"], "data": {"who": {"display": row["data.who.display"],
                                                  "reach": {"mail": row["data.who.reach.mail"], "tel": row["data.who.reach.tel"]}}},
               "meta": {"addr": ip, "hw": mac, "build": row["meta.build"], "trace": row["meta.trace"],
                        "pos": {"breitengrad": lat, "laengengrad": lon, "preis": row["meta.pos.preis"]}}}
        recs.append(rec)
    cols = [
        col("id", C["id"], trap="UUIDs"),
        col("data.who.display", C["data.who.display"], ["PERSON"]),
        col("data.who.reach.mail", C["data.who.reach.mail"], ["EMAIL_ADDRESS"]),
        col("data.who.reach.tel", C["data.who.reach.tel"], ["PHONE_NUMBER"]),
        col("meta.addr", C["meta.addr"], ["IP_ADDRESS"], notes="IPv4 and compressed IPv6"),
        col("meta.hw", C["meta.hw"], ["MAC_ADDRESS"], notes="Cisco dotted form"),
        col("meta.build", C["meta.build"], trap="4-part version strings"),
        col("meta.trace", C["meta.trace"], trap="sha1 hex"),
        col("meta.pos.breitengrad", C["meta.pos.breitengrad"], ["GEO_COORDINATE"]),
        col("meta.pos.laengengrad", C["meta.pos.laengengrad"], ["GEO_COORDINATE"]),
        col("meta.pos.preis", C["meta.pos.preis"], trap="prices beside coordinates"),
    ]
    write_jsonl(L, out, "api/dump_2024_05.jsonl", cols, recs=recs)


def ds_messages(L, out):
    """Free text with sparse PII (1-5 %), JSON Lines, gzip."""
    r = L.rng
    n = 1800

    def make():
        p = L.pick(LOCALES)
        k = r.random()
        if k < 0.35:
            return r.choice(["pls write to {e} asap", "cc {e} on the thread", "contact: {e}"]).format(e=p["email"]), {"EMAIL_ADDRESS"}
        if k < 0.65:
            return r.choice(["call back on {t}", "reachable at {t} after 5", "tel. {t}"]).format(t=L.phone_alt(p["phone"])), {"PHONE_NUMBER"}
        return r.choice(["refund to {i} please", "new account {i}", "IBAN {i} confirmed"]).format(
            i=gf.Lake.iban_spaced(L.attr(p, "iban")) if p["loc"] != "en_US" else L.iban("de_DE")), {"IBAN_CODE"}

    body, lab = sparse(L, n, 0.04, make, lambda: r.choice(TICKET_TEXT_EN + TICKET_TEXT_FR))
    chan = [r.choice(["web", "app", "mail", "chat"]) for _ in range(n)]
    ts = [gf.ts_iso(L.ts_between(BASE_TS - dt.timedelta(days=20), BASE_TS)) for _ in range(n)]
    cols = [col("ts", ts, notes="event time"), col("chan", chan),
            col("body", body, ["EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE"], labels=lab, notes="sparse PII in free text")]
    write_jsonl(L, out, "api/messages.ndjson.gz", cols, gz=True)


def ds_tickets(L, out):
    """Helpdesk tickets: free text with sparse cards, SSNs, AWS keys, JWTs; misleading names."""
    r = L.rng
    n = 1600

    def make():
        k = r.random()
        if k < 0.3:
            return f"customer read card {L.card_dashed()} over the phone", {"CREDIT_CARD"}
        if k < 0.55:
            return f"verified identity, SSN {L.ssn()}", {"US_SSN"}
        if k < 0.8:
            return f"leaked key {'ASIA' + L.aws_key()[4:]} rotated", {"AWS_ACCESS_KEY"}
        return f"token was {L.jwt()}", {"JWT"}

    text, lab = sparse(L, n, 0.05, make, lambda: r.choice(TICKET_TEXT_EN))
    cols = [
        col("ticket", list(range(1, n + 1)), type="int64"),
        col("payload", text, ["CREDIT_CARD", "US_SSN", "AWS_ACCESS_KEY", "JWT"], labels=lab),
        col("name", [r.choice(PRODUCT_NAMES) for _ in range(n)], trap="product names under the name 'name'"),
        col("order_ref", [int(L.luhn_by_chance16()) for _ in range(n)],
            trap="random 16-digit ids, ~10% pass Luhn by chance"),
        col("iban", [L.iban_bad(r.choice(["de_DE", "fr_FR", "es_ES", "en_GB"])) for _ in range(n)],
            trap="IBAN-shaped with wrong check digits"),
    ]
    write_table(L, out, "ops/helpdesk_tickets.parquet", cols, {"order_ref": pa.int64()})


def ds_patients(L, out):
    """Clinical extract: ICD-10 under a Spanish name, NHS as Int64."""
    r = L.rng
    ppl = L.pools["en_GB"][200:1100]
    cols = [
        col("paciente", [p["name"] for p in ppl], ["PERSON"]),
        col("nhs_no", [int(L.attr(p, "nhs")) for p in ppl], ["UK_NHS"], notes="Int64"),
        col("diagnostico", [r.choice(gf.ICD10_CODES) for _ in ppl], ["MEDICAL_CODE"]),
        col("sku", [r.choice(ICD_LIKE_PRODUCT_CODES) for _ in ppl], trap="product codes that look like ICD-10"),
        col("dob", [p["dob"] for p in ppl], ["DATE_OF_BIRTH"], notes="Date32"),
        col("admitted", [L.date_between(dt.date(2022, 1, 1), dt.date(2024, 5, 1)) for _ in ppl], trap="event dates"),
    ]
    write_table(L, out, "clinical/extract_q2.parquet", cols, {"nhs_no": pa.int64(), "dob": pa.date32(), "admitted": pa.date32()})


def ds_hive_orders(L, out):
    """Hive partitions with two keys; emails in a list, card numbers dashed."""
    r = L.rng
    cols_all = {k: [] for k in ["ord", "buyer", "pan", "ship_to", "amount", "ctry", "dt"]}
    files = 0
    for ctry, locs in [("DE", ["de_DE"]), ("FR", ["fr_FR"]), ("ES", ["es_ES"])]:
        for day in ["2024-05-01", "2024-05-02"]:
            m = 250
            ids, buyer, pan, ship, amt = [], [], [], [], []
            for _ in range(m):
                p = L.pick(locs)
                ids.append(L.uuid4())
                buyer.append([p["email"]] + ([L.attr(p, "work_email")] if r.random() < 0.4 else []))
                pan.append(L.card_dashed())
                ship.append(p["addr"]["full"])
                amt.append(round(r.uniform(3, 900), 2))
            t = pa.table({"ord": ids, "buyer": pa.array(buyer, pa.list_(pa.string())), "pan": pan, "ship_to": ship,
                          "amount": amt})
            gf.write_parquet(t, out / "curated" / "orders" / f"ctry={ctry}" / f"dt={day}" / "data-0.parquet")
            files += 1
            for k, v in zip(["ord", "buyer", "pan", "ship_to", "amount"], [ids, buyer, pan, ship, amt]):
                cols_all[k] += v
            cols_all["ctry"] += [ctry] * m
            cols_all["dt"] += [day] * m
    n = len(cols_all["ord"])
    cols = [
        col("ord", cols_all["ord"], trap="UUIDs"),
        col("buyer", cols_all["buyer"], ["EMAIL_ADDRESS"], list=True),
        col("pan", cols_all["pan"], ["CREDIT_CARD"], notes="dashed PANs"),
        col("ship_to", cols_all["ship_to"], ["STREET_ADDRESS"]),
        col("amount", cols_all["amount"], trap="amounts"),
        col("ctry", cols_all["ctry"], notes="partition key"),
        col("dt", cols_all["dt"], notes="partition key"),
    ]
    L.add_dataset("curated/orders", "parquet", n, cols, partitioned=True, partition_columns=["ctry", "dt"], files=files)


def ds_geo_points(L, out):
    """Float pairs: coordinates named in Spanish, prices and discounts beside them."""
    r = L.rng
    n = 1200
    lat, lon = zip(*[L.geo(r.choice(LOCALES)) for _ in range(n)])
    cols = [
        col("tienda", [f"T-{r.randint(100, 999)}" for _ in range(n)]),
        col("latitud", list(lat), ["GEO_COORDINATE"]),
        col("longitud", list(lon), ["GEO_COORDINATE"]),
        col("precio", [round(r.uniform(0.5, 89.9), 2) for _ in range(n)], trap="prices in -90..90"),
        col("descuento", [round(r.uniform(-50, 50), 3) for _ in range(n)], trap="discounts in -90..90"),
    ]
    write_table(L, out, "geo/puntos_venta.parquet", cols)


def ds_positions_text(L, out):
    """'lat lon' in one string column named meaninglessly, CSV."""
    r = L.rng
    n = 900
    vals = []
    for _ in range(n):
        a, b = L.geo(r.choice(LOCALES))
        vals.append(f"{a}, {b}")
    cols = [col("f_01", [L.uuid4() for _ in range(n)], trap="UUIDs"),
            col("f_02", vals, ["GEO_COORDINATE"], notes="'lat, lon' strings"),
            col("f_03", [L.version() for _ in range(n)], trap="version strings")]
    write_csv(L, out, "geo/track_export.csv", cols)


def ds_access_log(L, out):
    """Access log lines as plain JSON Lines: IPs and URLs in text, hashes and UUIDs."""
    r = L.rng
    n = 1500
    msgs, labs = [], []
    for _ in range(n):
        p = L.pick(LOCALES)
        k = r.random()
        ip = L.fk[p["loc"]].ipv4_public()
        if k < 0.5:
            msgs.append(f"{ip} GET /api/v2/items/{r.randint(1, 9999)} 200")
            labs.append({"IP_ADDRESS"})
        elif k < 0.53:
            msgs.append(f"redirect to https://{L.fk[p['loc']].domain_name()}/welcome?ref={r.randint(1, 999)}")
            labs.append({"URL"})
        else:
            msgs.append(f"cache hit {L.hexdigest('md5')} in {r.randint(1, 90)} ms, build {L.version()}")
            labs.append(set())
    cols = [col("lvl", [r.choice(["INFO", "WARN", "DEBUG"]) for _ in range(n)]),
            col("msg", msgs, ["IP_ADDRESS", "URL"], labels=labs),
            col("req", [L.uuid4() for _ in range(n)], trap="UUIDs")]
    write_jsonl(L, out, "logs/edge_access.jsonl", cols)


def ds_sparse_big(L, out):
    """A big CSV with a ~90%-null column whose non-null values hold sparse emails:
    only a sampler that counts non-null values sees enough of them."""
    r = L.rng
    n = 9000
    remark, lab = [], []
    for _ in range(n):
        if r.random() < 0.9:
            remark.append(None)
            lab.append(set())
        elif r.random() < 0.03:
            remark.append(f"forwarded to {L.pick(LOCALES)['email']}")
            lab.append({"EMAIL_ADDRESS"})
        else:
            remark.append(r.choice(TICKET_TEXT_DE + TICKET_TEXT_ES))
            lab.append(set())
    cols = [col("k", list(range(n)), type="int64"),
            col("qty", [r.randint(1, 20) for _ in range(n)]),
            col("remark", remark, ["EMAIL_ADDRESS"], labels=lab, notes="~90% empty; ~3% of non-empty values hold an email")]
    write_csv(L, out, "bulk/stock_moves.csv", cols)


def ds_staff(L, out):
    """Parquet with a struct column and list<struct>; en_US + en_GB."""
    r = L.rng
    ppl = L.pools["en_US"][:600] + L.pools["en_GB"][:600]
    person_t = pa.struct([("given", pa.string()), ("family", pa.string())])
    kin_t = pa.list_(pa.struct([("rel", pa.string()), ("mobile_no", pa.string())]))
    given = [p["first"] for p in ppl]
    family = [p["last"] for p in ppl]
    kin = []
    kin_flat = []
    for _ in ppl:
        k = [{"rel": r.choice(["spouse", "parent", "sibling"]), "mobile_no": L.phone_alt(L.pick(["en_US", "en_GB"])["phone"])}
             for _ in range(r.randint(0, 2))]
        kin.append(k)
        kin_flat.append([e["mobile_no"] for e in k])
    t = pa.table({
        "emp": pa.array(list(range(len(ppl))), pa.int64()),
        "who": pa.array([{"given": g, "family": f} for g, f in zip(given, family)], person_t),
        "kin": pa.array(kin, kin_t),
        "hired": pa.array([L.date_between(dt.date(2010, 1, 1), dt.date(2024, 1, 1)) for _ in ppl], pa.date32()),
        "badge_hash": pa.array([L.hexdigest("sha256") for _ in ppl], pa.string()),
    })
    gf.write_parquet(t, out / "hr" / "staff.parquet")
    cols = [
        col("emp", list(range(len(ppl))), type="int64"),
        col("who.given", given, ["PERSON"]),
        col("who.family", family, ["PERSON"]),
        col("kin.rel", [[e["rel"] for e in k] for k in kin], list=True),
        col("kin.mobile_no", kin_flat, ["PHONE_NUMBER"], list=True),
        col("hired", t.column("hired").to_pylist(), trap="hire dates"),
        col("badge_hash", t.column("badge_hash").to_pylist(), trap="sha256 hex"),
    ]
    L.add_dataset("hr/staff.parquet", "parquet", len(ppl), cols)


def ds_payroll(L, out):
    """Int64 SSNs and a Decimal card under hinted names; Luhn-failing ids; UK NINO lowercase-free."""
    r = L.rng
    ppl = L.pools["en_US"][300:1300]
    cols = [
        col("soc_sec_no", [int(L.attr(p, "ssn").replace("-", "")) for p in ppl], ["US_SSN"], notes="Int64"),
        col("corp_card", [int(L.card16()) for _ in ppl], ["CREDIT_CARD"], notes="Int64 PANs"),
        col("emp_no16", [int(L.not_luhn16()) for _ in ppl], trap="16-digit ids failing Luhn"),
        col("net_pay", [round(r.uniform(1800, 9000), 2) for _ in ppl]),
        col("acct", [L.iban("en_GB") for _ in ppl], ["IBAN_CODE"]),
    ]
    write_table(L, out, "hr/payroll_2024.parquet", cols,
                {"soc_sec_no": pa.int64(), "corp_card": pa.int64(), "emp_no16": pa.int64()})


def ds_devices(L, out):
    """Network inventory CSV: MACs, IPv6, version strings, hostnames."""
    r = L.rng
    n = 800
    cols = [
        col("hostname", [f"srv-{r.randint(1, 999):03d}.corp.example" for _ in range(n)]),
        col("hw_addr", [L.fk["en_US"].mac_address().upper() for _ in range(n)], ["MAC_ADDRESS"]),
        col("v6", [ipaddress.IPv6Address(L.fk["en_US"].ipv6()).compressed for _ in range(n)], ["IP_ADDRESS"]),
        col("firmware", [L.version() for _ in range(n)], trap="4-part firmware versions"),
        col("serial", [L.hexdigest("md5")[:12].upper() for _ in range(n)], trap="hex serials"),
    ]
    write_csv(L, out, "it/inventory.csv", cols, delimiter=";")


def ds_secrets(L, out):
    """Config dump: AWS keys and JWTs under meaningless names."""
    r = L.rng
    n = 600
    cols = [
        col("k", [r.choice(["db.url", "cache.ttl", "auth.token", "s3.key"]) for _ in range(n)]),
        col("v1", [r.choice(["AKIA", "ASIA"]) + L.aws_key()[4:] for _ in range(n)], ["AWS_ACCESS_KEY"]),
        col("v2", [L.jwt() for _ in range(n)], ["JWT"]),
        col("v3", [L.hexdigest("sha256") for _ in range(n)], trap="hex secrets that are not a known format"),
    ]
    write_jsonl(L, out, "config/export.jsonl", cols)


def ds_web_sessions(L, out):
    """URLs under meaningless names, referrers with query strings."""
    r = L.rng
    n = 1000
    urls = [f"https://{L.fk[r.choice(LOCALES)].domain_name()}/{r.choice(['p', 'c', 'shop'])}/{r.randint(1, 999)}?utm={r.choice(['a', 'b'])}"
            for _ in range(n)]
    cols = [col("s", [L.uuid4() for _ in range(n)], trap="UUIDs"),
            col("u", urls, ["URL"]),
            col("dur", [r.randint(1, 900) for _ in range(n)])]
    write_table(L, out, "web/sessions.parquet", cols)


def ds_mixed_locale_people(L, out):
    """Full names from all five locales under a meaningless name; 'Last, First' form for some."""
    r = L.rng
    n = 1500
    vals = []
    for _ in range(n):
        p = L.pick(LOCALES)
        vals.append(f"{p['last']}, {p['first']}" if r.random() < 0.3 else p["name"])
    cols = [col("c1", list(range(n)), type="int64"), col("c2", vals, ["PERSON"], notes="30% 'Last, First'"),
            col("c3", [L.company(r.choice(LOCALES)) for _ in range(n)], trap="company names")]
    write_table(L, out, "misc/entities_dump.parquet", cols)


def ds_mailing(L, out):
    """Addresses of all locales in one column named 'payload'; emails under 'attr1'."""
    r = L.rng
    n = 1200
    ppl = [L.pick(LOCALES) for _ in range(n)]
    cols = [col("attr1", [maybe(L, L.email_alt(p), 0.3) for p in ppl], ["EMAIL_ADDRESS"]),
            col("payload", [p["addr"]["full"] for p in ppl], ["STREET_ADDRESS"]),
            col("attr2", [p["addr"]["city"] for p in ppl], notes="city alone: no entity")]
    write_jsonl(L, out, "marketing/mailing.jsonl", cols)


def ds_ids_gb(L, out):
    """UK identifiers in compact/lowercase-free forms, Parquet; NINO traps with invalid prefixes."""
    r = L.rng
    ppl = L.pools["en_GB"][600:1300]
    bad_nino = []
    for _ in ppl:
        a = r.choice("DFIQUV")
        bad_nino.append(f"{a}{r.choice('ABCEGH')}{L.digits(6, False)}{r.choice('ABCD')}")
    cols = [col("ni", [L.attr(p, "nino") for p in ppl], ["UK_NINO"]),
            col("ni_old", bad_nino, trap="NINO-shaped with invalid prefix letters"),
            col("nhs", [maybe(L, L.attr(p, "nhs"), 0.2) for p in ppl], ["UK_NHS"]),
            col("travel_document_no", [L.attr(p, "passport") for p in ppl], ["PASSPORT_NUMBER"], notes="9-digit UK passports")]
    write_table(L, out, "gov/uk_ids.parquet", cols)


def ds_sparse_notes_de(L, out):
    """German CRM notes, sparse phones and addresses (1-3 %), semicolon CSV."""
    r = L.rng
    n = 1800

    def make():
        p = L.pick(["de_DE"])
        if r.random() < 0.5:
            return f"Rückruf unter {L.phone_alt(p['phone'])} erbeten", {"PHONE_NUMBER"}
        return f"Neue Anschrift: {p['addr']['full']}", {"STREET_ADDRESS"}

    text, lab = sparse(L, n, 0.03, make, lambda: r.choice(TICKET_TEXT_DE))
    cols = [col("Vorgang", [f"V-{i:05d}" for i in range(n)]),
            col("Notiz", text, ["PHONE_NUMBER", "STREET_ADDRESS"], labels=lab),
            col("Erstellt", [gf.ts_iso(L.ts_between(BASE_TS - dt.timedelta(days=90), BASE_TS)) for _ in range(n)],
                trap="timestamps")]
    write_csv(L, out, "crm_de/vorgaenge.csv", cols, delimiter=";")


def ds_sparse_es(L, out):
    """Spanish free text with sparse emails and DNI-free IBANs (2 %), JSON Lines."""
    r = L.rng
    n = 1500

    def make():
        p = L.pick(["es_ES"])
        if r.random() < 0.5:
            return f"escribir a {p['email']}", {"EMAIL_ADDRESS"}
        return f"domiciliar en {gf.Lake.iban_spaced(L.attr(p, 'iban'))}", {"IBAN_CODE"}

    text, lab = sparse(L, n, 0.02, make, lambda: r.choice(TICKET_TEXT_ES))
    cols = [col("x1", [f"P{r.randint(10000, 99999)}" for _ in range(n)]),
            col("x2", text, ["EMAIL_ADDRESS", "IBAN_CODE"], labels=lab)]
    write_jsonl(L, out, "soporte/incidencias.jsonl", cols)


def ds_dates_fr(L, out):
    """Birth dates as Date32 under a French name; order dates as Date32 (trap)."""
    ppl = L.pools["fr_FR"][:1000]
    cols = [col("date_de_naissance", [p["dob"] for p in ppl], ["DATE_OF_BIRTH"]),
            col("date_commande", [L.date_between(dt.date(1995, 1, 1), dt.date(2024, 5, 1)) for _ in ppl],
                trap="order dates, some decades old"),
            col("nom", [p["name"] for p in ppl], ["PERSON"])]
    write_table(L, out, "fr/commandes.parquet", cols, {"date_de_naissance": pa.date32(), "date_commande": pa.date32()})


def ds_phones_typed(L, out):
    """Phones as Int64 with country code, under hinted names in two languages."""
    ppl = L.pools["de_DE"][:700] + L.pools["es_ES"][:700]
    cols = [col("telefono_movil", [int(L.attr(p, "mobile").e164[1:]) for p in ppl], ["PHONE_NUMBER"],
                notes="E.164 digits without '+', Int64"),
            col("fecha_nac", [L.dob_text(p["dob"], "es_ES") for p in ppl], ["DATE_OF_BIRTH"],
                notes="dd-mm-YYYY and '3 de marzo de 1984' (the German rows too)"),
            col("importe", [round(L.rng.uniform(1, 500), 2) for _ in ppl])]
    write_table(L, out, "telco/lineas.parquet", cols, {"telefono_movil": pa.int64()})


def ds_us_text(L, out):
    """US contacts, DOB as text in two formats, phones in new formats, TSV without quoting."""
    ppl = L.pools["en_US"][600:1400]
    cols = [col("member", [p["name"] for p in ppl], ["PERSON"]),
            col("birth", [L.dob_text(p["dob"], "en_US") for p in ppl], ["DATE_OF_BIRTH"]),
            col("primary_contact_no", [L.phone_alt(p["phone"]) for p in ppl], ["PHONE_NUMBER"]),
            col("addr", [p["addr"]["full"] for p in ppl], ["STREET_ADDRESS"]),
            col("member_since", [L.date_between(dt.date(2000, 1, 1), dt.date(2024, 1, 1)).strftime("%m/%d/%Y") for _ in ppl],
                trap="membership dates, not birth dates")]
    write_csv(L, out, "members/roster.tsv", cols, delimiter="\t")


def ds_legacy_upper(L, out):
    """A mainframe-style export: upper-case 'LAST, FIRST' names, JSON list of contact objects."""
    r = L.rng
    n = 1000
    recs, names, vals = [], [], []
    for i in range(n):
        p = L.pick(["de_DE", "fr_FR", "es_ES", "en_GB"])
        nm = f"{p['last']}, {p['first']}".upper()
        contacts = [{"kind": "mail", "value": p["email"]}]
        if r.random() < 0.5:
            contacts.append({"kind": "mail", "value": L.attr(p, "work_email")})
        recs.append({"rec": i, "nm": nm, "contacts": contacts})
        names.append(nm)
        vals.append([c["value"] for c in contacts])
    cols = [col("rec", list(range(n))), col("nm", names, ["PERSON"], notes="upper case 'LAST, FIRST'"),
            col("contacts.kind", [["mail"] * len(v) for v in vals], list=True),
            col("contacts.value", vals, ["EMAIL_ADDRESS"], list=True)]
    write_jsonl(L, out, "legacy/host_extract.jsonl", cols, recs=recs)


# ---------------- round 2: shapes added after the first scoring run ----------------

def ds_stations_csv(L, out):
    """Coordinates as separate text columns of a CSV (every CSV field is text)."""
    r = L.rng
    n = 800
    pts = [L.geo(r.choice(LOCALES)) for _ in range(n)]
    cols = [col("station", [f"ST{r.randint(1000, 9999)}" for _ in range(n)]),
            col("latitude", [f"{a:.5f}" for a, _ in pts], ["GEO_COORDINATE"], notes="text in a CSV"),
            col("longitude", [f"{b:.5f}" for _, b in pts], ["GEO_COORDINATE"], notes="text in a CSV"),
            col("elev_m", [str(r.randint(0, 2500)) for _ in range(n)]),
            col("temp_c", [f"{r.uniform(-20, 40):.1f}" for _ in range(n)], trap="temperatures in -90..90")]
    write_csv(L, out, "geo/stations.csv", cols)


def ds_eu_payments(L, out):
    """IBANs and phones of countries outside the five locales (NL, IT, AT, CH, PT, PL, BE)."""
    r = L.rng
    extra = ["nl_NL", "it_IT", "de_AT", "fr_CH", "pt_PT", "pl_PL", "nl_BE"]
    fk = {}
    for i, loc in enumerate(extra):
        f = gf.Faker(loc)
        f.seed_instance(L.seed * 31 + i)
        fk[loc] = f
    n = 700
    ibans, names = [], []
    for _ in range(n):
        loc = r.choice(extra)
        ibans.append(fk[loc].iban())
        names.append(fk[loc].name())
    cols = [col("beneficiary_account", ibans, ["IBAN_CODE"], notes="IBANs of NL, IT, AT, CH, PT, PL, BE"),
            col("ref", [f"PAY-{r.randint(10 ** 7, 10 ** 8 - 1)}" for _ in range(n)]),
            col("amt_eur", [round(r.uniform(5, 5000), 2) for _ in range(n)])]
    write_table(L, out, "finance/sepa_out.parquet", cols)


def ds_shipping_notes_en(L, out):
    """English free text: sparse US/UK street addresses and birth dates with a label."""
    r = L.rng
    n = 2000

    def make():
        k = r.random()
        p = L.pick(["en_US", "en_GB"])
        if k < 0.5:
            return r.choice(["ship to {a}", "new address: {a}", "deliver to {a} instead"]).format(a=p["addr"]["full"]), {"STREET_ADDRESS"}
        return r.choice(["born {d}", "DOB {d} confirmed", "date of birth {d}"]).format(
            d=p["dob"].strftime("%m/%d/%Y" if p["loc"] == "en_US" else "%d/%m/%Y")), {"DATE_OF_BIRTH"}

    text, lab = sparse(L, n, 0.04, make, lambda: r.choice(gf.EN_NOTES))
    cols = [col("case_no", [f"C{i:06d}" for i in range(n)]),
            col("agent_note", text, ["STREET_ADDRESS", "DATE_OF_BIRTH"], labels=lab)]
    write_table(L, out, "support/case_notes.parquet", cols)


def ds_travel_json(L, out):
    """Generic leaf names under telling parents: passport.number, contact.value, birth.date."""
    r = L.rng
    n = 900
    recs, pn, cv, bd, nm = [], [], [], [], []
    for i in range(n):
        p = L.pick(["de_DE", "fr_FR", "es_ES", "en_GB"])
        pp = L.attr(p, "passport")
        phone = L.phone_alt(p["phone"])
        dob = p["dob"].isoformat()
        recs.append({"booking": f"BK{i:05d}", "traveller": {"fullName": p["name"], "birthDate": dob,
                     "passport": {"number": pp, "expires": (BASE_TS.date() + dt.timedelta(days=r.randint(30, 3000))).isoformat()},
                     "contact": {"type": "phone", "value": phone}}})
        pn.append(pp)
        cv.append(phone)
        bd.append(dob)
        nm.append(p["name"])
    cols = [col("booking", [x["booking"] for x in recs]),
            col("traveller.fullName", nm, ["PERSON"]),
            col("traveller.birthDate", bd, ["DATE_OF_BIRTH"], notes="ISO text, camelCase name"),
            col("traveller.passport.number", pn, ["PASSPORT_NUMBER"], notes="generic leaf name under 'passport'"),
            col("traveller.passport.expires", [x["traveller"]["passport"]["expires"] for x in recs],
                trap="future expiry dates"),
            col("traveller.contact.type", ["phone"] * n),
            col("traveller.contact.value", cv, ["PHONE_NUMBER"])]
    write_jsonl(L, out, "travel/bookings.jsonl", cols, recs=recs)


def ds_web_hive_json(L, out):
    """Hive-partitioned JSON Lines: IPv4-mapped IPv6, emails with new TLDs."""
    r = L.rng
    tlds = ["io", "shop", "app", "berlin", "co.uk", "dev", "tech", "paris", "cat"]
    allc = {k: [] for k in ["ip", "mail", "ua_ver", "day"]}
    files = 0
    for day in ["2024-05-30", "2024-05-31"]:
        recs = []
        for _ in range(500):
            p = L.pick(LOCALES)
            v4 = L.fk[p["loc"]].ipv4_public()
            ip = r.choice([v4, f"::ffff:{v4}", ipaddress.IPv6Address(L.fk[p["loc"]].ipv6()).exploded])
            local = p["email"].split("@")[0]
            mail = f"{local}@{gf.fold(p['last'])}.{r.choice(tlds)}"
            uv = f"{r.randint(60, 125)}.0.{r.randint(1000, 6999)}.{r.randint(10, 250)}"
            recs.append({"ip": ip, "mail": mail, "ua_ver": uv})
            allc["ip"].append(ip)
            allc["mail"].append(mail)
            allc["ua_ver"].append(uv)
            allc["day"].append(day)
        path = out / "clickstream" / f"day={day}" / "events.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gf.jsonl_bytes(recs))
        files += 1
    cols = [col("ip", allc["ip"], ["IP_ADDRESS"], notes="IPv4, IPv4-mapped IPv6, exploded IPv6"),
            col("mail", allc["mail"], ["EMAIL_ADDRESS"], notes="newer TLDs"),
            col("ua_ver", allc["ua_ver"], trap="browser versions 124.0.6367.91"),
            col("day", allc["day"], notes="partition key")]
    L.add_dataset("clickstream", "json", len(allc["ip"]), cols, partitioned=True, partition_columns=["day"], files=files)


def ds_big_sparse_parquet(L, out):
    """6,000 rows (sampled in the default mode) with 1 % emails in free text."""
    r = L.rng
    n = 6000

    def make():
        return f"customer asked to reply to {L.pick(LOCALES)['email']}", {"EMAIL_ADDRESS"}

    text, lab = sparse(L, n, 0.01, make, lambda: r.choice(gf.EN_NOTES + TICKET_TEXT_EN))
    cols = [col("row_id", list(range(n))), col("memo", text, ["EMAIL_ADDRESS"], labels=lab, notes="1 %"),
            col("score", [round(r.uniform(-1, 1), 4) for _ in range(n)])]
    write_table(L, out, "ml/feedback_labels.parquet", cols)


# ---------------- round 3 ----------------

def ds_notes_fr(L, out):
    """French customer-service notes, semicolon CSV in UTF-8: sparse labelled
    addresses and birth dates (about 1.5 % each)."""
    r = L.rng
    n = 2000

    def make():
        p = L.pick(["fr_FR"])
        if r.random() < 0.5:
            return r.choice(["nouvelle adresse : {a}", "livrer au {a}", "déménagé au {a}"]).format(a=p["addr"]["full"]), {"STREET_ADDRESS"}
        return r.choice(["né le {d}", "née le {d}", "date de naissance {d}"]).format(d=p["dob"].strftime("%d/%m/%Y")), {"DATE_OF_BIRTH"}

    text, lab = sparse(L, n, 0.03, make, lambda: r.choice(gf.FR_NOTES))
    cols = [col("dossier", [f"D{i:06d}" for i in range(n)]),
            col("commentaire", text, ["STREET_ADDRESS", "DATE_OF_BIRTH"], labels=lab),
            col("ouvert_le", [L.date_between(dt.date(2023, 1, 1), dt.date(2024, 5, 1)).strftime("%d/%m/%Y") for _ in range(n)],
                trap="ticket dates")]
    write_csv(L, out, "sav/dossiers.csv", cols, delimiter=";")


DATASETS = [ds_notes_fr, ds_stations_csv, ds_eu_payments, ds_shipping_notes_en, ds_travel_json, ds_web_hive_json,
            ds_big_sparse_parquet, ds_legacy_upper, ds_tbl_0007, ds_tbl_0012, ds_kundenstamm, ds_clientes, ds_abonnes, ds_api_dump, ds_messages,
            ds_tickets, ds_patients, ds_hive_orders, ds_geo_points, ds_positions_text, ds_access_log,
            ds_sparse_big, ds_staff, ds_payroll, ds_devices, ds_secrets, ds_web_sessions,
            ds_mixed_locale_people, ds_mailing, ds_ids_gb, ds_sparse_notes_de, ds_sparse_es, ds_dates_fr,
            ds_phones_typed, ds_us_text]


def main(argv=None) -> int:
    repo = HERE.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(repo / "fixtures" / "heldout-lake"))
    ap.add_argument("--truth", default=None, help="default: <out>.truth.json")
    ap.add_argument("--seed", type=int, default=4242)
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    truth_path = Path(args.truth).resolve() if args.truth else out.parent / (out.name + ".truth.json")
    if out == Path(out.anchor) or out == repo or out == Path.home() or len(out.parts) < 3:
        print(f"gen-heldout-lake: refusing to wipe {out}", file=sys.stderr)
        return 2
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    L = HeldOut(args.seed)
    L.build_pools()
    for make in DATASETS:
        make(L, out)
    datasets = sorted(L.datasets, key=lambda d: d["path"])
    truth = {
        "schema_version": 1,
        "generator": "scripts/gen-heldout-lake.py",
        "seed": args.seed,
        "lake": out.name,
        "conventions": {
            "path": "relative to the lake root; a folder dataset (hive partitions) is the folder",
            "column_path": "dot-separated; list elements add no segment; a CSV without a header row has columns column_1..N",
            "share": "matches / non_null, where non_null counts non-null values (for list columns: non-null list elements); "
                     "CSV empty fields are nulls",
            "entities": "every entity the column holds; [] for none; 'trap' explains a look-alike that must not be reported",
        },
        "datasets": datasets,
        "skipped": [],
        "subjects": [],
    }
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"gen-heldout-lake: {len(datasets)} datasets, {total / 1e6:.2f} MB in {out}; truth: {truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
