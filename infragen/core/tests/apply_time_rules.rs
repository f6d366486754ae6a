//! Rules the AWS API or the provider enforce at plan/apply time, or a week
//! later, that neither the schema nor checkov see (issue 8). Checked on every
//! rendered topology; scripts/checks/40-apply.sh proves them against the real
//! provider where moto can.
mod common;
use common::fixtures;

fn rendered() -> Vec<(String, std::collections::BTreeMap<String, String>)> {
    fixtures()
        .into_iter()
        .map(|(name, source)| {
            let model = infragen_core::load(&source, &format!("{name}.toml")).expect("valid");
            let files = infragen_core::render::render(&model)
                .expect("renders")
                .files;
            (name, files)
        })
        .collect()
}

/// The text of the first `resource "<kind>" "<label>"` block in `text`.
fn resource<'a>(text: &'a str, kind: &str) -> Option<&'a str> {
    let start = text.find(&format!("resource \"{kind}\" "))?;
    let end = text[start..]
        .find("\n}\n")
        .map_or(text.len(), |e| start + e);
    Some(&text[start..end])
}

#[test]
fn no_hard_coded_partition() {
    // E1: arn:aws only works in the aws partition (not aws-cn, aws-us-gov).
    // Modules take the partition from data.aws_partition; the root module's
    // ARNs come from the topology (given, or derived with the region's
    // partition: views::names unit tests).
    for (name, files) in rendered() {
        for (path, text) in &files {
            if path.starts_with("modules/") && path.ends_with(".tf") {
                assert!(
                    !text.contains("\"arn:aws:"),
                    "{name}: {path} hard-codes arn:aws:"
                );
            }
        }
    }
}

#[test]
fn flow_log_role_can_describe_log_groups() {
    // B5: the VPC Flow Logs role needs logs:DescribeLogGroups (AWS documentation).
    for (name, files) in rendered() {
        let network = &files["modules/network/main.tf"];
        if network.contains("log_destination_type     = \"s3\"") {
            continue; // no role: the log delivery service writes to the bucket
        }
        let policy = resource(network, "aws_iam_role_policy").expect("flow-log policy");
        assert!(
            policy.contains("logs:DescribeLogGroups"),
            "{name}: {policy}"
        );
    }
}

#[test]
fn ecs_services_redeploy_on_capacity_changes() {
    // A5: "force_new_deployment should be true when capacity_provider_strategy is being updated".
    for (name, files) in rendered() {
        let service = resource(&files["modules/service/main.tf"], "aws_ecs_service").unwrap();
        assert!(
            service.contains("force_new_deployment = true"),
            "{name}: {service}"
        );
    }
}

#[test]
fn cloud_map_keeps_failure_threshold() {
    // E3: failure_threshold is deprecated, but an empty
    // health_check_custom_config block is never stored by the provider and
    // replaces the Cloud Map service on every plan (provider issue #44285,
    // found by scripts/checks/40-apply.sh on the dev fixture).
    for (name, files) in rendered() {
        let service = &files["modules/service/main.tf"];
        if service.contains("health_check_custom_config") {
            assert!(service.contains("failure_threshold = 1"), "{name}");
        }
    }
}

#[test]
fn parameter_group_can_be_replaced_before_destroy() {
    // A7: create_before_destroy with a fixed name fails on replacement.
    for (name, files) in rendered() {
        if let Some(database) = files.get("modules/database/main.tf") {
            let group = resource(database, "aws_db_parameter_group").unwrap();
            assert!(group.contains("create_before_destroy = true"), "{name}");
            assert!(
                group.contains("name_prefix ") && !group.contains("\n  name "),
                "{name}: {group}"
            );
        }
    }
}

#[test]
fn dev_credentials_can_be_recreated_at_once() {
    // A6: a secret in its recovery window blocks its name: destroy + apply of a
    // dev stage within the window fails. Container credentials are dev-only.
    let mut seen = 0;
    for (name, files) in rendered() {
        if let Some(secret) = files.get("modules/secret/main.tf") {
            seen += 1;
            assert!(secret.contains("recovery_window_in_days = 0"), "{name}");
        }
    }
    assert!(seen > 0, "no topology renders the secret module");
}

