//! `[[database]]`: PostgreSQL on RDS or as a container, and who uses each.
use super::fields::{UniqueNames, container_image_reachable, dns_name, ranged};
use crate::diagnostics::Problems;
use crate::model::{Container, Database, DatabaseHosting, Network, Project, Rds, Service};
use crate::parse::raw::{DatabaseInsights, DatabaseKind, RawDatabase, RawTopology};

/// RDS DB instance identifiers: at most 63 characters.
pub const RDS_IDENTIFIER_MAX: usize = 63;

pub(super) fn databases(
    raw: &RawTopology,
    project: &Project,
    network: &Network,
    p: &mut Problems,
) -> Vec<Database> {
    let mut names = UniqueNames::default();
    let mut out = Vec::new();
    for (i, d) in raw.databases.iter().enumerate() {
        let at = |f: &str| format!("database[{i}].{f}");
        dns_name(p, &at("name"), "database name", &d.name, 32);
        names.check(p, "database", i, &d.name, &at("name"));
        out.push(database(d, &at, project, network, p));
    }
    out
}

/// One database, checked; `at` makes the path of one of its fields.
fn database(
    d: &RawDatabase,
    at: &dyn Fn(&str) -> String,
    project: &Project,
    network: &Network,
    p: &mut Problems,
) -> Database {
    let kind = d.kind.unwrap_or(DatabaseKind::Rds);
    let engine_version = d.engine_version.clone().unwrap_or_else(|| "17".into());
    let engine_major = engine_major(&engine_version, at, p);
    let db_name = db_name(d, at, p);
    let instance_class = d
        .instance_class
        .clone()
        .unwrap_or_else(|| "db.t4g.micro".into());
    if !(instance_class.starts_with("db.") && instance_class.split('.').count() == 3) {
        p.invalid(
            at("instance_class"),
            format!("`{instance_class}` is not an RDS instance class"),
            "e.g. db.t4g.micro, db.m7g.large",
        );
    }
    let (storage_gb, max_storage_gb) = storage(d, at, p);
    let multi_az = multi_az(d, kind, network, at, p);
    let container_image = container_image(d, kind, engine_major, project, network, at, p);
    let identifier = format!("{}-{}", project.prefix, d.name);
    if identifier.len() > RDS_IDENTIFIER_MAX {
        p.invalid(
            at("name"),
            format!(
                "the derived RDS identifier `{identifier}` is {} characters; AWS allows at most {RDS_IDENTIFIER_MAX}",
                identifier.len()
            ),
            "shorten the database name, project.name or project.environment",
        );
    }
    let rds = Rds {
        instance_class,
        storage_gb,
        max_storage_gb,
        multi_az,
        backup_retention_days: ranged(
            p,
            &at("backup_retention_days"),
            d.backup_retention_days,
            7,
            1,
            35,
            "RDS keeps automated backups 1–35 days",
        ),
        deletion_protection: d.deletion_protection.unwrap_or(true),
        database_insights: d.database_insights.unwrap_or(DatabaseInsights::Standard),
    };
    if d.database_insights.is_some() && kind == DatabaseKind::Container {
        p.invalid(
            at("database_insights"),
            "Database Insights watches RDS instances; a container database has none",
            "remove `database_insights`, or use `kind = \"rds\"`",
        );
    }
    Database {
        name: d.name.clone(),
        engine_version,
        engine_major,
        db_name,
        identifier,
        used_by: Vec::new(),
        port: 5432,
        hosting: match kind {
            DatabaseKind::Rds => DatabaseHosting::Rds(rds),
            DatabaseKind::Container => DatabaseHosting::Container(Container {
                image: container_image,
            }),
        },
    }
}

