//! What a stage owns and what it costs: flow logs, Container and Database
//! Insights, account-wide registry scanning, the budget's cost allocation tag.
use super::{BASE, fails, passes};
use crate::model::{ContainerInsights, DatabaseInsights, FlowLogDestination, FlowLogTraffic};

const PROJECT: &str = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n";

#[test]
fn flow_logs_default_to_the_stage() {
    // The base's environment is the default, `prod`: every flow each minute.
    let prod = passes("", "");
    assert_eq!(prod.network.flow_logs_traffic, FlowLogTraffic::All);
    assert_eq!(prod.network.flow_logs_aggregation_seconds, 60);
    assert_eq!(
        prod.network.flow_logs_destination,
        FlowLogDestination::Cloudwatch
    );
    let dev = passes(PROJECT, &format!("{PROJECT}environment = \"dev\"\n"));
    assert_eq!(dev.network.flow_logs_traffic, FlowLogTraffic::Reject);
    assert_eq!(dev.network.flow_logs_aggregation_seconds, 600);
    let chosen = passes(
        PROJECT,
        &format!(
            "{PROJECT}environment = \"dev\"\n[network]\nflow_logs_traffic = \"all\"\nflow_logs_aggregation_seconds = 60\nflow_logs_destination = \"s3\"\n"
        ),
    );
    assert_eq!(chosen.network.flow_logs_traffic, FlowLogTraffic::All);
    assert_eq!(chosen.network.flow_logs_aggregation_seconds, 60);
    assert_eq!(chosen.network.flow_logs_destination, FlowLogDestination::S3);
    // With S3 there is no flow-log group or role to name.
    assert!(
        !chosen
            .names
            .entries
            .iter()
            .any(|n| n.name.ends_with("/flow-logs") || n.name.ends_with("-flow-logs"))
    );
}

#[test]
fn flow_log_values_are_checked() {
    fails(
        PROJECT,
        &format!("{PROJECT}[network]\nflow_logs_aggregation_seconds = 300\n"),
        "network.flow_logs_aggregation_seconds",
        "300 seconds is not a flow-log aggregation interval",
    );
    fails(
        PROJECT,
        &format!("{PROJECT}[network]\nflow_logs_traffic = \"accept\"\n"),
        "network.flow_logs_traffic",
        "unknown variant",
    );
    fails(
        PROJECT,
        &format!("{PROJECT}[network]\nflow_logs_destination = \"kinesis\"\n"),
        "network.flow_logs_destination",
        "unknown variant",
    );
}

#[test]
fn insights_modes() {
    let prod = passes("", "");
    assert_eq!(prod.cluster.container_insights, ContainerInsights::Enhanced);
    let rds = prod.databases[0].rds().unwrap();
    assert_eq!(rds.database_insights, DatabaseInsights::Standard);
    let dev = passes(PROJECT, &format!("{PROJECT}environment = \"dev\"\n"));
    assert_eq!(dev.cluster.container_insights, ContainerInsights::Enabled);
    let advanced = passes(
        "[[database]]\nname = \"billing\"\n",
        "[[database]]\nname = \"billing\"\ndatabase_insights = \"advanced\"\n",
    );
    assert_eq!(
        advanced.databases[1].rds().unwrap().database_insights,
        DatabaseInsights::Advanced
    );
    fails(
        "[[database]]\nname = \"billing\"\n",
        "[[database]]\nname = \"billing\"\nkind = \"container\"\ndatabase_insights = \"standard\"\n",
        "database[1].database_insights",
        "a container database has none",
    );
    fails(
        "[broker]\n",
        "[cluster]\ncontainer_insights = true\n\n[broker]\n",
        "cluster.container_insights",
        "",
    );
}

#[test]
fn account_scanning_is_opt_in() {
    assert!(!passes("", "").operations.ecr.account_scanning);
    let owner = passes(
        "[operations]\n",
        "[operations.ecr]\naccount_scanning = true\n\n[operations]\n",
    );
    assert!(owner.operations.ecr.account_scanning);
}

#[test]
fn the_stage_tag_names_the_stage() {
    let m = passes(PROJECT, &format!("{PROJECT}environment = \"dev\"\n"));
    assert_eq!(m.project.tags["Stage"], "shop-dev");
    fails(
        PROJECT,
        &format!("{PROJECT}[project.tags]\nStage = \"mine\"\n"),
        "project.tags.Stage",
        "set by infragen",
    );
    assert!(BASE.contains(PROJECT));
}

#[test]
fn broker_log_groups_are_adopted_on_request() {
    let default = passes("", "");
    assert!(!default.amazon_mq().unwrap().1.adopt_log_groups);
    let adopted = passes("[broker]\n", "[broker]\nadopt_log_groups = true\n");
    assert!(adopted.amazon_mq().unwrap().1.adopt_log_groups);
    fails(
        "[broker]\n",
        "[broker]\nkind = \"container\"\nadopt_log_groups = true\n",
        "broker.adopt_log_groups",
        "no Amazon MQ log group to adopt",
    );
}
