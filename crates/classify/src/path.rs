//! Column paths and flattening nested Arrow columns into leaves.
//!
//! `column_path` is dot-separated for nested fields (`customer.contact.email`);
//! a list element adds no segment (`emails`); a segment containing `.` or `"`
//! is double-quoted with `"` doubled, as SQL does (`attrs."a.b"`).

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;

/// Render path segments as a `column_path`.
pub fn column_path(segments: &[String]) -> String {
    segments
        .iter()
        .map(|s| {
            if s.contains('.') || s.contains('"') {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The segments of a `column_path` (the inverse of [`column_path`]).
pub fn segments(column_path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = column_path.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) if cur.is_empty() => quoted = true,
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => quoted = false,
            ('.', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Flatten one top-level column into `(segments, leaf array)` pairs.
pub fn flatten(segments: Vec<String>, array: &ArrayRef, out: &mut Vec<(Vec<String>, ArrayRef)>) {
    match array.data_type() {
        DataType::Struct(fields) => {
            let s = array.as_struct();
            for (i, f) in fields.iter().enumerate() {
                let mut p = segments.clone();
                p.push(f.name().clone());
                flatten(p, s.column(i), out);
            }
        }
        DataType::List(_) => {
            let l = array.as_list::<i32>();
            let offs = l.value_offsets();
            let (a, b) = (offs[0] as usize, offs[offs.len() - 1] as usize);
            flatten(segments, &l.values().slice(a, b - a), out);
        }
        DataType::LargeList(_) => {
            let l = array.as_list::<i64>();
            let offs = l.value_offsets();
            let (a, b) = (offs[0] as usize, offs[offs.len() - 1] as usize);
            flatten(segments, &l.values().slice(a, b - a), out);
        }
        DataType::FixedSizeList(_, n) => {
            let l = array.as_fixed_size_list();
            let n = *n as usize;
            flatten(
                segments,
                &l.values().slice(l.offset() * n, l.len() * n),
                out,
            );
        }
        DataType::Map(_, _) => {
            let m = array.as_map();
            let offs = m.value_offsets();
            let (a, b) = (offs[0] as usize, offs[offs.len() - 1] as usize);
            let mut k = segments.clone();
            k.push("key".into());
            flatten(k, &m.keys().slice(a, b - a), out);
            let mut v = segments;
            v.push("value".into());
            flatten(v, &m.values().slice(a, b - a), out);
        }
        DataType::Dictionary(_, value) => {
            // Matching works on the values; a cast keeps nulls and order.
            match arrow::compute::cast(array, value) {
                Ok(a) => flatten(segments, &a, out),
                Err(_) => out.push((segments, array.clone())),
            }
        }
        _ => out.push((segments, array.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_invert_column_path() {
        for segs in [
            vec!["customer", "contact", "email"],
            vec!["emails"],
            vec!["attrs", "a.b", "say \"hi\""],
            vec!["\"x\".y"],
        ] {
            let segs: Vec<String> = segs.into_iter().map(String::from).collect();
            assert_eq!(segments(&column_path(&segs)), segs);
        }
    }
    use arrow::array::{ListBuilder, StringArray, StringBuilder, StructArray};
    use arrow::datatypes::Field;
    use std::sync::Arc;

    #[test]
    fn paths_quote_dots_and_quotes() {
        let p = |v: &[&str]| column_path(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            p(&["customer", "contact", "email"]),
            "customer.contact.email"
        );
        assert_eq!(p(&["attrs", "a.b"]), "attrs.\"a.b\"");
        assert_eq!(p(&["x\"y"]), "\"x\"\"y\"");
    }

    #[test]
    fn structs_and_lists_flatten() {
        let email: ArrayRef = Arc::new(StringArray::from(vec!["a@b.co", "c@d.co"]));
        let contact = StructArray::from(vec![(
            Arc::new(Field::new("email", DataType::Utf8, true)),
            email,
        )]);
        let mut lb = ListBuilder::new(StringBuilder::new());
        lb.values().append_value("x");
        lb.values().append_value("y");
        lb.append(true);
        lb.append(true);
        let list: ArrayRef = Arc::new(lb.finish());
        let mut out = Vec::new();
        flatten(
            vec!["contact".into()],
            &(Arc::new(contact) as ArrayRef),
            &mut out,
        );
        flatten(vec!["tags".into()], &list, &mut out);
        assert_eq!(out[0].0, vec!["contact", "email"]);
        assert_eq!(out[1].0, vec!["tags"]);
        assert_eq!(out[1].1.len(), 2);
    }
}
