//! Checks of one field that several sections share: a number in a range
//! (with its default), a log retention, a DNS-safe name, a reference by name.
use super::checks::{dns_name_problem, retention_hint, retention_ok, suggest_dns_name};
use crate::diagnostics::Problems;

/// Check `value` (or `default` when absent) is in `lo..=hi`; returns it clamped.
pub(super) fn ranged(
    p: &mut Problems,
    path: &str,
    value: Option<i64>,
    default: i64,
    lo: i64,
    hi: i64,
    help: &str,
) -> u32 {
    let v = value.unwrap_or(default);
    if v < lo || v > hi {
        p.invalid(path, format!("{v} is out of range {lo}–{hi}"), help);
    }
    v.clamp(lo.max(0), hi.min(u32::MAX as i64)) as u32
}

pub(super) fn retention(p: &mut Problems, path: &str, value: Option<i64>, default: u32) -> u32 {
    let v = value.unwrap_or(default as i64);
    if value.is_some() && !retention_ok(v) {
        p.invalid(
            path,
            format!("{v} days is not a CloudWatch Logs retention value"),
            retention_hint(v),
        );
    }
    v.clamp(1, 3653) as u32
}

pub(super) fn dns_name(p: &mut Problems, path: &str, what: &str, name: &str, max: usize) {
    if let Some(why) = dns_name_problem(name, max) {
        let suggestion = suggest_dns_name(name);
        let help = if !suggestion.is_empty() && suggestion != name && suggestion.len() <= max {
            format!("names become parts of AWS resource names; try `{suggestion}`")
        } else {
            format!(
                "use lowercase letters, digits and hyphens, starting with a letter, at most {max} characters"
            )
        };
        p.invalid(path, format!("{what} `{name}` {why}"), help);
    }
}

pub(super) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = candidates.collect();
    all.sort_unstable();
    all.dedup();
    let best = all
        .iter()
        .map(|c| (strsim::damerau_levenshtein(c, name), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min();
    match (best, all.is_empty()) {
        (Some((_, c)), _) => format!("did you mean `{c}`? Defined: {}", all.join(", ")),
        (None, false) => format!("defined: {}", all.join(", ")),
        (None, true) => "none is defined".to_string(),
    }
}
