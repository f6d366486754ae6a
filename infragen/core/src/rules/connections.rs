//! PostgreSQL connections: each service's pool times its tasks during a
//! 200 % rollout (the old and the new tasks side by side, at the scaling
//! maximum) must fit the database's `max_connections`. Services without a
//! `PG_POOL_SIZE` of their own get the largest pool that fits (at most the
//! services' default); one set in `env` is checked.
use crate::diagnostics::Problems;
use crate::model::{Database, DatabaseHosting, Service};

/// Connections kept for superusers (PostgreSQL's 3 and RDS's 2).
pub const RESERVED_CONNECTIONS: u32 = 5;

/// `max_connections` of PostgreSQL's own default (the container).
pub const CONTAINER_MAX_CONNECTIONS: u32 = 100;

/// The RDS default parameter group's `max_connections`:
/// LEAST(DBInstanceClassMemory / 9531392, 5000), with DBInstanceClassMemory
/// taken as 75 % of the class's memory (RDS keeps the rest for the OS and
/// its agents). None for a class this table does not know.
pub fn rds_max_connections(instance_class: &str) -> Option<u32> {
    let mut parts = instance_class.split('.').skip(1);
    let (family, size) = (parts.next()?, parts.next()?);
    let burstable = family.starts_with('t');
    let gib: u64 = match size {
        "micro" if burstable => 1,
        "small" if burstable => 2,
        "medium" if burstable => 4,
        "large" => 8,
        "xlarge" => 16,
        "2xlarge" => 32,
        "4xlarge" if !burstable => 64,
        "8xlarge" if !burstable => 128,
        "12xlarge" if !burstable => 192,
        "16xlarge" if !burstable => 256,
        "24xlarge" if !burstable => 384,
        _ => return None,
    };
    let gib = match family.chars().next()? {
        'r' => gib * 2,
        'm' | 't' => gib,
        _ => return None,
    };
    let memory = gib * (1 << 30) * 3 / 4;
    Some((memory / 9_531_392).min(5000) as u32)
}

/// The database's `max_connections`, when known.
pub fn max_connections(database: &Database) -> Option<u32> {
    match &database.hosting {
        DatabaseHosting::Rds(rds) => rds_max_connections(&rds.instance_class),
        DatabaseHosting::Container(_) => Some(CONTAINER_MAX_CONNECTIONS),
    }
}

/// Set each service's `pg_pool_size` and check every database's budget.
pub(super) fn pools(
    services: &mut [Service],
    databases: &[Database],
    default_pool: u32,
    env_key: &str,
    p: &mut Problems,
) {
    for (d, database) in databases.iter().enumerate() {
        let Some(max) = max_connections(database) else {
            continue;
        };
        let budget = max.saturating_sub(RESERVED_CONNECTIONS);
        let users: Vec<usize> = (0..services.len())
            .filter(|&i| services[i].database.as_deref() == Some(&database.name))
            .collect();
        // Peak tasks of a service: its maximum, twice, during a rollout.
        let peak = |s: &Service| 2 * s.scaling.max.max(s.desired).max(1);
        let fixed: u32 = users
            .iter()
            .filter_map(|&i| Some(peak(&services[i]) * own_pool(&services[i], env_key)?))
            .sum();
        let derived_tasks: u32 = users
            .iter()
            .filter(|&&i| own_pool(&services[i], env_key).is_none())
            .map(|&i| peak(&services[i]))
            .sum();
        let left = budget.saturating_sub(fixed);
        let pool = left
            .checked_div(derived_tasks)
            .map_or(default_pool, |p| p.min(default_pool));
        let used_by = users
            .iter()
            .map(|&i| format!("{} (up to {} tasks)", services[i].name, peak(&services[i])))
            .collect::<Vec<_>>()
            .join(", ");
        if fixed > budget || (derived_tasks > 0 && pool < 2) {
            let path = match database.hosting {
                DatabaseHosting::Rds(_) => format!("database[{d}].instance_class"),
                DatabaseHosting::Container(_) => format!("database[{d}].name"),
            };
            p.invalid(
                path,
                format!(
                    "database `{}` takes about {max} connections ({budget} for applications), not enough for {used_by} during a rollout at 200 %, with at least 2 pooled connections per task{}",
                    database.name,
                    if fixed > 0 { format!(" ({fixed} taken by a PG_POOL_SIZE set in env)") } else { String::new() },
                ),
                "use a larger instance class, lower scaling.max, or set a smaller PG_POOL_SIZE in the services' env",
            );
        }
        for &i in &users {
            services[i].pg_pool_size = Some(own_pool(&services[i], env_key).unwrap_or(pool));
        }
    }
}

/// A pool size the service sets itself in `env`.
fn own_pool(service: &Service, env_key: &str) -> Option<u32> {
    service.env.get(env_key)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_connections_by_class() {
        assert_eq!(rds_max_connections("db.t4g.micro"), Some(84));
        assert_eq!(rds_max_connections("db.m7g.large"), Some(675));
        assert_eq!(rds_max_connections("db.r6g.16xlarge"), Some(5000));
        assert_eq!(rds_max_connections("db.x2g.large"), None);
    }
}
