#!/usr/bin/env python3
"""Verify the demo lake against its truth file, independently of the generator.

    scripts/check-fixtures.py [--lake fixtures/demo-lake] [--truth PATH]

Re-reads every dataset with pyarrow / deltalake and checks:
  * every dataset in the truth exists, reads, and has the recorded row count;
    no readable file in the lake is missing from the truth (or its skip list);
  * the truth lists exactly the columns the reader sees (nested paths, lists,
    quoted field names, hive partition keys);
  * every claimed entity value is valid (Luhn, IBAN mod-97 and length, SSN
    area/group/serial, NINO prefixes, NHS mod-11, JWT header, AWS key
    alphabet, IP parse, coordinate ranges, ICD-10 shape, DOB in 1930-2008...),
    and match counts / shares agree with what independent extractors find;
  * columns without an entity (traps included) hold no strong look-alike
    (email, Luhn-valid PAN, IBAN, dashed SSN, NINO, AWS key, JWT, URL), and
    trap date columns hold no date in the DOB range;
  * the cp1252 CSV is not valid UTF-8; Delta version >= 1; unsupported files
    are present (and valid of their kind); skipped files are present;
  * the RTBF subjects' occurrence counts.

Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import ipaddress
import json
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

try:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.dataset as pa_ds
    import pyarrow.json as pa_json
    import pyarrow.orc as pa_orc
    import pyarrow.parquet as pq
    from deltalake import DeltaTable
except ImportError as e:  # pragma: no cover
    sys.exit(f"{Path(__file__).name}: {e}; run it with the pinned venv: "
             f'"$(scripts/python-env.sh)/bin/python" scripts/{Path(__file__).name}')

ENTITIES = {
    "EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "STREET_ADDRESS", "DATE_OF_BIRTH", "CREDIT_CARD", "IBAN_CODE",
    "US_SSN", "UK_NINO", "UK_NHS", "PASSPORT_NUMBER", "IP_ADDRESS", "MAC_ADDRESS", "GEO_COORDINATE", "URL",
    "AWS_ACCESS_KEY", "JWT", "MEDICAL_CODE",
}

# ----------------------------------------------------------------- validators


def luhn(d: str) -> bool:
    s = 0
    for i, c in enumerate(reversed(d)):
        n = int(c) * (2 if i % 2 else 1)
        s += n - 9 if n > 9 else n
    return s % 10 == 0


IBAN_LEN = {"GB": 22, "DE": 22, "FR": 27, "ES": 24}


def v_iban(v: str) -> bool:
    s = v.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s) or IBAN_LEN.get(s[:2]) != len(s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def v_card(v: str) -> bool:
    d = v.replace(" ", "").replace("-", "")
    return d.isdigit() and 12 <= len(d) <= 19 and luhn(d)


def v_ssn(v: str) -> bool:
    m = re.fullmatch(r"(\d{3})-?(\d{2})-?(\d{4})", v)
    if not m:
        return False
    a, g, s = (int(x) for x in m.groups())
    return 0 < a < 900 and a != 666 and g != 0 and s != 0


def v_nino(v: str) -> bool:
    s = v.replace(" ", "")
    return (bool(re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", s)) and s[0] not in "DFIQUV" and s[1] not in "DFIOQUV"
            and s[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def v_nhs(v: str) -> bool:
    d = v.replace(" ", "")
    if not re.fullmatch(r"\d{10}", d):
        return False
    c = 11 - sum(int(x) * (10 - i) for i, x in enumerate(d[:9])) % 11
    c = 0 if c == 11 else c
    return c != 10 and c == int(d[9])


def v_passport(v: str) -> bool:
    return bool(re.fullmatch(r"\d{9}|[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8}|\d{2}[A-Z]{2}\d{5}|[A-Z]{3}\d{6}", v))


EMAIL_RE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"


def v_email(v: str) -> bool:
    return bool(re.fullmatch(EMAIL_RE, v))


PHONE_NSN_LEN = {"1": (10,), "44": (10,), "49": (9, 10, 11), "33": (9,), "34": (9,)}


def phone_e164(v: str, default_cc: str | None = None) -> str | None:
    """Normalise the phone formats this lake uses to E.164; None when not a phone.
    National numbers are ambiguous between countries; default_cc settles it."""
    if not re.fullmatch(r"[+\d(][\d ().\-/]{6,22}\d", v):
        return None
    d = re.sub(r"\D", "", v.replace("(0)", ""))
    if v.startswith("+"):
        for cc, lens in PHONE_NSN_LEN.items():
            if d.startswith(cc) and len(d) - len(cc) in lens:
                return "+" + d
        return None
    if d.startswith("0"):
        nsn = d[1:]
        for cc in ([default_cc] if default_cc else ["44", "49", "33"]):
            if cc in ("44", "49", "33") and len(nsn) in PHONE_NSN_LEN[cc]:
                return f"+{cc}{nsn}"
        return None
    if default_cc in (None, "1") and len(d) == 10 and d[0] in "23456789" and d[3] in "23456789":
        return "+1" + d
    if default_cc in (None, "34") and len(d) == 9 and d[0] in "6789":
        return "+34" + d
    return None


def v_phone(v) -> bool:
    if isinstance(v, int):
        s = str(v)
        return len(s) == 10 and s[0] in "23456789" and s[3] in "23456789"
    return phone_e164(v) is not None


def v_person(v: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_]+(?:['\- ][^\W\d_]+)*", v)) and len(v) >= 2


def v_street(v: str) -> bool:
    return bool(re.search(r"\d", v)) and bool(re.search(r"[^\W\d_]{3,}", v))


def parse_date(v):
    if isinstance(v, dt.date):
        return v
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    return None


def v_dob(v) -> bool:
    d = parse_date(v)
    return d is not None and dt.date(1930, 1, 1) <= d <= dt.date(2008, 12, 31)


def v_ip(v: str) -> bool:
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return False


def v_mac(v: str) -> bool:
    return bool(re.fullmatch(r"[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}", v))


def v_url(v: str) -> bool:
    u = urlparse(v)
    return u.scheme in ("http", "https") and "." in u.netloc


def v_aws(v: str) -> bool:
    return bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v))


def b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def v_jwt(v: str) -> bool:
    parts = v.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(b64d(parts[0]))
        json.loads(b64d(parts[1]))
    except Exception:
        return False
    return h.get("alg") == "HS256" and h.get("typ") == "JWT"


def v_icd10(v: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?", v))


def v_geo(v, path: str) -> bool:
    if isinstance(v, float):
        lim = 90 if path.endswith("lat") else 180
        return -lim <= v <= lim and v != 0
    m = re.fullmatch(r"(-?\d+\.\d+),(-?\d+\.\d+)", v)
    return bool(m) and -90 <= float(m[1]) <= 90 and -180 <= float(m[2]) <= 180


WHOLE = {
    "EMAIL_ADDRESS": v_email, "PHONE_NUMBER": v_phone, "PERSON": v_person, "STREET_ADDRESS": v_street,
    "DATE_OF_BIRTH": v_dob, "CREDIT_CARD": lambda v: v_card(str(v)), "IBAN_CODE": v_iban,
    "US_SSN": lambda v: v_ssn(str(v)), "UK_NINO": v_nino, "UK_NHS": v_nhs, "PASSPORT_NUMBER": v_passport,
    "IP_ADDRESS": v_ip, "MAC_ADDRESS": v_mac, "URL": v_url, "AWS_ACCESS_KEY": v_aws, "JWT": v_jwt,
    "MEDICAL_CODE": v_icd10,
}

# Extractors for free text: does this text hold the entity somewhere?
PHONE_IN_TEXT = re.compile(r"(?<![\w+])(\+?[\d(][\d ().\-/]{6,20}\d)(?!\w)")
FINDERS = {
    "EMAIL_ADDRESS": lambda t: any(v_email(m) for m in re.findall(EMAIL_RE, t)),
    "PHONE_NUMBER": lambda t: any(phone_e164(m.strip()) for m in PHONE_IN_TEXT.findall(t)),
    "IP_ADDRESS": lambda t: any(v_ip(m) for m in re.findall(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])", t)),
    "URL": lambda t: any(v_url(m) for m in re.findall(r"https?://\S+", t)),
    "JWT": lambda t: any(v_jwt(m) for m in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t)),
    "AWS_ACCESS_KEY": lambda t: any(v_aws(m) for m in re.findall(r"\bAKIA[A-Z2-7]{16}\b", t)),
}

# Strong look-alike detectors that must not fire where the truth says "no such entity".
LEAKS = {
    "EMAIL_ADDRESS": FINDERS["EMAIL_ADDRESS"],
    "CREDIT_CARD": lambda t: any(luhn(m.replace(" ", "")) for m in re.findall(r"(?<!\d)\d(?:[ ]?\d){12,18}(?!\d)", t)),
    "IBAN_CODE": lambda t: any(v_iban(m) for m in re.findall(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", t)),
    "US_SSN": lambda t: any(v_ssn(m) for m in re.findall(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)", t)),
    "UK_NINO": lambda t: any(v_nino(m) for m in re.findall(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", t)),
    "AWS_ACCESS_KEY": FINDERS["AWS_ACCESS_KEY"],
    "JWT": FINDERS["JWT"],
    "URL": FINDERS["URL"],
}

# ----------------------------------------------------------------- reading


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if ("." in name or '"' in name) else name


def flatten(field: pa.Field, prefix: str, in_list: bool, out: dict):
    t = field.type
    path = prefix + quote(field.name)
    if pa.types.is_struct(t):
        for f in t:
            flatten(f, path + ".", in_list, out)
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        vt = t.value_type
        if pa.types.is_struct(vt):
            for f in vt:
                flatten(f, path + ".", True, out)
        else:
            out[path] = (True, [field.name])
    else:
        out[path] = (in_list, None)


def column_values(rows: list[dict], path: str) -> list:
    """Values of a column path over row dicts; lists stay lists (one per row)."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^.]+)', path)
    keys = [a.replace('""', '"') if a else b for a, b in parts]

    def get(obj, ks):
        if obj is None:
            return None
        if isinstance(obj, list):
            return [get(o, ks) for o in obj]
        if not ks:
            return obj
        return get(obj.get(ks[0]), ks[1:])

    return [get(r, keys) for r in rows]


