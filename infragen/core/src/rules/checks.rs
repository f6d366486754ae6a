//! The rules' pure predicates: AWS limits and name shapes, each unit tested.
use ipnet::Ipv4Net;

/// CloudWatch Logs accepts only these retention values (days).
pub const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Is this a retention CloudWatch Logs accepts?
pub fn retention_ok(days: i64) -> bool {
    LOG_RETENTION_DAYS.contains(&days)
}

/// The nearest allowed retention values around `days`, for hints.
pub fn retention_hint(days: i64) -> String {
    let below = LOG_RETENTION_DAYS.iter().rev().find(|&&d| d < days);
    let above = LOG_RETENTION_DAYS.iter().find(|&&d| d > days);
    let near = match (below, above) {
        (Some(b), Some(a)) => format!("the nearest are {b} and {a}"),
        (Some(b), None) => format!("the largest is {b}"),
        (None, Some(a)) => format!("the smallest is {a}"),
        (None, None) => String::new(),
    };
    format!(
        "CloudWatch Logs accepts only 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days; {near}"
    )
}

/// Memory values (MiB) Fargate accepts with this CPU, or None for an invalid CPU.
pub fn fargate_memory_options(cpu: i64) -> Option<Vec<i64>> {
    let range = |from: i64, to: i64, step: i64| (from..=to).step_by(step as usize).collect();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122880, 8192),
        _ => return None,
    })
}

/// Valid Fargate CPU values.
pub const FARGATE_CPUS: &[i64] = &[256, 512, 1024, 2048, 4096, 8192, 16384];

/// Short description of the allowed memory for a CPU, for hints.
pub fn fargate_memory_hint(cpu: i64) -> String {
    match cpu {
        256 => "512, 1024 or 2048".into(),
        512 => "1024 to 4096 in steps of 1024".into(),
        1024 => "2048 to 8192 in steps of 1024".into(),
        2048 => "4096 to 16384 in steps of 1024".into(),
        4096 => "8192 to 30720 in steps of 1024".into(),
        8192 => "16384 to 61440 in steps of 4096".into(),
        16384 => "32768 to 122880 in steps of 8192".into(),
        _ => "—".into(),
    }
}

/// Why `name` is not a DNS-safe name of at most `max` characters, if it is not.
/// DNS-safe: lowercase ASCII letters, digits and hyphens, starting with a
/// letter, not ending with a hyphen, no `--`.
pub fn dns_name_problem(name: &str, max: usize) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > max {
        return Some(format!(
            "is {} characters long; at most {max} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "contains {c:?}; only lowercase letters, digits and hyphens are allowed"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a lowercase letter".into());
    }
    if name.ends_with('-') {
        return Some("must not end with a hyphen".into());
    }
    if name.contains("--") {
        return Some("must not contain two hyphens in a row".into());
    }
    None
}

/// A lowercase, DNS-safe version of `name`, for hints.
pub fn suggest_dns_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Is this a valid environment variable name?
pub fn env_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parse an IPv4 CIDR that must be written in canonical form (no host bits).
pub fn parse_cidr(text: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IPv4 CIDR block like 10.0.0.0/16"))?;
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has host bits set; the network address is {}",
            net.trunc()
        ));
    }
    Ok(net)
}

/// Usable addresses of an AWS subnet (AWS reserves 5 per subnet).
pub fn usable_addresses(net: &Ipv4Net) -> u64 {
    (1u64 << (32 - net.prefix_len())).saturating_sub(5)
}

/// `eu-west-3`, `us-gov-west-1`, `ap-southeast-2`…
pub fn region_ok(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .take(parts.len() - 1)
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// A domain name: labels of letters, digits and hyphens, at least two labels.
pub fn domain_ok(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').count() >= 2
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Loose e-mail shape check: `local@domain.tld`.
pub fn email_ok(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !local.contains(char::is_whitespace) && domain_ok(domain)
        }
        None => false,
    }
}