/// The text of `module "<label>" {` … `}` in the root module.
fn module<'a>(root: &'a str, label: &str) -> Option<&'a str> {
    let start = root.find(&format!("module \"{label}\" {{"))?;
    let end = root[start..]
        .find("\n}\n")
        .map_or(root.len(), |e| start + e);
    Some(&root[start..end])
}

#[test]
fn stateful_dev_containers_never_run_twice_nor_on_spot() {
    // B7: a PostgreSQL or RabbitMQ container deployed 100 %/200 % runs two
    // instances behind one multivalue DNS name (split writes, stranded
    // messages); on Spot an interruption loses its task storage.
    let mut checked = 0;
    for (name, files) in rendered() {
        let root = &files["main.tf"];
        for label in ["database_inventory", "database_billing", "broker"] {
            let Some(call) = module(root, label) else {
                continue;
            };
            if !call.contains("./modules/service") {
                continue;
            }
            checked += 1;
            assert!(
                call.contains("single_task          = true"),
                "{name}: {call}"
            );
            assert!(!call.contains("FARGATE_SPOT"), "{name}: {call}");
        }
        for call in root.split("module \"service_").skip(1) {
            let call = &call[..call.find("\n}\n").unwrap_or(call.len())];
            assert!(!call.contains("single_task"), "{name}: {call}");
        }
        let service = &files["modules/service/main.tf"];
        assert!(
            service.contains("deployment_minimum_healthy_percent = var.single_task ? 0 : 100")
                && service
                    .contains("deployment_maximum_percent         = var.single_task ? 100 : 200"),
            "{name}: the service module ignores single_task"
        );
    }
    assert!(checked >= 3, "only {checked} container dependencies found");
}

#[test]
fn custom_domains_output_their_regional_target() {
    // B3: with a custom domain the execute-api endpoint is disabled; whoever
    // manages the DNS record needs the regional target.
    let mut domains = 0;
    for (name, files) in rendered() {
        let root_outputs = &files["outputs.tf"];
        let has_domain = files["main.tf"].contains("domain_name ");
        if !has_domain {
            assert!(!root_outputs.contains("api_domain_target"), "{name}");
            continue;
        }
        domains += 1;
        assert!(
            root_outputs.contains("value       = module.edge.domain_target"),
            "{name}: {root_outputs}"
        );
        assert!(
            files["modules/edge/outputs.tf"]
                .contains("domain_name_configuration[0].target_domain_name"),
            "{name}"
        );
    }
    assert!(domains >= 1, "no fixture has a custom domain");
}

/// The text of `output "<name>" {` … `}` in `text`.
fn output<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.find(&format!("output \"{name}\" {{"))?;
    let end = text[start..]
        .find("\n}\n")
        .map_or(text.len(), |e| start + e);
    Some(&text[start..end])
}

#[test]
fn services_wait_for_listeners_capacity_providers_and_secret_values() {
    // B8: ECS services are created only after their target group is behind a
    // listener, the cluster has its capacity providers, and a generated
    // secret has its first version.
    for (name, files) in rendered() {
        let edge = &files["modules/edge/outputs.tf"];
        let target_groups = output(edge, "target_group_arns").expect("target_group_arns");
        for listener in [
            "aws_lb_listener.public",
            "aws_lb_listener_rule.public",
            "aws_lb_listener.internal",
        ] {
            assert!(target_groups.contains(listener), "{name}: {target_groups}");
        }
        let cluster = &files["modules/cluster/outputs.tf"];
        assert!(
            output(cluster, "cluster_name")
                .expect("cluster_name")
                .contains("aws_ecs_cluster_capacity_providers.this.cluster_name"),
            "{name}"
        );
        assert!(
            output(cluster, "cluster_arn")
                .expect("cluster_arn")
                .contains("depends_on = [aws_ecs_cluster_capacity_providers.this]"),
            "{name}"
        );
        if let Some(secret) = files.get("modules/secret/outputs.tf") {
            assert!(
                output(secret, "secret_arn")
                    .expect("secret_arn")
                    .contains("depends_on = [aws_secretsmanager_secret_version.this]"),
                "{name}"
            );
        }
    }
}

