//! How long replaced catalog files are kept after a run: the `grace` of
//! [`crate::Catalog::vacuum`], which scans and ingests run when they finish
//! so that nightly commits do not pile up old manifests and replaced data
//! files.

use std::time::Duration;

/// The default grace: longer than any query over an older snapshot and any
/// commit of another writer (a shard of the same nightly scan) is expected
/// to take, shorter than the time between two nightly runs.
pub const DEFAULT_VACUUM_GRACE: Duration = Duration::from_secs(3600);

/// Parses a duration such as `1h`, `90m`, `30s`, `2d` or `0` (seconds when
/// no unit is given).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (expected e.g. 1h, 90m, 30s or 0)"))?;
    let secs = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "{text:?}: unknown duration unit {other:?} (use s, m, h or d)"
            ))
        }
    };
    n.checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration(" 30 s "), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("1.5h").unwrap_err().contains("unit"));
        assert!(parse_duration("h").unwrap_err().contains("not a duration"));
        assert!(parse_duration("3w")
            .unwrap_err()
            .contains("unknown duration unit"));
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