/// Multi-AZ: RDS only, and not in a single-AZ topology.
fn multi_az(
    d: &RawDatabase,
    kind: DatabaseKind,
    network: &Network,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> bool {
    let multi_az = d.multi_az.unwrap_or(false);
    if multi_az && network.single_az {
        p.invalid(
            at("multi_az"),
            "a Multi-AZ database in a single-AZ topology",
            "set `multi_az = false`, or `network.single_az = false`",
        );
    }
    if multi_az && kind == DatabaseKind::Container {
        p.invalid(
            at("multi_az"),
            "`multi_az` applies to RDS only; a container database is a single task",
            "remove `multi_az` or use `kind = \"rds\"`",
        );
    }
    multi_az
}

/// Allocated storage (20–65536 GiB) and the autoscaling ceiling above it
/// (five times the storage by default).
fn storage(d: &RawDatabase, at: &dyn Fn(&str) -> String, p: &mut Problems) -> (u32, u32) {
    let storage_gb = ranged(
        p,
        &at("storage_gb"),
        d.storage_gb,
        20,
        20,
        65536,
        "RDS for PostgreSQL (gp3) accepts 20–65536 GiB",
    );
    let max_storage_gb = d
        .max_storage_gb
        .unwrap_or((storage_gb as i64 * 5).min(65536));
    if max_storage_gb < storage_gb as i64 || max_storage_gb > 65536 {
        p.invalid(
            at("max_storage_gb"),
            format!("{max_storage_gb} GiB must be between storage_gb ({storage_gb}) and 65536"),
            "set it to at least storage_gb (equal disables storage autoscaling)",
        );
    }
    (storage_gb, max_storage_gb.clamp(0, 65536) as u32)
}

/// The container alternative's image (official `postgres:<major>-alpine` by
/// default): reachable with the stage's egress.
fn container_image(
    d: &RawDatabase,
    kind: DatabaseKind,
    engine_major: u32,
    project: &Project,
    network: &Network,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> String {
    let container_image = d
        .container_image
        .clone()
        .unwrap_or_else(|| format!("public.ecr.aws/docker/library/postgres:{engine_major}-alpine"));
    if kind == DatabaseKind::Container {
        container_image_reachable(
            p,
            &at("kind"),
            "database",
            &container_image,
            project,
            network,
        );
    }
    container_image
}

/// The major version of a supported PostgreSQL version (13–18, optionally `.minor`).
fn engine_major(engine_version: &str, at: &dyn Fn(&str) -> String, p: &mut Problems) -> u32 {
    let engine_major = engine_version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match engine_major {
        Some(m)
            if (13..=18).contains(&m)
                && engine_version.split('.').count() <= 2
                && engine_version.split('.').all(|x| x.parse::<u32>().is_ok()) =>
        {
            m
        }
        _ => {
            p.invalid(
                at("engine_version"),
                format!("`{engine_version}` is not a supported PostgreSQL version"),
                "use a major version 13–18, optionally with a minor (e.g. \"17\" or \"17.4\")",
            );
            17
        }
    }
}

/// The PostgreSQL database name (the name with `_` for `-` by default): valid on RDS, not reserved.
fn db_name(d: &RawDatabase, at: &dyn Fn(&str) -> String, p: &mut Problems) -> String {
    let db_name = d
        .db_name
        .clone()
        .unwrap_or_else(|| d.name.replace('-', "_"));
    let db_name_valid = !db_name.is_empty()
        && db_name.len() <= 63
        && db_name.starts_with(|c: char| c.is_ascii_alphabetic())
        && db_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !db_name_valid {
        p.invalid(
            at("db_name"),
            format!("`{db_name}` is not a valid PostgreSQL database name for RDS"),
            "1–63 letters, digits and underscores, starting with a letter",
        );
    } else if ["postgres", "template0", "template1", "rdsadmin"].contains(&db_name.as_str()) {
        p.invalid(
            at("db_name"),
            format!("`{db_name}` is reserved"),
            "choose an application database name such as `movies`",
        );
    }
    db_name
}

/// Each database's `used_by`: the services that name it (sorted).
pub(super) fn link_users(databases: &mut [Database], services: &[Service]) {
    for db in databases {
        db.used_by = services
            .iter()
            .filter(|s| s.database.as_deref() == Some(db.name.as_str()))
            .map(|s| s.name.clone())
            .collect();
        db.used_by.sort();
    }
}
