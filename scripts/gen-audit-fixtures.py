#!/usr/bin/env python3
"""Generate the access-log and lineage fixtures that go with fixtures/demo-lake.

Deterministic (fixed seed, fixed clock); the output is committed, so tests and
the demo need no Python. The logs spell the lake as production would:
`s3://corp-lake/…` (S3 server access logs, CloudTrail) and
`https://corpdata.blob.core.windows.net/lake/…` (Azure Storage logs);
fixtures/demo.toml aliases both to the local demo lake.

Writes:
  fixtures/audit/s3-access/2024-05-0{1,2}-access.log      S3 server access logs
  fixtures/audit/cloudtrail/…CloudTrail_eu-west-1_….json.gz
  fixtures/audit/azure/storage-read.jsonl                  StorageBlobLogs lines
  fixtures/audit/openlineage/events.jsonl                  raw → cleaned → features → model
  fixtures/audit/truth.json                                what tests assert

Each log also holds malformed lines / records and events on objects outside
the lake, as real logs do.
"""
import gzip
import hashlib
import json
import os
import random

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "audit")
RNG = random.Random(42)

ACCOUNT = "123456789012"
ANALYST_ROLE = f"arn:aws:iam::{ACCOUNT}:role/analyst"
ETL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/etl-spark"
INTERN = f"arn:aws:iam::{ACCOUNT}:user/intern"
ML_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ml-training"

# (key in the bucket, dataset path in the demo lake)
OBJECTS = {
    "customers_us.parquet": "customers_us.parquet",
    "crm/contacts_gb.csv": "crm/contacts_gb.csv",
    "sales/region=eu/part-00000.parquet": "sales",
    "sales/region=us/part-00000.parquet": "sales",
    "nested/profiles.parquet": "nested/profiles.parquet",
    "events/web_events.jsonl": "events/web_events.jsonl",
    "delta/customers_delta/part-00000-1.snappy.parquet": "delta/customers_delta",
    "misc/hashes.parquet": "misc/hashes.parquet",
}


def s3_line(t, principal, op, key, status, size, err="-", session=None, ua="aws-cli/2.15.0"):
    requester = principal
    if session:
        role = principal.split(":role/")[1]
        requester = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"
    verb = {"REST.GET.OBJECT": "GET", "REST.HEAD.OBJECT": "HEAD", "REST.PUT.OBJECT": "PUT"}[op]
    rid = hashlib.sha1(f"{t}{key}{principal}{op}".encode()).hexdigest()[:16].upper()
    return (
        f"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be corp-lake "
        f"[{t} +0000] 192.0.2.{RNG.randint(2, 250)} {requester} {rid} {op} {key.replace('=', '%3D')} "
        f"\"{verb} /{key.replace('=', '%3D')} HTTP/1.1\" {status} {err} {size if status < 300 else '-'} "
        f"{size} 12 10 \"-\" \"{ua}\" - hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
        f"corp-lake.s3.eu-west-1.amazonaws.com TLSv1.2 - -"
    )


def write_s3():
    d = os.path.join(ROOT, "s3-access")
    os.makedirs(d, exist_ok=True)
    day1 = [
        s3_line("01/May/2024:08:00:01", ETL_ROLE, "REST.GET.OBJECT", "customers_us.parquet", 200, 48213, session="spark-job-17"),
        s3_line("01/May/2024:08:00:02", ETL_ROLE, "REST.GET.OBJECT", "crm/contacts_gb.csv", 200, 20480, session="spark-job-17"),
        s3_line("01/May/2024:09:10:00", ANALYST_ROLE, "REST.GET.OBJECT", "sales/region=eu/part-00000.parquet", 200, 9000, session="jane.doe@corp.example"),
        s3_line("01/May/2024:09:11:00", ANALYST_ROLE, "REST.GET.OBJECT", "sales/region=us/part-00000.parquet", 200, 9100, session="jane.doe@corp.example"),
        s3_line("01/May/2024:10:00:00", INTERN, "REST.GET.OBJECT", "customers_us.parquet", 403, 0, err="AccessDenied"),
        s3_line("01/May/2024:10:00:05", INTERN, "REST.HEAD.OBJECT", "customers_us.parquet", 200, 0),
        s3_line("01/May/2024:11:00:00", ANALYST_ROLE, "REST.GET.OBJECT", "misc/hashes.parquet", 200, 4000, session="bob"),
        s3_line("01/May/2024:12:00:00", ETL_ROLE, "REST.PUT.OBJECT", "cleaned/customers/part-00000.parquet", 200, 30000, session="spark-job-17"),
        "this line is not an access log record",
    ]
    day2 = [
        s3_line("02/May/2024:08:30:00", ANALYST_ROLE, "REST.GET.OBJECT", "customers_us.parquet", 200, 48213, session="jane.doe@corp.example"),
        s3_line("02/May/2024:08:31:00", ANALYST_ROLE, "REST.GET.OBJECT", "nested/profiles.parquet", 200, 15000, session="jane.doe@corp.example"),
        s3_line("02/May/2024:14:00:00", ANALYST_ROLE, "REST.GET.OBJECT", "other-team/report.csv", 200, 100, session="bob"),
    ]
    # Filler: routine reads by the ETL role, so selective queries have something to skip.
    keys = list(OBJECTS)
    for i in range(400):
        k = keys[i % len(keys)]
        day2.append(s3_line(f"02/May/2024:{(i // 60) % 24:02d}:{i % 60:02d}:30", ETL_ROLE, "REST.GET.OBJECT", k, 200, 1000 + i, session="nightly"))
    with open(os.path.join(d, "2024-05-01-access.log"), "w") as f:
        f.write("\n".join(day1) + "\n")
    with open(os.path.join(d, "2024-05-02-access.log"), "w") as f:
        f.write("\n".join(day2) + "\n")


