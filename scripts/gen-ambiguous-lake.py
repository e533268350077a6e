#!/usr/bin/env python3
"""Generate fixtures/ambiguous-lake/ and fixtures/ambiguous-lake.truth.json.

Columns the rules alone cannot settle, for measuring the LLM check (issue 7):
persons vs companies, ICD-10 vs product codes that share their shape, names
in scripts the dictionaries do not cover, names the dictionaries only
partly know. Deterministic (seeded), standard library only; the output is
committed so nothing needs Python. Names and codes are small hand-written
lists, not Faker's providers (see shared/ENTITIES.md).

    python3 scripts/gen-ambiguous-lake.py
"""
import csv
import json
import os
import random

ROOT = os.path.join(os.path.dirname(__file__), "..", "fixtures")
LAKE = os.path.join(ROOT, "ambiguous-lake")
rng = random.Random(11)
ROWS = 80

CYRILLIC = (["Иван", "Ольга", "Дмитрий", "Наталья", "Сергей", "Анна", "Алексей", "Татьяна", "Михаил", "Екатерина"],
            ["Петров", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Козлов", "Новикова", "Морозов", "Волкова"])
GREEK = (["Γιώργος", "Μαρία", "Νίκος", "Ελένη", "Κώστας", "Σοφία", "Δημήτρης", "Κατερίνα"],
         ["Παπαδόπουλος", "Παπαδοπούλου", "Οικονόμου", "Γεωργίου", "Νικολάου", "Αθανασίου", "Δημητρίου", "Ιωάννου"])
CHINESE = (["伟", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰"], ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"])
KOREAN = (["민준", "서연", "지훈", "하은", "도윤", "지우"], ["김", "이", "박", "최", "정", "강"])
ARABIC = (["محمد", "فاطمة", "أحمد", "مريم", "علي", "نور"], ["العلي", "الحسن", "الخطيب", "النجار", "الشامي", "المصري"])

# First and last names the dictionaries know only in part (Finnish,
# Hungarian, Basque, Icelandic, Yoruba, Vietnamese).
PARTLY_KNOWN = (["Eero", "Zsófia", "Sigríður", "Guðrún", "Adebayo", "Chiamaka", "Oluwaseun", "Ngozi", "Tjaša",
                 "Hrafn", "Kaito", "Tanvir", "Kalani", "Tevita", "Sione", "Aino"],
                ["Virtanen", "Kovács", "Szabó", "Jónsdóttir", "Guðmundsson", "Adeyemi", "Okonkwo", "Fifita",
                 "Taufa", "Ólafsdóttir", "Oyelaran", "Lindqvist", "Mäkinen", "Tuilagi"])

COMPANY_WORDS = ["Nordwind", "Blue Harbor", "Acme", "Polar", "Granite", "Silverline", "Redwood", "Kestrel",
                 "Meridian", "Atlas", "Orbit", "Juniper", "Summit", "Harbor", "Vertex", "Cobalt"]
COMPANY_KINDS = ["Logistics", "Trading", "Systems", "Foods", "Textiles", "Analytics", "Holdings", "Tools"]
SUFFIXES = ["GmbH", "Inc", "Ltd", "S.A.", "LLC", "AG", "SARL", "B.V.", "Oy", "Kft"]

ICD10 = ["E11.9", "I10", "J45.909", "M54.5", "K21.9", "F32.9", "E78.5", "N39.0", "J06.9", "Z00.00",
         "I25.10", "E03.9", "G43.909", "L40.0", "K58.9", "M17.11", "H52.4", "J20.9", "R10.9", "E66.9"]


def product_code():
    # The shape of an ICD-10 code (letter, two digits, dot, digit), from a
    # product catalogue's numbering: the validator's structure check passes.
    return f"{rng.choice('ABCDEGHJLMN')}{rng.randint(10, 89)}.{rng.randint(0, 9)}"


def name(script):
    first, last = script
    if script is CHINESE or script is KOREAN:
        return rng.choice(last) + rng.choice(first)
    return f"{rng.choice(first)} {rng.choice(last)}"


def write(rel, header, rows):
    path = os.path.join(LAKE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def main():
    datasets = []

    scripts = [CYRILLIC, GREEK, CHINESE, KOREAN, ARABIC]
    rows = []
    for i in range(ROWS):
        rows.append([f"C{1000 + i}", name(scripts[i % len(scripts)]), name(PARTLY_KNOWN),
                     rng.choice(["RU", "GR", "CN", "KR", "EG", "FI"]), rng.randint(2015, 2024)])
    write("people/customers_intl.csv", ["customer_id", "full_name", "contact", "country", "signup_year"], rows)
    datasets.append({"path": "people/customers_intl.csv", "columns": [
        {"column_path": "customer_id", "entities": []},
        {"column_path": "full_name", "entities": ["PERSON"], "why": "names in Cyrillic, Greek, Chinese, Korean, Arabic"},
        {"column_path": "contact", "entities": ["PERSON"], "why": "names the dictionaries know only in part"},
        {"column_path": "country", "entities": []},
        {"column_path": "signup_year", "entities": []},
    ]})

    rows = []
    for i in range(ROWS):
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {rng.choice(SUFFIXES)}"
        partner = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
        rows.append([f"S{200 + i}", company, partner, rng.choice(["Berlin", "Lyon", "Leeds", "Madrid"])])
    write("vendors/suppliers.csv", ["supplier_id", "name", "partner", "city"], rows)
    datasets.append({"path": "vendors/suppliers.csv", "columns": [
        {"column_path": "supplier_id", "entities": []},
        {"column_path": "name", "entities": [], "trap": "company names with legal suffixes in a column called name"},
        {"column_path": "partner", "entities": [], "trap": "company names without suffixes"},
        {"column_path": "city", "entities": []},
    ]})

    rows = []
    for i in range(ROWS):
        rows.append([f"V{5000 + i}", f"P{rng.randint(10000, 99999)}", f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     rng.choice(ICD10), rng.choice(["A", "B", "C", "ICU"])])
    write("clinic/visits.csv", ["visit_id", "patient_ref", "visit_date", "code", "ward"], rows)
    datasets.append({"path": "clinic/visits.csv", "columns": [
        {"column_path": "visit_id", "entities": []},
        {"column_path": "patient_ref", "entities": []},
        {"column_path": "visit_date", "entities": []},
        {"column_path": "code", "entities": ["MEDICAL_CODE"], "why": "ICD-10 codes in a column called code"},
        {"column_path": "ward", "entities": []},
    ]})

    rows = []
    for i in range(ROWS):
        rows.append([f"SKU-{70000 + i}", product_code(), f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}", rng.randint(0, 900)])
    write("shop/products.csv", ["sku", "code", "price", "stock"], rows)
    datasets.append({"path": "shop/products.csv", "columns": [
        {"column_path": "sku", "entities": []},
        {"column_path": "code", "entities": [], "trap": "product codes shaped like ICD-10 codes"},
        {"column_path": "price", "entities": []},
        {"column_path": "stock", "entities": []},
    ]})

    truth = {
        "schema_version": 1,
        "generator": "scripts/gen-ambiguous-lake.py",
        "seed": 11,
        "lake": "ambiguous-lake",
        "conventions": {"entities": "every entity the column holds; [] for none; 'trap' explains a look-alike"},
        "datasets": datasets,
    }
    with open(os.path.join(ROOT, "ambiguous-lake.truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
