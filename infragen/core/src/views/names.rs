//! The one place where the views derive names that the model does not carry:
//! Terraform module labels, ALB and namespace names, Cloud Map hostnames,
//! secret names, API Gateway route keys and ALB path patterns.
//!
//! AWS-facing names of services, databases and the broker come from the model
//! (`ServiceNames`, `identifier`), which checks them against the AWS limits.

/// A Terraform identifier from a DNS-safe name: `api-gateway` → `api_gateway`.
pub fn ident(name: &str) -> String {
    name.replace('-', "_")
}

/// Root module label of a service.
pub fn service_module(service: &str) -> String {
    format!("service_{}", ident(service))
}

/// Root module label of a database (RDS module or its container service).
pub fn database_module(database: &str) -> String {
    format!("database_{}", ident(database))
}

/// Root module label of the generated credentials of a container database.
pub fn database_credentials_module(database: &str) -> String {
    format!("database_{}_credentials", ident(database))
}

/// Root module label of the broker (Amazon MQ module or its container service).
pub const BROKER_MODULE: &str = "broker";

/// Root module label of the generated credentials of a container broker.
pub const BROKER_CREDENTIALS_MODULE: &str = "broker_credentials";

/// Name of the internal ALB: `<prefix>-internal`, cut to the 32-character
/// limit without a trailing hyphen.
pub fn alb_name(prefix: &str) -> String {
    let full = format!("{prefix}-internal");
    if full.len() <= 32 {
        return full;
    }
    let mut cut: String = prefix.chars().take(32).collect();
    while cut.ends_with('-') {
        cut.pop();
    }
    cut
}

/// Private DNS namespace of Cloud Map (container databases and broker).
pub fn discovery_namespace(prefix: &str) -> String {
    format!("{prefix}.internal")
}

/// Cloud Map hostname of a container database.
pub fn database_hostname(database: &str) -> String {
    format!("{database}-postgres")
}

/// Container name of a container database.
pub const POSTGRES_CONTAINER: &str = "postgres";

/// Container name of a container broker.
pub const RABBITMQ_CONTAINER: &str = "rabbitmq";

/// Name of the ECS service (also task family, IAM roles, security group) of a
/// container database or broker: `<identifier>-<container>`, so it never
/// takes the name of the app service of the same name (`<prefix>-inventory`).
pub fn infra_service(identifier: &str, container: &str) -> String {
    format!("{identifier}-{container}")
}

/// Log group of a container database or broker.
pub fn infra_log_group(prefix: &str, hostname: &str) -> String {
    format!("/ecs/{prefix}/{hostname}")
}

/// Secrets Manager name of a container database's credentials.
pub fn database_secret(prefix: &str, database: &str) -> String {
    format!("{prefix}/{database}/postgres")
}

/// Secrets Manager name of a container broker's credentials.
pub fn broker_secret(prefix: &str, broker: &str) -> String {
    format!("{prefix}/{broker}/amqp")
}

/// API Gateway route key of a topology route (every method).
pub fn route_key(path: &str) -> String {
    format!("ANY {path}")
}

/// ALB path pattern of an API Gateway path: `{proxy+}` and `{param}` become `*`.
pub fn path_pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('*');
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// ARN pattern of a secret given by name or ARN (with an optional
/// `:json-key:version-stage:version-id` suffix), for IAM policies.
pub fn secret_arn_pattern(reference: &str, region: &str) -> String {
    if reference.starts_with("arn:") {
        // arn:partition:secretsmanager:region:account:secret:name-suffix[:key:stage:id]
        reference.split(':').take(7).collect::<Vec<_>>().join(":")
    } else {
        let name = reference.split(':').next().unwrap_or(reference);
        let partition = partition(region);
        format!("arn:{partition}:secretsmanager:{region}:*:secret:{name}-*")
    }
}

/// AWS partition of a region: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_patterns_replace_parameters() {
        assert_eq!(path_pattern("/api/{proxy+}"), "/api/*");
        assert_eq!(path_pattern("/api/movies/{id}"), "/api/movies/*");
    }

    #[test]
    fn alb_name_fits_32_characters() {
        assert_eq!(alb_name("crud-master-prod"), "crud-master-prod-internal");
        let long = alb_name("a-very-long-project-name-for-testing-prod");
        assert!(long.len() <= 32 && !long.ends_with('-'));
    }

    #[test]
    fn secret_patterns() {
        assert_eq!(
            secret_arn_pattern("app/api-key:token::", "eu-west-3"),
            "arn:aws:secretsmanager:eu-west-3:*:secret:app/api-key-*"
        );
        assert_eq!(
            secret_arn_pattern(
                "arn:aws:secretsmanager:eu-west-3:123:secret:x-AbC:key::",
                "eu-west-3"
            ),
            "arn:aws:secretsmanager:eu-west-3:123:secret:x-AbC"
        );
        assert_eq!(
            secret_arn_pattern("app/api-key", "cn-north-1"),
            "arn:aws-cn:secretsmanager:cn-north-1:*:secret:app/api-key-*"
        );
        assert_eq!(
            secret_arn_pattern("app/api-key", "us-gov-west-1"),
            "arn:aws-us-gov:secretsmanager:us-gov-west-1:*:secret:app/api-key-*"
        );
    }
}