def ct_record(t, arn, event, key, out_bytes=0, error=None, session=None):
    if session:
        role = arn.split(":role/")[1]
        ident = {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
            "accountId": ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": arn, "accountId": ACCOUNT, "userName": role}},
        }
    else:
        ident = {"type": "IAMUser", "arn": arn, "accountId": ACCOUNT, "userName": arn.rsplit("/", 1)[1]}
    rec = {
        "eventVersion": "1.09",
        "userIdentity": ident,
        "eventTime": t,
        "eventSource": "s3.amazonaws.com",
        "eventName": event,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "[aws-sdk-python/1.34.0]",
        "requestParameters": {"bucketName": "corp-lake", "key": key},
        "responseElements": None,
        "additionalEventData": {"bytesTransferredIn": 0, "bytesTransferredOut": out_bytes},
        "requestID": hashlib.sha1(f"{t}{key}{event}".encode()).hexdigest()[:16].upper(),
        "eventID": hashlib.sha1(f"ct{t}{key}{event}{arn}".encode()).hexdigest(),
        "readOnly": event in ("GetObject", "HeadObject"),
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
    }
    if error:
        rec["errorCode"] = error
        rec["errorMessage"] = "Access Denied"
    return rec


def write_cloudtrail():
    d = os.path.join(ROOT, "cloudtrail")
    os.makedirs(d, exist_ok=True)
    records = [
        ct_record("2024-05-03T07:00:00Z", ML_ROLE, "GetObject", "spark_out/part-00000-a.parquet", 70000, session="train-churn-v3"),
        ct_record("2024-05-03T07:05:00Z", ML_ROLE, "GetObject", "sales/region=eu/part-00000.parquet", 9000, session="train-churn-v3"),
        ct_record("2024-05-03T09:00:00Z", INTERN, "GetObject", "crm/contacts_gb.csv", 0, error="AccessDenied"),
        ct_record("2024-05-03T09:30:00Z", ANALYST_ROLE, "GetObject", "delta/customers_delta/part-00000-1.snappy.parquet", 5000, session="jane.doe@corp.example"),
        ct_record("2024-05-03T10:00:00Z", ETL_ROLE, "DeleteObject", "crm/old_contacts.csv", 0, session="cleanup"),
    ]
    # A management event (not S3 data) that must be skipped.
    mgmt = dict(records[0])
    mgmt = {**mgmt, "eventSource": "iam.amazonaws.com", "eventName": "ListRoles", "eventID": "mgmt-1"}
    payload = json.dumps({"Records": records + [mgmt]}, indent=1).encode()
    name = f"{ACCOUNT}_CloudTrail_eu-west-1_20240503T0700Z_demo.json.gz"
    with open(os.path.join(d, name), "wb") as f:
        # mtime=0: byte-identical output on every run.
        f.write(gzip.compress(payload, mtime=0))


def az_line(t, oid, upn, op, path, status, size):
    return json.dumps({
        "time": t,
        "resourceId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/corpdata/blobServices/default",
        "category": "StorageRead" if op in ("GetBlob", "GetBlobProperties") else "StorageWrite",
        "operationName": op,
        "statusCode": status,
        "statusText": "Success" if status < 300 else "AuthorizationPermissionMismatch",
        "callerIpAddress": "10.1.2.3:50012",
        "correlationId": hashlib.sha1(f"{t}{path}{op}".encode()).hexdigest(),
        "identity": {"type": "OAuth", "requester": {"objectId": oid, "upn": upn, "appId": "691458b9-1327-4635-9f55-ed83a7f1e7de"}},
        "uri": f"https://corpdata.blob.core.windows.net/lake/{path}?timeout=30",
        "properties": {"accountName": "corpdata", "responseBodySize": size, "userAgentHeader": "azsdk-python-storage-blob/12.19.0"},
    })