def read_table(lake: Path, ds: dict) -> pa.Table:
    p = lake / ds["path"]
    fmt = ds["format"]
    if fmt == "delta":
        return DeltaTable(str(p)).to_pyarrow_table()
    if fmt == "parquet":
        if p.is_dir():
            part = "hive" if ds.get("partitioned") else None
            return pa_ds.dataset(str(p), format="parquet", partitioning=part).to_table()
        return pq.read_table(p)
    if fmt == "json":
        with pa.input_stream(str(p), compression="detect") as s:
            return pa_json.read_json(s)
    if fmt == "csv":
        names = [c["column_path"] for c in ds["columns"]]
        return pa_csv.read_csv(
            p, read_options=pa_csv.ReadOptions(encoding=ds.get("encoding", "utf-8")),
            parse_options=pa_csv.ParseOptions(delimiter=ds.get("delimiter", ",")),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                  strings_can_be_null=True, quoted_strings_can_be_null=True))
    raise ValueError(fmt)


# ----------------------------------------------------------------- checks


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed: list[str] = []

    def ok(self, cond: bool, what: str):
        if cond:
            self.passed += 1
        else:
            self.failed.append(what)
        return cond


def main(argv=None) -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--lake", default=str(repo / "fixtures" / "demo-lake"))
    ap.add_argument("--truth", default=None)
    args = ap.parse_args(argv)
    lake = Path(args.lake).resolve()
    truth_path = Path(args.truth) if args.truth else lake.parent / (lake.name + ".truth.json")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    C = Checker()
    C.ok(truth.get("schema_version") == 1, "schema_version == 1")

    covered: set[Path] = set()
    cells: dict[tuple[str, str], list] = {}
    for ds in truth["datasets"]:
        path = ds["path"]
        p = lake / path
        if not C.ok(p.exists(), f"{path}: exists"):
            continue
        covered.add(p)
        for c in ds["columns"]:
            for e in c["entities"]:
                C.ok(e in ENTITIES, f"{path}:{c['column_path']}: known entity {e}")
        if ds["status"] == "unsupported":
            C.ok(ds["columns"] == [], f"{path}: unsupported has no columns")
            data = p.read_bytes()
            if ds["format"] == "orc":
                C.ok(pa_orc.read_table(str(p)).num_rows > 0, f"{path}: valid ORC")
            elif ds["format"] == "avro":
                C.ok(data[:4] == b"Obj\x01", f"{path}: Avro magic")
            elif ds["format"] == "xlsx":
                C.ok("xl/workbook.xml" in zipfile.ZipFile(p).namelist(), f"{path}: xlsx zip")
            continue
        if ds["format"] == "csv" and p.stat().st_size == 0:
            C.ok(ds["rows"] == 0 and ds["columns"] == [], f"{path}: empty file has no rows/columns")
            continue
        if ds["format"] == "csv" and ds.get("encoding") == "cp1252":
            raw = p.read_bytes()
            try:
                raw.decode("utf-8")
                C.ok(False, f"{path}: must not be valid UTF-8")
            except UnicodeDecodeError:
                C.ok(True, "")
            text = raw.decode("cp1252")
            C.ok(any(ch in text for ch in "äöüÄÖÜß"), f"{path}: has umlauts/ß")
        if ds["format"] == "delta":
            C.ok(DeltaTable(str(p)).version() >= 1 and DeltaTable(str(p)).version() == ds.get("version"),
                 f"{path}: delta version")
        try:
            t = read_table(lake, ds)
        except Exception as e:  # noqa: BLE001
            C.ok(False, f"{path}: read failed: {e}")
            continue
        C.ok(t.num_rows == ds["rows"], f"{path}: rows {t.num_rows} != truth {ds['rows']}")
        if ds.get("files") is not None and p.is_dir() and ds["format"] == "parquet":
            n = len([f for f in p.rglob("*.parquet") if not f.name.startswith((".", "_"))])
            C.ok(n == ds["files"], f"{path}: file count {n} != {ds['files']}")
        schema_paths: dict = {}
        for f in t.schema:
            flatten(f, "", False, schema_paths)
        truth_paths = [c["column_path"] for c in ds["columns"]]
        C.ok(sorted(schema_paths) == sorted(truth_paths),
             f"{path}: columns differ: reader {sorted(schema_paths)} vs truth {sorted(truth_paths)}")
        rows = t.to_pylist()
        for c in ds["columns"]:
            cp = c["column_path"]
            vals = column_values(rows, cp)
            cells[(path, cp)] = vals
            is_list = schema_paths.get(cp, (False,))[0]
            C.ok(bool(c.get("list", False)) == bool(is_list), f"{path}:{cp}: list flag")
            if is_list:
                items = [e for v in vals if v is not None for e in v if e is not None]
            else:
                items = [v for v in vals if v is not None]
                C.ok(len(vals) - len(items) == c["nulls"], f"{path}:{cp}: nulls {len(vals) - len(items)} != {c['nulls']}")
            C.ok(len(items) == c["non_null"], f"{path}:{cp}: non_null {len(items)} != {c['non_null']}")
            ents = c["entities"]
            free_text = len(ents) > 1 or c.get("sparse")
            for e in ents:
                if free_text and e in FINDERS:
                    found = sum(1 for v in items if isinstance(v, str) and FINDERS[e](v))
                else:
                    fn = (lambda v, _p=cp: v_geo(v, _p)) if e == "GEO_COORDINATE" else WHOLE[e]
                    found = sum(1 for v in items if fn(v))
                C.ok(found == c["matches"][e], f"{path}:{cp}: {e} found {found} != truth {c['matches'][e]}")
                share = c["shares"][e] if "shares" in c else c["share"]
                C.ok(abs(share - (found / len(items) if items else 0)) < 1e-4, f"{path}:{cp}: {e} share")
            # no strong look-alike of an entity the column is not said to hold
            for e, fn in LEAKS.items():
                # phone digits (+49 151 ...) and IBAN digit groups can form Luhn-valid runs by chance
                if e in ents or (e == "CREDIT_CARD" and {"PHONE_NUMBER", "IBAN_CODE"} & set(ents)):
                    continue
                bad = [v for v in items if fn(str(v))]
                C.ok(not bad, f"{path}:{cp}: unexpected {e} look-alike, e.g. {str(bad[:1])[:12]}…")
            if c.get("trap") and "date" in c.get("trap", ""):
                bad = [v for v in items if v_dob(v.date() if isinstance(v, dt.datetime) else v)]
                C.ok(not bad, f"{path}:{cp}: trap date column has DOB-range values")
            if c.get("type") == "bool":
                C.ok(all(isinstance(v, bool) for v in items), f"{path}:{cp}: booleans")

    # every file in the lake is a dataset, inside one, or a known skip
    skipped = {lake / s["path"] for s in truth["skipped"]}
    for f in lake.rglob("*"):
        if not f.is_file():
            continue
        inside = any(f == d or d in f.parents for d in covered)
        C.ok(inside or f in skipped, f"file not in truth: {f.relative_to(lake)}")
    for s in skipped:
        C.ok(s.exists(), f"skipped file exists: {s.relative_to(lake)}")

    # RTBF subjects
    for s in truth.get("subjects", []):
        cc = re.match(r"\+(1|44|49|33|34)", s["phone_e164"])[1]
        for o in s["occurrences"]:
            vals = cells.get((o["path"], o["column_path"]), [])
            n = 0
            for v in vals:
                items = [it for it in (v if isinstance(v, list) else [v]) if isinstance(it, str)]
                if o["matched_on"] == "email":
                    n += any(s["email"] in it for it in items)
                elif o["matched_on"] == "name":
                    n += any(it == s["name"] for it in items)
                elif o["matched_on"] == "phone":
                    n += any(phone_e164(it, cc) == s["phone_e164"] for it in items)
            C.ok(n == o["rows"], f"subject {s['email']}: {o['path']}:{o['column_path']} {o['matched_on']} {n} != {o['rows']}")

    for f in C.failed:
        print(f"FAIL {f}")
    print(f"check-fixtures: {C.passed} passed, {len(C.failed)} failed")
    return 1 if C.failed else 0


if __name__ == "__main__":
    sys.exit(main())
