//! Every output one module reads from another, as an [`Expr`]: the one place
//! the views name another module's outputs (each module's `outputs.tf`
//! template defines them). Module labels come from [`names`].
use super::names;
use crate::hcl::Expr;

/// `modules/kms`.
pub mod kms {
    use super::*;

    pub fn key_arn() -> Expr {
        Expr::output(names::KMS_MODULE, "key_arn")
    }
}

/// `modules/network`.
pub mod network {
    use super::*;

    fn output(name: &str) -> Expr {
        Expr::output(names::NETWORK_MODULE, name)
    }

    pub fn vpc_id() -> Expr {
        output("vpc_id")
    }

    pub fn private_subnet_ids() -> Expr {
        output("private_subnet_ids")
    }

    pub fn isolated_subnet_ids() -> Expr {
        output("isolated_subnet_ids")
    }

    pub fn vpc_link_subnet_ids() -> Expr {
        output("vpc_link_subnet_ids")
    }

    pub fn s3_prefix_list_id() -> Expr {
        output("s3_prefix_list_id")
    }

    pub fn endpoints_security_group_id() -> Expr {
        output("endpoints_security_group_id")
    }
}

/// `modules/auth`.
pub mod auth {
    use super::*;

    fn output(name: &str) -> Expr {
        Expr::output(names::AUTH_MODULE, name)
    }

    pub fn user_pool_id() -> Expr {
        output("user_pool_id")
    }

    pub fn client_id() -> Expr {
        output("client_id")
    }

    pub fn issuer() -> Expr {
        output("issuer")
    }

    pub fn jwks_url() -> Expr {
        output("jwks_url")
    }
}

/// `modules/edge`: the per-service maps are keyed by the service's name.
pub mod edge {
    use super::*;

    fn output(name: &str) -> Expr {
        Expr::output(names::EDGE_MODULE, name)
    }

    pub fn api_id() -> Expr {
        output("api_id")
    }

    pub fn stage_name() -> Expr {
        output("stage_name")
    }

    pub fn api_endpoint() -> Expr {
        output("api_endpoint")
    }

    pub fn domain_target() -> Expr {
        output("domain_target")
    }

    pub fn alb_arn_suffix() -> Expr {
        output("alb_arn_suffix")
    }

    pub fn alb_dns_name() -> Expr {
        output("alb_dns_name")
    }

    pub fn alb_security_group_id() -> Expr {
        output("alb_security_group_id")
    }

    pub fn target_group_arn(service: &str) -> Expr {
        output("target_group_arns").at(service)
    }

    pub fn target_group_arn_suffixes() -> Expr {
        output("target_group_arn_suffixes")
    }

    pub fn target_group_arn_suffix(service: &str) -> Expr {
        target_group_arn_suffixes().at(service)
    }

    pub fn alternate_target_group_arn(service: &str) -> Expr {
        output("alternate_target_group_arns").at(service)
    }

    pub fn alternate_target_group_arn_suffixes() -> Expr {
        output("alternate_target_group_arn_suffixes")
    }

    pub fn production_listener_rule_arn(service: &str) -> Expr {
        output("production_listener_rule_arns").at(service)
    }

    pub fn test_listener_rule_arn(service: &str) -> Expr {
        output("test_listener_rule_arns").at(service)
    }
}

/// `modules/cluster`.
pub mod cluster {
    use super::*;

    fn output(name: &str) -> Expr {
        Expr::output(names::CLUSTER_MODULE, name)
    }

    pub fn cluster_arn() -> Expr {
        output("cluster_arn")
    }

    pub fn cluster_name() -> Expr {
        output("cluster_name")
    }

    pub fn namespace_id() -> Expr {
        output("service_discovery_namespace_id")
    }

    pub fn namespace_name() -> Expr {
        output("service_discovery_namespace_name")
    }
}

/// `modules/registry`.
pub mod registry {
    use super::*;

    pub fn repository_url(repository: &str) -> Expr {
        Expr::output(names::REGISTRY_MODULE, "repository_urls").at(repository)
    }
}

/// `modules/deploy_hook`.
pub mod deploy_hook {
    use super::*;

    pub fn function_arn() -> Expr {
        Expr::output(names::DEPLOY_HOOK_MODULE, "function_arn")
    }

    pub fn invoke_role_arn() -> Expr {
        Expr::output(names::DEPLOY_HOOK_MODULE, "invoke_role_arn")
    }
}

/// `modules/observability`.
pub mod observability {
    use super::*;

    pub fn alarm_topic_arn() -> Expr {
        Expr::output(names::OBSERVABILITY_MODULE, "alarm_topic_arn")
    }
}

/// `modules/service`, called `module` (an application or a dependency container).
pub mod service {
    use super::*;

    pub fn service_name(module: &str) -> Expr {
        Expr::output(module, "service_name")
    }

    /// Cloud Map hostname of a dependency container.
    pub fn hostname(module: &str) -> Expr {
        Expr::output(module, "hostname")
    }

    pub fn security_group_id(module: &str) -> Expr {
        Expr::output(module, "security_group_id")
    }
}

/// `modules/database`, called `module` (one RDS instance).
pub mod database {
    use super::*;

    pub fn address(module: &str) -> Expr {
        Expr::output(module, "address")
    }

    pub fn username(module: &str) -> Expr {
        Expr::output(module, "username")
    }

    /// The RDS-managed secret whose `password` key holds the password.
    pub fn password_secret_arn(module: &str) -> Expr {
        Expr::output(module, "password_secret_arn")
    }

    pub fn identifier(module: &str) -> Expr {
        Expr::output(module, "identifier")
    }

    pub fn security_group_id(module: &str) -> Expr {
        Expr::output(module, "security_group_id")
    }
}

/// `modules/broker` (Amazon MQ).
pub mod broker {
    use super::*;

    fn output(name: &str) -> Expr {
        Expr::output(names::BROKER_MODULE, name)
    }

    pub fn broker_name() -> Expr {
        output("broker_name")
    }

    pub fn broker_id() -> Expr {
        output("broker_id")
    }

    pub fn host() -> Expr {
        output("host")
    }

    pub fn username() -> Expr {
        output("username")
    }

    /// The secret whose `password` key holds the password.
    pub fn credentials_secret_arn() -> Expr {
        output("credentials_secret_arn")
    }

    pub fn security_group_id() -> Expr {
        output("security_group_id")
    }
}

/// `modules/secret`, called `module` (generated credentials).
pub mod secret {
    use super::*;

    pub fn username(module: &str) -> Expr {
        Expr::output(module, "username")
    }

    /// The secret whose `password` key holds the password.
    pub fn secret_arn(module: &str) -> Expr {
        Expr::output(module, "secret_arn")
    }
}

/// `modules/named_secrets`: the secrets a topology gives by name.
pub mod named_secrets {
    use super::*;

    /// ARN of a secret given by name (resolved at plan time).
    pub fn arn(name: &str) -> Expr {
        Expr::output(names::NAMED_SECRETS_MODULE, "arns").at(name)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn named_secrets_resolve_through_their_module() {
            assert_eq!(
                super::arn("app/key").to_string(),
                r#"module.named_secrets.arns["app/key"]"#
            );
        }
    }
}