/// An API Gateway HTTP API route path: starts with `/`, segments non-empty,
/// a greedy `{name+}` only as the last segment.
pub fn route_problem(route: &str) -> Option<String> {
    if !route.starts_with('/') {
        return Some("must start with `/`".into());
    }
    if route == "/" {
        return None;
    }
    let segments: Vec<&str> = route[1..].split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            return Some("has an empty segment (`//` or a trailing `/`)".into());
        }
        if seg.starts_with('{') != seg.ends_with('}') {
            return Some(format!("segment `{seg}` has unbalanced braces"));
        }
        if seg.ends_with("+}") && i + 1 != segments.len() {
            return Some("a greedy `{name+}` segment must be the last".into());
        }
        if seg
            .chars()
            .any(|c| c.is_whitespace() || c == '?' || c == '#')
        {
            return Some(format!(
                "segment `{seg}` contains a character not allowed in a path"
            ));
        }
    }
    None
}

/// Does this image come from a private ECR repository of the region (reachable
/// through the VPC endpoints, without internet egress)?
pub fn pulls_from_private_ecr(image: &str, region: &str) -> bool {
    image.contains(&format!(".dkr.ecr.{region}.amazonaws.com/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_pairs() {
        assert_eq!(fargate_memory_options(256).unwrap(), vec![512, 1024, 2048]);
        assert!(fargate_memory_options(512).unwrap().contains(&4096));
        assert!(!fargate_memory_options(512).unwrap().contains(&512));
        assert!(fargate_memory_options(4096).unwrap().contains(&30720));
        assert!(!fargate_memory_options(8192).unwrap().contains(&17408));
        assert!(fargate_memory_options(8192).unwrap().contains(&20480));
        assert!(fargate_memory_options(16384).unwrap().contains(&122880));
        assert!(fargate_memory_options(16384).unwrap().contains(&40960));
        assert!(fargate_memory_options(300).is_none());
    }

    #[test]
    fn dns_names() {
        assert_eq!(dns_name_problem("inventory", 32), None);
        assert_eq!(dns_name_problem("api-gateway2", 32), None);
        assert!(dns_name_problem("Inventory", 32).is_some());
        assert!(dns_name_problem("2fast", 32).is_some());
        assert!(dns_name_problem("a-", 32).is_some());
        assert!(dns_name_problem("a--b", 32).is_some());
        assert!(dns_name_problem("a_b", 32).is_some());
        assert!(dns_name_problem("", 32).is_some());
        assert!(dns_name_problem(&"a".repeat(33), 32).is_some());
        assert_eq!(suggest_dns_name("My_Service"), "my-service");
    }

    #[test]
    fn retention() {
        assert!(retention_ok(365));
        assert!(!retention_ok(0));
        assert!(!retention_ok(31));
        assert!(retention_hint(31).contains("30 and 60"));
    }

    #[test]
    fn cidrs() {
        assert!(parse_cidr("10.0.0.0/16").is_ok());
        assert!(parse_cidr("10.0.0.1/16").unwrap_err().contains("host bits"));
        assert!(parse_cidr("10.0.0.0").is_err());
        assert!(parse_cidr("300.0.0.0/8").is_err());
        assert_eq!(usable_addresses(&"10.0.0.0/24".parse().unwrap()), 251);
    }

    #[test]
    fn misc() {
        assert!(region_ok("eu-west-3"));
        assert!(region_ok("us-gov-west-1"));
        assert!(!region_ok("europe"));
        assert!(!region_ok("eu-west"));
        assert!(env_name_ok("INVENTORY_URL"));
        assert!(!env_name_ok("1X"));
        assert!(!env_name_ok("A-B"));
        assert!(domain_ok("api.example.com"));
        assert!(!domain_ok("example"));
        assert!(!domain_ok("-a.com"));
        assert!(email_ok("ops@example.com"));
        assert!(!email_ok("ops.example.com"));
        assert_eq!(route_problem("/api/{proxy+}"), None);
        assert!(route_problem("api").is_some());
        assert!(route_problem("/api/{proxy+}/x").is_some());
        assert!(route_problem("/api//x").is_some());
    }
}
