//! The estimate as a table, Markdown (the README's cost section) or JSON,
//! alone or beside a second topology's.
use super::estimate::{Estimate, Line, fmt_num, money};
use super::prices::{Prices, Usage};
use std::fmt::Write as _;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Json,
}

fn assumptions(u: &Usage) -> Vec<(String, String)> {
    let amount =
        |flag: &str, value: String, what: &str| (flag.to_string(), format!("{value} {what}"));
    vec![
        amount("--hours", fmt_num(u.hours), "h a month"),
        amount(
            "--requests-millions",
            fmt_num(u.requests_millions),
            "M API requests",
        ),
        amount("--mau", u.mau.to_string(), "monthly active users"),
        amount("--log-gb", fmt_num(u.log_gb), "GB application logs"),
        amount("--flow-log-gb", fmt_num(u.flow_log_gb), "GB VPC flow logs"),
        amount("--nat-gb", fmt_num(u.nat_gb), "GB through NAT gateways"),
        amount(
            "--endpoint-gb",
            fmt_num(u.endpoint_gb),
            "GB through interface endpoints",
        ),
        amount(
            "--alb-lcu",
            fmt_num(u.alb_lcu),
            "load balancer capacity units",
        ),
        amount("--ecr-gb", fmt_num(u.ecr_gb), "GB of images"),
        amount(
            "--images-pushed",
            u.images_pushed.to_string(),
            "images pushed",
        ),
        amount(
            "--mq-storage-gb",
            fmt_num(u.mq_storage_gb),
            "GB broker storage",
        ),
    ]
}

fn region_note(prices: &Prices, estimates: &[&Estimate]) -> Option<String> {
    let other: Vec<&str> = estimates
        .iter()
        .map(|e| e.region.as_str())
        .filter(|r| *r != prices.meta.region)
        .collect();
    if other.is_empty() {
        None
    } else {
        let mut regions: Vec<&str> = other;
        regions.dedup();
        Some(format!(
            "The topology runs in {}; prices are {} list prices, which differ by region (often 5–20 % higher outside us-east-1).",
            regions.join(", "),
            prices.meta.region
        ))
    }
}

const NOTES: &[&str] = &[
    "Not included: data transfer out to the internet, Container Insights metrics, request-based KMS and Secrets Manager charges, backups beyond the free allowance, taxes.",
    "Fargate Spot is market-priced; the discount above is an assumption.",
    "Account-wide free tiers are not applied, except Cognito's first 10,000 MAU.",
];

/// Renders one estimate (or two side by side when `other` is given).
pub fn render(
    prices: &Prices,
    usage: &Usage,
    a: &Estimate,
    other: Option<&Estimate>,
    format: Format,
) -> String {
    match format {
        Format::Json => render_json(prices, usage, a, other),
        Format::Table => render_text(prices, usage, a, other, false),
        Format::Markdown => render_text(prices, usage, a, other, true),
    }
}

fn render_json(prices: &Prices, usage: &Usage, a: &Estimate, other: Option<&Estimate>) -> String {
    let mut v = serde_json::json!({
        "prices": prices.meta,
        "usage": usage,
        "estimate": a,
    });
    if let Some(b) = other {
        v["compare"] = serde_json::to_value(b).expect("estimate serializes");
        v["difference"] = serde_json::json!(round2(b.total - a.total));
    }
    serde_json::to_string_pretty(&v).expect("json") + "\n"
}

pub(super) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Rows matched by key: (component, detail A, A, detail B, B).
fn paired<'a>(
    a: &'a Estimate,
    b: &'a Estimate,
) -> Vec<(String, Option<&'a Line>, Option<&'a Line>)> {
    let mut rows: Vec<(String, Option<&Line>, Option<&Line>)> = Vec::new();
    for l in &a.lines {
        rows.push((
            l.key.clone(),
            Some(l),
            b.lines.iter().find(|x| x.key == l.key),
        ));
    }
    for l in &b.lines {
        if !a.lines.iter().any(|x| x.key == l.key) {
            rows.push((l.key.clone(), None, Some(l)));
        }
    }
    rows
}

fn render_text(
    prices: &Prices,
    usage: &Usage,
    a: &Estimate,
    other: Option<&Estimate>,
    md: bool,
) -> String {
    let mut out = String::new();
    text_header(&mut out, prices, a, other, md);
    let (headers, rows) = table(&prices.meta.currency, a, other);
    let numeric_from = if other.is_some() { 1 } else { 2 };
    if md {
        out.push_str(&md_table(&headers, &rows, numeric_from));
    } else {
        out.push_str(&text_table(&headers, &rows, numeric_from));
    }
    out.push('\n');
    for estimate in [a].into_iter().chain(other) {
        rollouts(&mut out, &prices.meta.currency, estimate, md);
    }
    text_footer(&mut out, prices, usage, a, other, md);
    out
}

/// Per service: the rollout timeline and the extra Fargate cost of one
/// deployment (on-demand prices; not in the monthly total).
fn rollouts(out: &mut String, cur: &str, estimate: &Estimate, md: bool) {
    let headers: Vec<String> = vec![
        "Service".into(),
        "Rollout".into(),
        format!("Extra per deployment ({cur})"),
    ];
    let per_deployment = |x: f64| format!("{x:.3}");
    let mut rows: Vec<Vec<String>> = estimate
        .rollouts
        .iter()
        .map(|r| {
            vec![
                r.service.clone(),
                r.timeline.clone(),
                per_deployment(r.extra_per_deployment),
            ]
        })
        .collect();
    let all: f64 = estimate
        .rollouts
        .iter()
        .map(|r| r.extra_per_deployment)
        .sum();
    rows.push(vec![
        "Every service once".into(),
        String::new(),
        per_deployment(all),
    ]);
    let title = format!(
        "Deployments of {}: blue/green, linear and canary run the new revision at full size beside the old one (up to twice the tasks) until the bake ends; the extra tasks are charged per deployment, not in the total.",
        estimate.topology
    );
    if md {
        let _ = writeln!(out, "{title}\n");
        out.push_str(&md_table(&headers, &rows, 2));
    } else {
        let _ = writeln!(out, "{title}");
        out.push_str(&text_table(&headers, &rows, 2));
    }
    out.push('\n');
}