def write_azure():
    d = os.path.join(ROOT, "azure")
    os.makedirs(d, exist_ok=True)
    dpo = "fde5ba15-4355-4223-b811-cccccccccccc"
    lines = [
        az_line("2024-05-04T08:00:00.0000000Z", dpo, "dpo@corp.example", "GetBlob", "crm/contacts_gb.csv", 200, 20480),
        az_line("2024-05-04T08:05:00.0000000Z", dpo, "dpo@corp.example", "GetBlob", "events/web_events.jsonl", 200, 30000),
        az_line("2024-05-04T09:00:00.0000000Z", "0b1c2d3e-0000-4000-8000-000000000001", "contractor@partner.example", "GetBlob", "nested/profiles.parquet", 403, 0),
        '{"time": "2024-05-04T09:01:00Z", "operationName": ',
    ]
    with open(os.path.join(d, "storage-read.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")


def ol_event(t, etype, run, job, inputs, outputs):
    return json.dumps({
        "eventTime": t,
        "eventType": etype,
        "run": {"runId": run, "facets": {}},
        "job": {"namespace": "spark://emr-prod", "name": job, "facets": {}},
        "inputs": inputs,
        "outputs": outputs,
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    })


def ds(name, facets=None, ns="s3://corp-lake"):
    return {"namespace": ns, "name": name, "facets": facets or {}}


def col_lineage(fields):
    return {"columnLineage": {"_producer": "demo", "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json", "fields": fields}}


def field_from(name, field, masking):
    return {"inputFields": [{"namespace": "s3://corp-lake", "name": name, "field": field,
                             "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION", "description": "sha256" if masking else "", "masking": masking}]}]}


def write_lineage():
    d = os.path.join(ROOT, "openlineage")
    os.makedirs(d, exist_ok=True)
    ev = []
    # raw → cleaned: inputs only in START (as Spark does), outputs in COMPLETE.
    r1 = "01908f2a-0000-7000-8000-000000000001"
    ev.append(ol_event("2024-05-01T12:00:00Z", "START", r1, "clean_customers", [ds("customers_us.parquet"), ds("crm/contacts_gb.csv")], []))
    ev.append(ol_event("2024-05-01T12:05:00Z", "COMPLETE", r1, "clean_customers", [], [
        ds("cleaned/customers", col_lineage({
            "email": field_from("customers_us.parquet", "email", False),
            "phone_hash": field_from("crm/contacts_gb.csv", "mobile", True),
        }))]))
    # cleaned + sales → features (spark_out, in the lake).
    r2 = "01908f2a-0000-7000-8000-000000000002"
    ev.append(ol_event("2024-05-02T01:00:00Z", "START", r2, "build_features", [ds("cleaned/customers"), ds("sales")], []))
    ev.append(ol_event("2024-05-02T01:30:00Z", "COMPLETE", r2, "build_features", [], [ds("spark_out")]))
    # features → churn model (an MLflow model output).
    r3 = "01908f2a-0000-7000-8000-000000000003"
    ev.append(ol_event("2024-05-03T07:00:00Z", "START", r3, "train_churn", [ds("spark_out")], []))
    ev.append(ol_event("2024-05-03T07:40:00Z", "COMPLETE", r3, "train_churn", [], [
        {"namespace": "mlflow://models", "name": "churn", "facets": {"model": {"_producer": "demo", "version": "3"}}}]))
    # profiles → an export where every derived field is masked.
    r4 = "01908f2a-0000-7000-8000-000000000004"
    ev.append(ol_event("2024-05-03T12:00:00Z", "COMPLETE", r4, "export_partner", [ds("nested/profiles.parquet")], [
        ds("partner-exports/profiles_masked", col_lineage({
            "email_hash": field_from("nested/profiles.parquet", "customer.contact.email", True),
        }))]))
    # web events → a BI table in another account (outside the lake), unmasked.
    r5 = "01908f2a-0000-7000-8000-000000000005"
    ev.append(ol_event("2024-05-03T13:00:00Z", "COMPLETE", r5, "sessionize", [ds("events/web_events.jsonl")], [
        ds("bi/sessions", ns="s3://bi-warehouse")]))
    ev.append('{"eventType": "COMPLETE", "run": ')  # a truncated line
    with open(os.path.join(d, "events.jsonl"), "w") as f:
        f.write("\n".join(ev) + "\n")


def write_truth():
    truth = {
        "s3_access": {"files": 2, "events": 11 + 400, "malformed": 1},
        "cloudtrail": {"files": 1, "events": 5, "skipped": 1},
        "azure": {"files": 1, "events": 3, "malformed": 1},
        "openlineage": {"edges": 6, "models": 1, "model_inputs": 1, "malformed": 1},
        "note": "access events on objects of the demo lake map to its datasets through fixtures/demo.toml",
    }
    with open(os.path.join(ROOT, "truth.json"), "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    write_s3()
    write_cloudtrail()
    write_azure()
    write_lineage()
    write_truth()
