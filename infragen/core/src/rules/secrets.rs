//! `[service.secrets]` values: a Secrets Manager secret name or ARN (with an
//! optional `:json-key:version-stage:version-id` selector), or an SSM
//! parameter ARN, each part checked so that a typo fails here with its
//! line and column instead of at task start.
use super::regions::{partition, region_exists};
use crate::model::{SecretRef, SecretSource};

/// Why a reference is not valid, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadReference {
    pub message: String,
    pub hint: &'static str,
}

const NAME_HINT: &str = "use the secret's name (letters, digits and /_+=.@-) or its ARN, optionally followed by :json-key:version-stage:version-id";
const SECRET_ARN_HINT: &str = "use arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key:version-stage:version-id]";
const PARAMETER_ARN_HINT: &str = "use arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME";

fn bad(message: String, hint: &'static str) -> BadReference {
    BadReference { message, hint }
}

/// Parses one `[service.secrets]` value.
pub fn secret_reference(v: &str) -> Result<SecretRef, BadReference> {
    if v.starts_with("arn:") {
        return arn(v);
    }
    let (name, selector) = v
        .split_once(':')
        .map_or((v, ""), |(n, _)| (n, &v[n.len()..]));
    if !name_ok(name) {
        return Err(bad(
            format!("`{v}` is not a Secrets Manager secret name or ARN"),
            NAME_HINT,
        ));
    }
    check_selector(v, selector)?;
    Ok(SecretRef {
        source: SecretSource::Name(name.to_string()),
        selector: selector.to_string(),
    })
}

/// A Secrets Manager secret name: 1 to 512 of ASCII letters, digits and
/// `/_+=.@-`.
fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
}

/// `:json-key:version-stage:version-id` (three fields, any may be empty) or nothing.
fn check_selector(v: &str, selector: &str) -> Result<(), BadReference> {
    if selector.is_empty() || selector.split(':').count() == 4 {
        return Ok(());
    }
    Err(bad(
        format!("`{v}`: the part after the secret must be :json-key:version-stage:version-id"),
        "write all three fields, empty ones included: `NAME:key::` reads one JSON key of the current version",
    ))
}

fn arn(v: &str) -> Result<SecretRef, BadReference> {
    let parts: Vec<&str> = v.split(':').collect();
    let service = parts.get(2).copied().unwrap_or_default();
    let hint = match service {
        "secretsmanager" => SECRET_ARN_HINT,
        "ssm" => PARAMETER_ARN_HINT,
        _ => {
            return Err(bad(
                format!("`{v}` is neither a Secrets Manager secret nor an SSM parameter ARN"),
                "use arn:PARTITION:secretsmanager:… or arn:PARTITION:ssm:…",
            ));
        }
    };
    let (part, region, account) = (parts[1], parts.get(3), parts.get(4));
    let region = region.copied().unwrap_or_default();
    if !region_exists(region) {
        return Err(bad(format!("`{v}`: `{region}` is not an AWS region"), hint));
    }
    if part != partition(region) {
        return Err(bad(
            format!(
                "`{v}`: region {region} is in partition `{}`, not `{part}`",
                partition(region)
            ),
            hint,
        ));
    }
    let account = account.copied().unwrap_or_default();
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad(
            format!("`{v}`: `{account}` is not a 12-digit account ID"),
            hint,
        ));
    }
    if service == "ssm" {
        let name = parts[5..].join(":");
        return match name.strip_prefix("parameter/") {
            Some(p) if parts.len() == 6 && parameter_ok(p) => Ok(SecretRef {
                source: SecretSource::Parameter(v.to_string()),
                selector: String::new(),
            }),
            _ => Err(bad(format!("`{v}` is not an SSM parameter ARN"), hint)),
        };
    }
    match (parts.get(5), parts.get(6)) {
        (Some(&"secret"), Some(name)) if name_ok(name) => {
            let base = parts[..7].join(":");
            let selector = &v[base.len()..];
            check_selector(v, selector)?;
            Ok(SecretRef {
                source: SecretSource::SecretArn(base),
                selector: selector.to_string(),
            })
        }
        _ => Err(bad(
            format!("`{v}` is not a Secrets Manager secret ARN"),
            hint,
        )),
    }
}

/// An SSM parameter name after `parameter/`: letters, digits and `._-/`
/// (the ARN drops the leading `/` of a hierarchical name).
fn parameter_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 2048
        && !name.starts_with('/')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> SecretRef {
        secret_reference(v).unwrap_or_else(|e| panic!("{v}: {e:?}"))
    }

    fn err(v: &str) -> String {
        secret_reference(v).expect_err(v).message
    }

    #[test]
    fn names_keep_their_selector() {
        let r = ok("crud-master/staging/sentry:dsn::");
        assert_eq!(
            r.source,
            SecretSource::Name("crud-master/staging/sentry".into())
        );
        assert_eq!(r.selector, ":dsn::");
        assert_eq!(ok("app/key").selector, "");
    }

    #[test]
    fn arns_are_split_from_their_selector() {
        let r = ok("arn:aws:secretsmanager:eu-west-3:123456789012:secret:x-AbC123:key:AWSCURRENT:");
        assert_eq!(
            r.source,
            SecretSource::SecretArn(
                "arn:aws:secretsmanager:eu-west-3:123456789012:secret:x-AbC123".into()
            )
        );
        assert_eq!(r.selector, ":key:AWSCURRENT:");
        let p = ok("arn:aws-cn:ssm:cn-north-1:123456789012:parameter/app/token");
        assert!(matches!(p.source, SecretSource::Parameter(_)));
    }

    #[test]
    fn malformed_references_are_rejected() {
        assert!(err("").contains("not a Secrets Manager secret name"));
        assert!(err("has space").contains("not a Secrets Manager secret name"));
        assert!(err("app/key:dsn").contains("json-key:version-stage:version-id"));
        assert!(err("arn:aws:s3:::bucket").contains("neither"));
        assert!(
            err("arn:aws:ssm:eu-west-9:123456789012:parameter/x").contains("not an AWS region")
        );
        assert!(
            err("arn:aws:ssm:cn-north-1:123456789012:parameter/x").contains("partition `aws-cn`")
        );
        assert!(err("arn:aws:ssm:eu-west-3:*:parameter/x").contains("12-digit"));
        assert!(
            err("arn:aws:ssm:eu-west-3:123456789012:parameter/")
                .contains("not an SSM parameter ARN")
        );
        assert!(
            err("arn:aws:ssm:eu-west-3:123456789012:document/x")
                .contains("not an SSM parameter ARN")
        );
        assert!(
            err("arn:aws:secretsmanager:eu-west-3:123456789012:secret:*")
                .contains("not a Secrets Manager secret ARN")
        );
        assert!(
            err("arn:aws:secretsmanager:eu-west-3:123456789012:secret:x:k").contains("json-key")
        );
    }
}