/// What is estimated, and from which prices.
fn text_header(
    out: &mut String,
    prices: &Prices,
    a: &Estimate,
    other: Option<&Estimate>,
    md: bool,
) {
    let m = &prices.meta;
    let cur = &m.currency;
    if md {
        out.push_str(
            "<!-- Generated by `infragen cost --format markdown`; do not edit by hand. -->\n",
        );
        out.push_str("## Cost estimate\n\n");
        let _ = writeln!(
            out,
            "Monthly estimate for `{}`{}, from the embedded price table: **{}**, list prices as of **{}**, {cur} (source: {}). \
Fargate Spot assumed at a {:.0} % discount.\n",
            a.topology,
            other
                .map(|b| format!(" compared with `{}`", b.topology))
                .unwrap_or_default(),
            m.region,
            m.as_of,
            m.source,
            m.fargate_spot_discount * 100.0
        );
    } else {
        let _ = writeln!(
            out,
            "Monthly cost estimate: {}{}",
            a.topology,
            other
                .map(|b| format!(" vs {}", b.topology))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "Prices: {} list prices as of {}, {cur} ({}); Fargate Spot at -{:.0} %",
            m.region,
            m.as_of,
            m.source,
            m.fargate_spot_discount * 100.0
        );
        out.push('\n');
    }
}

/// Headers and rows: one estimate's lines with their assumptions, or two
/// side by side with the difference; the total last.
fn table(cur: &str, a: &Estimate, other: Option<&Estimate>) -> (Vec<String>, Vec<Vec<String>>) {
    let headers: Vec<String>;
    let mut rows: Vec<Vec<String>> = Vec::new();
    match other {
        None => {
            headers = vec![
                "Component".into(),
                "Assumption".into(),
                format!("{cur}/month"),
            ];
            for l in &a.lines {
                rows.push(vec![
                    l.component.clone(),
                    l.detail.clone(),
                    money(l.monthly),
                ]);
            }
            rows.push(vec!["Total".into(), String::new(), money(a.total)]);
        }
        Some(b) => {
            headers = vec![
                "Component".into(),
                a.topology.clone(),
                b.topology.clone(),
                "Difference".into(),
            ];
            for (_, la, lb) in paired(a, b) {
                let name = la.or(lb).map(|l| l.component.clone()).unwrap_or_default();
                let va = la.map(|l| l.monthly).unwrap_or(0.0);
                let vb = lb.map(|l| l.monthly).unwrap_or(0.0);
                rows.push(vec![
                    name,
                    la.map(|l| money(l.monthly)).unwrap_or_else(|| "-".into()),
                    lb.map(|l| money(l.monthly)).unwrap_or_else(|| "-".into()),
                    signed(vb - va),
                ]);
            }
            rows.push(vec![
                "Total".into(),
                money(a.total),
                money(b.total),
                signed(b.total - a.total),
            ]);
        }
    }
    (headers, rows)
}

/// The usage assumptions, the region note and what is not included.
fn text_footer(
    out: &mut String,
    prices: &Prices,
    usage: &Usage,
    a: &Estimate,
    other: Option<&Estimate>,
    md: bool,
) {
    if md {
        out.push_str("Usage assumptions (change them with the flags of `infragen cost`):\n\n");
        for (flag, text) in assumptions(usage) {
            let _ = writeln!(out, "- `{flag}`: {text}");
        }
        out.push('\n');
        if let Some(note) = region_note(prices, &[a].into_iter().chain(other).collect::<Vec<_>>()) {
            let _ = writeln!(out, "{note}\n");
        }
        for n in NOTES {
            let _ = writeln!(out, "- {n}");
        }
    } else {
        out.push_str("Assumptions: ");
        out.push_str(
            &assumptions(usage)
                .into_iter()
                .map(|(f, t)| format!("{t} ({f})"))
                .collect::<Vec<_>>()
                .join("; "),
        );
        out.push_str(".\n");
        if let Some(note) = region_note(prices, &[a].into_iter().chain(other).collect::<Vec<_>>()) {
            let _ = writeln!(out, "{note}");
        }
        for n in NOTES {
            let _ = writeln!(out, "{n}");
        }
    }
}

pub(super) fn signed(x: f64) -> String {
    let r = round2(x);
    if r > 0.0 {
        format!("+{r:.2}")
    } else if r < 0.0 {
        format!("{r:.2}")
    } else {
        "0.00".into()
    }
}

fn md_table(headers: &[String], rows: &[Vec<String>], numeric_from: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let align: Vec<&str> = (0..headers.len())
        .map(|i| if i >= numeric_from { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = if i + 1 == rows.len() {
            r.iter()
                .map(|c| {
                    if c.is_empty() {
                        String::new()
                    } else {
                        format!("**{c}**")
                    }
                })
                .collect()
        } else {
            r.iter().map(|c| c.replace('|', "\\|")).collect()
        };
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

fn text_table(headers: &[String], rows: &[Vec<String>], numeric_from: usize) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i >= numeric_from {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
            if i + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers);
    let total_width: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    out.push_str(&"-".repeat(total_width));
    out.push('\n');
    for (i, r) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            out.push_str(&"-".repeat(total_width));
            out.push('\n');
        }
        out.push_str(&line(r));
    }
    out
}