#[test]
fn queue_alarms_are_not_silently_green_without_data() {
    // B4: a broker that stops publishing a queue's metrics must not leave its
    // alarms OK: missing data is INSUFFICIENT_DATA, and notified.
    let mut queues = 0;
    for (name, files) in rendered() {
        let observability = &files["modules/observability/main.tf"];
        for alarm in ["queue_depth", "dead_letters"] {
            let start = observability
                .find(&format!(
                    "resource \"aws_cloudwatch_metric_alarm\" \"{alarm}\""
                ))
                .expect("queue alarm");
            let block = &observability[start..];
            let block = &block[..block.find("\n}\n").unwrap_or(block.len())];
            queues += 1;
            assert!(
                block.contains("treat_missing_data        = \"missing\""),
                "{name}: {block}"
            );
            assert!(
                block.contains("insufficient_data_actions = local.alarm_actions"),
                "{name}: {block}"
            );
        }
    }
    assert!(queues > 0);
}

#[test]
fn rabbitmq_container_health_check_has_time_to_answer() {
    // B10: `rabbitmq-diagnostics ping` starts an Erlang VM; 5 s fail healthy
    // brokers on a busy task.
    let mut brokers = 0;
    for (name, files) in rendered() {
        let Some(call) = module(&files["main.tf"], "broker") else {
            continue;
        };
        if call.contains("./modules/service") {
            brokers += 1;
            assert!(call.contains("health_check_timeout = 20"), "{name}: {call}");
        }
        assert!(
            files["README.md"].contains("First apply: images before services"),
            "{name}"
        );
    }
    assert!(brokers >= 1);
}

#[test]
fn stage_singletons_and_costs_are_scoped() {
    // A8/D2: the account-wide scanning exists only where a stage owns it, and
    // its rule covers the project's repositories, never `*`. D3: the budget
    // counts the stage's cost allocation tag. E5: the provider tags everything.
    for (name, files) in rendered() {
        let registry = &files["modules/registry/main.tf"];
        assert!(
            !registry.contains("filter      = \"*\""),
            "{name}: {registry}"
        );
        if let Some(scanning) = resource(registry, "aws_ecr_registry_scanning_configuration") {
            assert!(scanning.contains("-*\"\n"), "{name}: {scanning}");
        }
        let budget = resource(
            &files["modules/observability/main.tf"],
            "aws_budgets_budget",
        )
        .unwrap();
        assert!(
            budget.contains("name   = \"TagKeyValue\""),
            "{name}: {budget}"
        );
        assert!(
            files["main.tf"].contains("budget_tag_filter         = \"user:Stage$"),
            "{name}"
        );
        assert!(files["versions.tf"].contains("default_tags {"), "{name}");
    }
}

#[test]
fn broker_log_groups_are_imported_not_created() {
    // E2: Amazon MQ creates its log group while it creates the broker; a
    // topology that adopts it imports it (never a create that would collide).
    let mut checked = 0;
    for (name, source) in common::fixtures() {
        if !source.contains("kind = \"amazon_mq\"") {
            continue;
        }
        let adopted = source.replacen("[broker]\n", "[broker]\nadopt_log_groups = true\n", 1);
        let model = infragen_core::load(&adopted, "t.toml").expect("valid");
        checked += 1;
        let files = infragen_core::render::render(&model)
            .expect("renders")
            .files;
        let root = &files["main.tf"];
        assert!(
            root.contains("to       = module.broker.aws_cloudwatch_log_group.broker[each.key]"),
            "{name}: {root}"
        );
        let broker = &files["modules/broker/main.tf"];
        let group = resource(broker, "aws_cloudwatch_log_group").expect("broker log group");
        assert!(group.contains("kms_key_id"), "{name}: {group}");
        assert!(group.contains("retention_in_days"), "{name}: {group}");
    }
    assert!(checked >= 2, "no Amazon MQ fixture");
}
