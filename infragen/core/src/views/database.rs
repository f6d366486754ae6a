//! `modules/database`: one call per RDS database and the module's flags;
//! the container alternative of a database, as a `modules/service` call with
//! its generated credentials.
use super::common::{DataPlacement, retention_skip, strings};
use super::module_outputs::{kms, secret};
use super::names;
use super::secret::CredentialsCall;
use super::service::{InfraContainer, ServiceCall, infra_container_call};
use crate::hcl::Expr;
use crate::model::{Container, Database, Model, Owner, Purpose, Rds};
use crate::rules::names::{POSTGRES_CONTAINER, database_hostname};
use serde::Serialize;
use std::collections::BTreeMap;

/// AWS names of an RDS instance's resources.
#[derive(Debug, Clone, Serialize)]
pub struct RdsNames {
    pub security_group: String,
    pub monitoring_role: String,
    pub postgresql_log_group: String,
    pub upgrade_log_group: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseCall {
    pub module: String,
    #[serde(flatten)]
    pub placement: DataPlacement,
    pub name: String,
    pub used_by: String,
    pub identifier: String,
    pub resource_names: RdsNames,
    pub engine_version: String,
    pub engine_major_version: u32,
    pub instance_class: String,
    pub db_name: String,
    pub allocated_storage: u32,
    pub max_allocated_storage: u32,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    pub log_retention_days: u32,
    pub database_insights_mode: &'static str,
    pub performance_insights_retention_days: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseFlags {
    pub log_retention_skip: Option<String>,
    pub multi_az_skip: Option<String>,
    pub deletion_protection_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseModule {
    pub database: DatabaseFlags,
}

/// The calls of the RDS databases, in file order.
pub(super) fn database_calls(model: &Model) -> Vec<DatabaseCall> {
    model
        .rds_databases()
        .map(|(database, rds)| {
            let names = |purpose| model.names.database(&database.name, purpose).to_string();
            database_call(model, database, rds, names)
        })
        .collect()
}

fn database_call(
    model: &Model,
    database: &Database,
    rds: &Rds,
    names: impl Fn(Purpose) -> String,
) -> DatabaseCall {
    DatabaseCall {
        module: super::names::database_module(&database.name),
        placement: DataPlacement::isolated(),
        name: database.name.clone(),
        used_by: database.used_by.join(", "),
        identifier: database.identifier.clone(),
        resource_names: RdsNames {
            security_group: names(Purpose::DataSecurityGroup),
            monitoring_role: names(Purpose::RdsMonitoringRole),
            postgresql_log_group: names(Purpose::RdsLogGroup),
            upgrade_log_group: names(Purpose::RdsUpgradeLogGroup),
        },
        engine_version: database.engine_version.clone(),
        engine_major_version: database.engine_major,
        instance_class: rds.instance_class.clone(),
        db_name: database.db_name.clone(),
        allocated_storage: rds.storage_gb,
        max_allocated_storage: rds.max_storage_gb,
        multi_az: rds.multi_az,
        backup_retention_days: rds.backup_retention_days,
        deletion_protection: rds.deletion_protection,
        log_retention_days: model.operations.log_retention_days,
        database_insights_mode: rds.database_insights.api_value(),
        performance_insights_retention_days: rds.database_insights.retention_days(),
    }
}

/// The generated credentials of a container database.
pub(super) fn container_credentials(model: &Model, database: &Database) -> CredentialsCall {
    CredentialsCall {
        module: names::database_credentials_module(&database.name),
        kms_key_arn: kms::key_arn(),
        name: model
            .names
            .database(&database.name, Purpose::CredentialsSecret)
            .into(),
        description: format!("the PostgreSQL container \"{}\"", database.name),
        username: "postgres".into(),
    }
}

/// Container alternative of a database: PostgreSQL on Fargate.
pub(super) fn container_call(
    model: &Model,
    database: &Database,
    container: &Container,
) -> ServiceCall {
    let credentials = names::database_credentials_module(&database.name);
    let mut environment = BTreeMap::new();
    environment.insert("POSTGRES_DB".into(), Expr::string(&database.db_name));
    environment.insert("POSTGRES_USER".into(), secret::username(&credentials));
    environment.insert(
        "PGDATA".into(),
        Expr::string("/var/lib/postgresql/data/pgdata"),
    );
    let mut health_check_command = strings(&["CMD", "pg_isready", "-U", "postgres", "-d"]);
    health_check_command.push(database.db_name.clone());
    infra_container_call(
        model,
        InfraContainer {
            module: names::database_module(&database.name),
            comment: format!(
                "PostgreSQL \"{}\" as a Fargate container (dev stage: data lives in task storage and is lost when the task stops), used by {}.",
                database.name,
                database.used_by.join(", ")
            ),
            owner: Owner::Database(database.name.clone()),
            container_name: POSTGRES_CONTAINER,
            image: container.image.clone(),
            port: database.port,
            hostname: database_hostname(&database.name),
            health_check_command,
            health_check_timeout: None,
            writable_paths: &["/tmp", "/var/lib/postgresql/data", "/var/run/postgresql"],
            environment,
            credentials,
            password_variable: "POSTGRES_PASSWORD",
        },
    )
}

/// The module's flags, when any database runs on RDS. One module serves
/// every RDS database, and every RDS database of a topology shares the
/// stage's settings.
pub(super) fn database_module(model: &Model) -> Option<DatabaseModule> {
    let rds: Vec<&Rds> = model.rds_databases().map(|(_, rds)| rds).collect();
    if rds.is_empty() {
        return None;
    }
    let any_single_az = rds.iter().any(|d| !d.multi_az);
    let any_unprotected = rds.iter().any(|d| !d.deletion_protection);
    let environment = &model.project.environment;
    Some(DatabaseModule {
        database: DatabaseFlags {
            log_retention_skip: retention_skip(
                model.operations.log_retention_days,
                "PostgreSQL logs",
                model,
            ),
            multi_az_skip: any_single_az.then(|| {
                format!(
                    "multi_az is a topology choice; the {environment} stage runs a single-AZ instance to halve its cost, recovering from automated backups"
                )
            }),
            deletion_protection_skip: any_unprotected.then(|| {
                format!(
                    "deletion_protection is a topology choice; the {environment} stage turns it off so the environment can be torn down, and a final snapshot is still taken"
                )
            }),
        },
    })
}
