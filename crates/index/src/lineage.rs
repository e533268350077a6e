//! OpenLineage run events (spec 2-0-2, JSON Lines) → lineage edges and
//! model-to-dataset links.
//!
//! Inputs and outputs are accumulated per `runId` across all events of the
//! run in the file (START / RUNNING / COMPLETE / FAIL — Spark often names the
//! inputs only in START); each run then yields every input × output edge once
//! (self-edges dropped), stamped with the run's latest event time and job.
//! Runs split across files yield their edges per file; consumers dedupe on
//! (run_id, source_uri, target_uri).
//!
//! Dataset identity: [`crate::dataset_uri`] of namespace + name. When the
//! namespace is not a storage location (a Hive / Glue table name) and a
//! `symlinks` identifier is (`s3://`, `abfss://`, `file`, …), the symlink's
//! URI is the identity, so lineage joins the catalog's `dataset_uri`s.
//!
//! Models: an output whose namespace starts with a configured model
//! namespace, or that carries a facet whose key contains `model` or `mlflow`,
//! is a [`ModelRecord`] (not an edge target); every input of its run becomes a
//! [`ModelInput`].
//!
//! `report.events` counts accepted run events; dataset and job events
//! (no `run`) are `skipped`.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::event::{ser_time, ParseReport};
use crate::gz::for_each_json_line;
use crate::uri::{dataset_uri, is_storage_namespace};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineageEdge {
    pub source_uri: String,
    pub target_uri: String,
    pub job_namespace: String,
    pub job_name: String,
    pub run_id: String,
    #[serde(serialize_with = "ser_time")]
    pub event_time: DateTime<Utc>,
    /// From the target's `columnLineage` facet: `Some(true)` when every
    /// field derived from the source is masked, `Some(false)` when some is
    /// not, `None` without column lineage for this pair.
    pub masked: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRecord {
    pub model_uri: String,
    pub model_name: String,
    pub model_version: Option<String>,
    pub run_id: String,
    #[serde(serialize_with = "ser_time")]
    pub event_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelInput {
    pub model_uri: String,
    pub dataset_uri: String,
    pub run_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineageBatch {
    pub edges: Vec<LineageEdge>,
    pub models: Vec<ModelRecord>,
    pub model_inputs: Vec<ModelInput>,
    pub report: ParseReport,
}

#[derive(Default)]
struct Output {
    uri: String,
    /// input URI → every field derived from it is masked so far.
    column_masked: BTreeMap<String, bool>,
}

struct Model {
    uri: String,
    name: String,
    version: Option<String>,
}

struct Run {
    job_namespace: String,
    job_name: String,
    event_time: DateTime<Utc>,
    inputs: Vec<String>,
    outputs: Vec<Output>,
    models: Vec<Model>,
    /// Raw namespace+name URI → resolved identity (for column lineage).
    aliases: HashMap<String, String>,
}

/// Parse OpenLineage JSON Lines. `model_namespaces` are namespace prefixes
/// of model registries (e.g. `["mlflow://", "models:/"]`).
pub fn parse_openlineage(
    reader: impl BufRead,
    _source: &str,
    model_namespaces: &[&str],
) -> LineageBatch {
    let mut report = ParseReport::default();
    let mut runs: Vec<(String, Run)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for_each_json_line(
        reader,
        &mut report,
        |n, _line, v, report| match parse_event(&v, model_namespaces) {
            Ok(None) => report.skipped += 1,
            Ok(Some(ev)) => {
                report.events += 1;
                let i = *index.entry(ev.run_id.clone()).or_insert_with(|| {
                    runs.push((
                        ev.run_id.clone(),
                        Run {
                            job_namespace: ev.job_namespace.clone(),
                            job_name: ev.job_name.clone(),
                            event_time: ev.event_time,
                            inputs: Vec::new(),
                            outputs: Vec::new(),
                            models: Vec::new(),
                            aliases: HashMap::new(),
                        },
                    ));
                    runs.len() - 1
                });
                merge(&mut runs[i].1, ev);
            }
            Err(reason) => report.malformed(n, reason),
        },
    );
    let mut batch = LineageBatch {
        report,
        ..Default::default()
    };
    for (run_id, run) in runs {
        emit(&mut batch, run_id, run);
    }
    batch
}

struct Event {
    run_id: String,
    job_namespace: String,
    job_name: String,
    event_time: DateTime<Utc>,
    inputs: Vec<(String, String)>,
    /// (resolved, raw, output facets merged)
    outputs: Vec<(String, String, Map<String, Value>)>,
    models: Vec<Model>,
}

fn s<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

fn parse_event(v: &Value, model_namespaces: &[&str]) -> Result<Option<Event>, String> {
    if !v.is_object() {
        return Err("event is not a JSON object".into());
    }
    if v.get("run").is_none() {
        return if v.get("dataset").is_some() || v.get("job").is_some() {
            Ok(None)
        } else {
            Err("missing run".into())
        };
    }
    let run_id = s(v, &["run", "runId"]).ok_or("missing run.runId")?;
    let event_time = s(v, &["eventTime"])
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or("missing or invalid eventTime")?
        .with_timezone(&Utc);
    let job_namespace = s(v, &["job", "namespace"]).ok_or("missing job.namespace")?;
    let job_name = s(v, &["job", "name"]).ok_or("missing job.name")?;
    let mut ev = Event {
        run_id: run_id.to_string(),
        job_namespace: job_namespace.to_string(),
        job_name: job_name.to_string(),
        event_time,
        inputs: Vec::new(),
        outputs: Vec::new(),
        models: Vec::new(),
    };
    for (i, ds) in datasets(v, "inputs")?.iter().enumerate() {
        let (resolved, raw) =
            identity(ds).ok_or_else(|| format!("input {} has no namespace/name", i + 1))?;
        ev.inputs.push((resolved, raw));
    }
    for (i, ds) in datasets(v, "outputs")?.iter().enumerate() {
        let ns = s(ds, &["namespace"]).unwrap_or("");
        let name = s(ds, &["name"]).unwrap_or("");
        if ns.is_empty() || name.is_empty() {
            return Err(format!("output {} has no namespace/name", i + 1));
        }
        let mut facets = Map::new();
        for key in ["facets", "outputFacets"] {
            if let Some(Value::Object(m)) = ds.get(key) {
                facets.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        let model_facet = facets.iter().find(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k.contains("model") || k.contains("mlflow")
        });
        if model_namespaces.iter().any(|p| ns.starts_with(p)) || model_facet.is_some() {
            ev.models.push(model(ns, name, model_facet.map(|(_, v)| v)));
        } else {
            let (resolved, raw) = identity(ds).expect("namespace and name checked");
            ev.outputs.push((resolved, raw, facets));
        }
    }
    Ok(Some(ev))
}

fn datasets<'v>(v: &'v Value, key: &str) -> Result<&'v [Value], String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(format!("{key} is not an array")),
    }
}

/// (identity, raw namespace+name URI) of a dataset.
fn identity(ds: &Value) -> Option<(String, String)> {
    let ns = s(ds, &["namespace"])?;
    let name = s(ds, &["name"])?;
    let raw = dataset_uri(ns, name);
    if !is_storage_namespace(ns) {
        if let Some(ids) = ds
            .get("facets")
            .and_then(|f| f.get("symlinks"))
            .and_then(|f| f.get("identifiers"))
            .and_then(Value::as_array)
        {
            for id in ids {
                if let (Some(sns), Some(sname)) = (s(id, &["namespace"]), s(id, &["name"])) {
                    if is_storage_namespace(sns) {
                        return Some((dataset_uri(sns, sname), raw));
                    }
                }
            }
        }
    }
    Some((raw.clone(), raw))
}

fn model(ns: &str, name: &str, facet: Option<&Value>) -> Model {
    let uri = if ns.contains("://") {
        dataset_uri(ns, name)
    } else {
        format!("{}/{}", ns.trim_end_matches('/'), name.trim_matches('/'))
    };
    let field = |keys: &[&str]| -> Option<String> {
        let f = facet?;
        keys.iter().find_map(|k| match f.get(k)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let mut model_name = field(&["name", "modelName", "model_name", "registeredModelName"]);
    let mut version = field(&["version", "modelVersion", "model_version"]);
    if model_name.is_none() {
        let trimmed = name.trim_matches('/');
        match trimmed.rsplit_once('/') {
            Some((n, v))
                if version.is_none() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) =>
            {
                model_name = Some(n.to_string());
                version = Some(v.to_string());
            }
            _ => model_name = Some(trimmed.to_string()),
        }
    }
    Model {
        uri,
        name: model_name.unwrap_or_default(),
        version,
    }
}

fn push_unique(v: &mut Vec<String>, x: String) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn merge(run: &mut Run, ev: Event) {
    if ev.event_time > run.event_time {
        run.event_time = ev.event_time;
    }
    for (resolved, raw) in ev.inputs {
        run.aliases.insert(raw, resolved.clone());
        push_unique(&mut run.inputs, resolved);
    }
    for (resolved, raw, facets) in ev.outputs {
        run.aliases.insert(raw, resolved.clone());
        let pos = match run.outputs.iter().position(|o| o.uri == resolved) {
            Some(p) => p,
            None => {
                run.outputs.push(Output {
                    uri: resolved,
                    ..Default::default()
                });
                run.outputs.len() - 1
            }
        };
        if let Some(fields) = facets
            .get("columnLineage")
            .and_then(|c| c.get("fields"))
            .and_then(Value::as_object)
        {
            // The latest event's column lineage replaces earlier ones.
            let mut col = BTreeMap::new();
            for field in fields.values() {
                let legacy_masked = s(field, &["transformationType"]) == Some("MASKED");
                let Some(ins) = field.get("inputFields").and_then(Value::as_array) else {
                    continue;
                };
                for inf in ins {
                    let (Some(ns), Some(name)) = (s(inf, &["namespace"]), s(inf, &["name"])) else {
                        continue;
                    };
                    let masked = legacy_masked || transformations_masked(inf);
                    let entry = col.entry(dataset_uri(ns, name)).or_insert(true);
                    *entry &= masked;
                }
            }
            run.outputs[pos].column_masked = col;
        }
    }
    for m in ev.models {
        if !run.models.iter().any(|x| x.uri == m.uri) {
            run.models.push(m);
        }
    }
}

fn transformations_masked(input_field: &Value) -> bool {
    let Some(ts) = input_field.get("transformations").and_then(Value::as_array) else {
        return false;
    };
    !ts.is_empty()
        && ts.iter().any(|t| {
            t.get("masking").and_then(Value::as_bool) == Some(true)
                || s(t, &["type"]) == Some("MASKED")
                || s(t, &["subtype"]) == Some("MASKED")
        })
}

fn emit(batch: &mut LineageBatch, run_id: String, run: Run) {
    for out in &run.outputs {
        // Column lineage names inputs by namespace+name; map through aliases.
        let masked_by_input: HashMap<&str, bool> = out
            .column_masked
            .iter()
            .map(|(k, &m)| (run.aliases.get(k).map_or(k.as_str(), String::as_str), m))
            .collect();
        for input in &run.inputs {
            if *input == out.uri {
                continue;
            }
            batch.edges.push(LineageEdge {
                source_uri: input.clone(),
                target_uri: out.uri.clone(),
                job_namespace: run.job_namespace.clone(),
                job_name: run.job_name.clone(),
                run_id: run_id.clone(),
                event_time: run.event_time,
                masked: masked_by_input.get(input.as_str()).copied(),
            });
        }
    }
    for m in &run.models {
        batch.models.push(ModelRecord {
            model_uri: m.uri.clone(),
            model_name: m.name.clone(),
            model_version: m.version.clone(),
            run_id: run_id.clone(),
            event_time: run.event_time,
        });
        for input in &run.inputs {
            batch.model_inputs.push(ModelInput {
                model_uri: m.uri.clone(),
                dataset_uri: input.clone(),
                run_id: run_id.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(lines: &[Value]) -> LineageBatch {
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        parse_openlineage(text.join("\n").as_bytes(), "t", &["mlflow://", "models:/"])
    }

    fn event(run: &str, t: &str, inputs: Value, outputs: Value) -> Value {
        serde_json::json!({
            "eventTime": t, "eventType": "COMPLETE", "run": {"runId": run},
            "job": {"namespace": "ns", "name": "job"}, "inputs": inputs, "outputs": outputs
        })
    }

    #[test]
    fn registry_model_uris_and_versions() {
        let b = batch(&[event(
            "r1",
            "2024-01-01T00:00:00Z",
            serde_json::json!([{"namespace": "s3://b", "name": "features"}]),
            serde_json::json!([{"namespace": "models:/", "name": "churn/12"}]),
        )]);
        assert_eq!(b.models.len(), 1);
        assert_eq!(b.models[0].model_uri, "models:/churn/12");
        assert_eq!(b.models[0].model_name, "churn");
        assert_eq!(b.models[0].model_version.as_deref(), Some("12"));
        assert_eq!(b.model_inputs[0].dataset_uri, "s3://b/features");
        assert!(b.edges.is_empty());
    }

    #[test]
    fn runs_merge_across_events_and_self_edges_are_dropped() {
        let b = batch(&[
            event(
                "r1",
                "2024-01-01T00:00:00Z",
                serde_json::json!([{"namespace": "s3://b", "name": "t"}, {"namespace": "s3://b", "name": "u"}]),
                serde_json::json!([]),
            ),
            event(
                "r2",
                "2024-01-01T00:00:30Z",
                serde_json::json!([{"namespace": "s3://b", "name": "x"}]),
                serde_json::json!([{"namespace": "s3://b", "name": "y"}]),
            ),
            event(
                "r1",
                "2024-01-01T00:01:00Z",
                serde_json::json!(null),
                serde_json::json!([{"namespace": "s3://b", "name": "t/"}]),
            ),
        ]);
        let edges: Vec<(&str, &str, &str)> = b
            .edges
            .iter()
            .map(|e| {
                (
                    e.run_id.as_str(),
                    e.source_uri.as_str(),
                    e.target_uri.as_str(),
                )
            })
            .collect();
        assert_eq!(
            edges,
            vec![
                ("r1", "s3://b/u", "s3://b/t"),
                ("r2", "s3://b/x", "s3://b/y")
            ]
        );
        assert_eq!(
            b.edges[0].event_time.to_rfc3339(),
            "2024-01-01T00:01:00+00:00"
        );
    }
}
