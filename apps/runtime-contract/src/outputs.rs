//! The Terraform root outputs the operations commands (`infragen status`,
//! `deploy`, `users`, `token`, `release`) read after `terraform apply`.

pub const REGION: &str = "region";
pub const ECS_CLUSTER_NAME: &str = "ecs_cluster_name";
/// Map: topology service name (`inventory`) → ECS service name.
pub const ECS_SERVICE_NAMES: &str = "ecs_service_names";
pub const COGNITO_USER_POOL_ID: &str = "cognito_user_pool_id";
pub const COGNITO_CLIENT_ID: &str = "cognito_client_id";
pub const API_ENDPOINT: &str = "api_endpoint";
/// Map: topology service name → ECR repository URL, whose repository is
/// `<project>-<environment>/<image>` (`crud-master-prod/inventory-app`).
pub const ECR_REPOSITORY_URLS: &str = "ecr_repository_urls";
pub const ALARM_TOPIC_ARN: &str = "alarm_topic_arn";

/// Every output, with what it holds (documentation order).
pub const OUTPUTS: &[(&str, &str)] = &[
    (REGION, "the AWS region"),
    (ECS_CLUSTER_NAME, "the ECS cluster"),
    (
        ECS_SERVICE_NAMES,
        "map topology service name, e.g. `inventory`, → ECS service name",
    ),
    (COGNITO_USER_POOL_ID, "the Cognito user pool"),
    (COGNITO_CLIENT_ID, "the Cognito app client"),
    (API_ENDPOINT, "the API Gateway HTTP API's URL"),
    (
        ECR_REPOSITORY_URLS,
        "map topology service name, e.g. `inventory`, → ECR repository URL, whose repository is `<project>-<environment>/<image>`, e.g. `crud-master-prod/inventory-app`",
    ),
    (ALARM_TOPIC_ARN, "the SNS topic of the alarms"),
];
