//! The one place where the views derive names that are not AWS resource
//! names: the root module's labels of its module calls, the Cloud Map namespace, API Gateway route
//! keys, ALB path patterns and the lookup of secrets given by name.
//!
//! Every AWS resource name comes from the model's registry
//! ([`crate::model::AwsNames`]), which checks them unique and within limits.

/// A Terraform identifier from a DNS-safe name: `api-gateway` → `api_gateway`.
pub fn ident(name: &str) -> String {
    name.replace('-', "_")
}

/// Root module label of the KMS key every module encrypts with.
pub const KMS_MODULE: &str = "kms";

/// Root module label of the VPC.
pub const NETWORK_MODULE: &str = "network";

/// Root module label of the Cognito user pool.
pub const AUTH_MODULE: &str = "auth";

/// Root module label of API Gateway and the internal ALB.
pub const EDGE_MODULE: &str = "edge";

/// Root module label of the ECS cluster.
pub const CLUSTER_MODULE: &str = "cluster";

/// Root module label of the ECR repositories.
pub const REGISTRY_MODULE: &str = "registry";

/// Root module label of the deployments' smoke-test function.
pub const DEPLOY_HOOK_MODULE: &str = "deploy_hook";

/// Root module label of the alarms, dashboard and budget.
pub const OBSERVABILITY_MODULE: &str = "observability";

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

/// Private DNS namespace of Cloud Map (container databases and broker).
pub fn discovery_namespace(prefix: &str) -> String {
    format!("{prefix}.internal")
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

/// Root module label of the lookup of the secrets given by name.
pub const NAMED_SECRETS_MODULE: &str = "named_secrets";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_patterns_replace_parameters() {
        assert_eq!(path_pattern("/api/{proxy+}"), "/api/*");
        assert_eq!(path_pattern("/api/movies/{id}"), "/api/movies/*");
    }
}
