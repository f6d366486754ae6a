//! The environment variables the services read: names, defaults, meaning,
//! which are secrets and which infragen derives from the topology (and so
//! a topology may not set).

// ---- names
pub const HTTP_HOST: &str = "HTTP_HOST";
pub const HTTP_PORT: &str = "HTTP_PORT";
pub const HTTP_WORKERS: &str = "HTTP_WORKERS";
pub const LOG_FORMAT: &str = "LOG_FORMAT";
pub const RUST_LOG: &str = "RUST_LOG";
pub const LOG_FILE: &str = "LOG_FILE";
pub const SHUTDOWN_TIMEOUT_SECS: &str = "SHUTDOWN_TIMEOUT_SECS";
pub const PGHOST: &str = "PGHOST";
pub const PGPORT: &str = "PGPORT";
pub const PGUSER: &str = "PGUSER";
pub const PGPASSWORD: &str = "PGPASSWORD";
pub const PGDATABASE: &str = "PGDATABASE";
pub const PGPASSWORD_SECRET_ARN: &str = "PGPASSWORD_SECRET_ARN";
pub const PGSSLMODE: &str = "PGSSLMODE";
pub const PGSSLROOTCERT: &str = "PGSSLROOTCERT";
pub const PG_POOL_SIZE: &str = "PG_POOL_SIZE";
pub const AMQP_HOST: &str = "AMQP_HOST";
pub const AMQP_PORT: &str = "AMQP_PORT";
pub const AMQP_USER: &str = "AMQP_USER";
pub const AMQP_PASSWORD: &str = "AMQP_PASSWORD";
pub const AMQP_VHOST: &str = "AMQP_VHOST";
pub const AMQP_TLS: &str = "AMQP_TLS";
pub const BILLING_QUEUE: &str = "BILLING_QUEUE";
pub const INVENTORY_URL: &str = "INVENTORY_URL";
pub const AUTH_ENABLED: &str = "AUTH_ENABLED";
pub const AUTH_JWKS_URL: &str = "AUTH_JWKS_URL";
pub const AUTH_ISSUER: &str = "AUTH_ISSUER";
pub const AUTH_AUDIENCE: &str = "AUTH_AUDIENCE";

// ---- defaults (what a service uses when the variable is unset)
pub const DEFAULT_HTTP_HOST: &str = "0.0.0.0";
pub const DEFAULT_LOG_FORMAT: &str = "json";
pub const DEFAULT_RUST_LOG: &str = "info";
/// ECS stops a task 30 s after SIGTERM; this leaves 5 s to exit.
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 25;
pub const DEFAULT_PGHOST: &str = "127.0.0.1";
pub const DEFAULT_PGPORT: u16 = 5432;
pub const DEFAULT_PGUSER: &str = "postgres";
pub const DEFAULT_PGSSLMODE: &str = "disable";
/// `PGSSLMODE` on AWS: RDS has `rds.force_ssl = 1`, and the server's
/// certificate is verified against the Amazon RDS CA bundle the services embed.
pub const AWS_PGSSLMODE: &str = "verify-full";
pub const DEFAULT_PG_POOL_SIZE: usize = 16;
pub const DEFAULT_AMQP_HOST: &str = "127.0.0.1";
pub const DEFAULT_AMQP_PORT: u16 = 5672;
pub const DEFAULT_AMQPS_PORT: u16 = 5671;
/// RabbitMQ's built-in loopback-only account, not a deployment's credential.
pub const DEFAULT_AMQP_USER: &str = "guest";
pub const DEFAULT_AMQP_PASSWORD: &str = "guest";
pub const DEFAULT_AMQP_VHOST: &str = "/";
pub const DEFAULT_BILLING_QUEUE: &str = "billing_queue";
pub const DEFAULT_INVENTORY_URL: &str = "http://127.0.0.1:8080";

/// Which services read a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Every service.
    All,
    /// The services with a PostgreSQL database (inventory, billing).
    Postgres,
    /// The services on the broker (billing, gateway).
    Amqp,
    /// The gateway only.
    Gateway,
}

impl Group {
    /// Every group, in the documentation's order.
    pub const ALL: [Group; 4] = [Group::All, Group::Postgres, Group::Amqp, Group::Gateway];

    /// A heading for the documentation.
    pub fn title(self) -> &'static str {
        match self {
            Group::All => "All services",
            Group::Postgres => "PostgreSQL (inventory, billing) — libpq names",
            Group::Amqp => "RabbitMQ (billing, gateway)",
            Group::Gateway => "Gateway only",
        }
    }
}

/// One environment variable of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    pub group: Group,
    /// The default, as documentation (Markdown).
    pub default: &'static str,
    /// What it means (Markdown).
    pub meaning: &'static str,
    /// A password: ECS injects it from Secrets Manager, logs never show it.
    pub secret: bool,
    /// infragen sets it from the topology (`port`, `database`, `broker`), so
    /// a topology's `env` or `secrets` may not.
    pub reserved: bool,
}

const fn var(
    name: &'static str,
    group: Group,
    default: &'static str,
    meaning: &'static str,
) -> Variable {
    Variable {
        name,
        group,
        default,
        meaning,
        secret: false,
        reserved: false,
    }
}

const fn reserved(mut v: Variable) -> Variable {
    v.reserved = true;
    v
}

const fn secret(mut v: Variable) -> Variable {
    v.secret = true;
    v.reserved = true;
    v
}

/// Every variable, grouped, in the documentation's order.
pub const VARIABLES: &[Variable] = &[
    reserved(var(HTTP_HOST, Group::All, "`0.0.0.0`", "listen address")),
    reserved(var(
        HTTP_PORT,
        Group::All,
        "inventory `8080`, billing `8080`, gateway `3000`",
        "listen port",
    )),
    var(
        HTTP_WORKERS,
        Group::All,
        "inventory, gateway: one per CPU; billing `1` (its HTTP surface is health and metrics)",
        "actix HTTP worker threads",
    ),
    var(LOG_FORMAT, Group::All, "`json`", "`json` or `pretty`"),
    var(RUST_LOG, Group::All, "`info`", "tracing filter"),
    var(
        LOG_FILE,
        Group::All,
        "unset (stdout only)",
        "also write the log events as JSON lines to this file (whatever `LOG_FORMAT` says), e.g. `/var/log/api-gateway/api-gateway.log`; stdout stays the primary sink. Non-blocking writer, rotated daily (UTC) into `<stem>.<YYYY-MM-DD>.<ext>` beside it, 7 files kept; `LOG_FILE` itself is a symlink to the current file. Unwritable path: a warning on stdout, then stdout only. Set in compose for the services with a logs volume; unset on ECS (read-only root filesystem, awslogs reads stdout)",
    ),
    var(
        SHUTDOWN_TIMEOUT_SECS,
        Group::All,
        "`25`",
        "grace period for in-flight work after SIGTERM (ECS stops at 30 s)",
    ),
    reserved(var(PGHOST, Group::Postgres, "`127.0.0.1`", "database host")),
    reserved(var(PGPORT, Group::Postgres, "`5432`", "database port")),
    reserved(var(PGUSER, Group::Postgres, "`postgres`", "database user")),
    secret(var(
        PGPASSWORD,
        Group::Postgres,
        "empty (local trust auth)",
        "database password; ECS injects it from Secrets Manager",
    )),
    reserved(var(
        PGPASSWORD_SECRET_ARN,
        Group::Postgres,
        "unset (use `PGPASSWORD`)",
        "ARN of a Secrets Manager secret holding `{\"username\",\"password\"}` (the RDS-managed master secret): the service reads it at start (a missing or unreadable secret stops it with an error naming this variable) and again whenever PostgreSQL answers `28P01 invalid_password`, so a rotated password is picked up without a restart. Wins over `PGUSER`/`PGPASSWORD`. Set on ECS for RDS databases (the task role may read exactly this secret); unset locally",
    )),
    reserved(var(
        PGDATABASE,
        Group::Postgres,
        "inventory `movies`, billing `orders`",
        "database name",
    )),
    reserved(var(
        PGSSLMODE,
        Group::Postgres,
        "`disable`",
        "`verify-full` on AWS (RDS has `rds.force_ssl = 1`; chain and host name are checked against `PGSSLROOTCERT`); `require` encrypts without verifying",
    )),
    var(
        PGSSLROOTCERT,
        Group::Postgres,
        "unset (the embedded Amazon RDS CA bundle)",
        "PEM file of the CA certificates `verify-ca`/`verify-full` trust; unset: the Amazon RDS root CAs embedded in the services (every commercial region, RSA2048/RSA4096/ECC384 G1)",
    ),
    var(
        PG_POOL_SIZE,
        Group::Postgres,
        "`16`",
        "connection pool size",
    ),
    reserved(var(AMQP_HOST, Group::Amqp, "`127.0.0.1`", "broker host")),
    reserved(var(
        AMQP_PORT,
        Group::Amqp,
        "`5672` (`5671` with TLS)",
        "broker port",
    )),
    reserved(var(
        AMQP_USER,
        Group::Amqp,
        "`guest`",
        "broker user (`guest` is RabbitMQ's loopback-only local account)",
    )),
    secret(var(
        AMQP_PASSWORD,
        Group::Amqp,
        "`guest`",
        "broker password; ECS injects it from Secrets Manager",
    )),
    reserved(var(AMQP_VHOST, Group::Amqp, "`/`", "virtual host")),
    reserved(var(
        AMQP_TLS,
        Group::Amqp,
        "`false`",
        "`true` on Amazon MQ (AMQPS)",
    )),
    var(
        BILLING_QUEUE,
        Group::Amqp,
        "`billing_queue`",
        "the orders queue: a quorum queue with `x-delivery-limit` 10 (dead letters go to `<queue>.dlq`; a classic queue of an older version is migrated by billing-app, see apps/billing-app/README.md)",
    ),
    var(
        INVENTORY_URL,
        Group::Gateway,
        "`http://127.0.0.1:8080`",
        "where inventory-app answers",
    ),
    var(
        AUTH_ENABLED,
        Group::Gateway,
        "`false`",
        "verify Cognito JWTs in the gateway too",
    ),
    var(
        AUTH_JWKS_URL,
        Group::Gateway,
        "—",
        "the user pool's JWKS (required when enabled)",
    ),
    var(
        AUTH_ISSUER,
        Group::Gateway,
        "—",
        "the user pool's issuer (required when enabled)",
    ),
    var(
        AUTH_AUDIENCE,
        Group::Gateway,
        "—",
        "the Cognito app client id (required when enabled)",
    ),
];

/// The variable called `name`, if the contract has one.
pub fn find(name: &str) -> Option<&'static Variable> {
    VARIABLES.iter().find(|v| v.name == name)
}

/// Whether infragen derives `name` from the topology.
pub fn is_reserved(name: &str) -> bool {
    find(name).is_some_and(|v| v.reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, v) in VARIABLES.iter().enumerate() {
            assert!(
                VARIABLES[..i].iter().all(|w| w.name != v.name),
                "{} twice",
                v.name
            );
        }
    }

    /// The documented default is the typed one the services use.
    #[test]
    fn documented_defaults_are_the_typed_ones() {
        let quoted = |v: &dyn std::fmt::Display| format!("`{v}`");
        for (name, typed) in [
            (HTTP_HOST, quoted(&DEFAULT_HTTP_HOST)),
            (LOG_FORMAT, quoted(&DEFAULT_LOG_FORMAT)),
            (RUST_LOG, quoted(&DEFAULT_RUST_LOG)),
            (
                SHUTDOWN_TIMEOUT_SECS,
                quoted(&DEFAULT_SHUTDOWN_TIMEOUT_SECS),
            ),
            (PGHOST, quoted(&DEFAULT_PGHOST)),
            (PGPORT, quoted(&DEFAULT_PGPORT)),
            (PGUSER, quoted(&DEFAULT_PGUSER)),
            (PGSSLMODE, quoted(&DEFAULT_PGSSLMODE)),
            (PG_POOL_SIZE, quoted(&DEFAULT_PG_POOL_SIZE)),
            (AMQP_HOST, quoted(&DEFAULT_AMQP_HOST)),
            (AMQP_USER, quoted(&DEFAULT_AMQP_USER)),
            (AMQP_PASSWORD, quoted(&DEFAULT_AMQP_PASSWORD)),
            (AMQP_VHOST, quoted(&DEFAULT_AMQP_VHOST)),
            (BILLING_QUEUE, quoted(&DEFAULT_BILLING_QUEUE)),
            (INVENTORY_URL, quoted(&DEFAULT_INVENTORY_URL)),
        ] {
            let documented = find(name).map(|v| v.default);
            assert_eq!(documented, Some(typed.as_str()), "{name}");
        }
        let amqp_port = find(AMQP_PORT).map(|v| v.default).unwrap_or_default();
        assert!(amqp_port.starts_with(&quoted(&DEFAULT_AMQP_PORT)));
        assert!(amqp_port.contains(&quoted(&DEFAULT_AMQPS_PORT)));
        let http_port = find(HTTP_PORT).map(|v| v.default).unwrap_or_default();
        for app in crate::APPS {
            assert!(
                http_port.contains(&quoted(&app.default_port)),
                "{}",
                app.binary
            );
        }
    }

    #[test]
    fn reserved_are_the_ones_infragen_derives() {
        let reserved: Vec<_> = VARIABLES
            .iter()
            .filter(|v| v.reserved)
            .map(|v| v.name)
            .collect();
        assert_eq!(
            reserved,
            [
                "HTTP_HOST",
                "HTTP_PORT",
                "PGHOST",
                "PGPORT",
                "PGUSER",
                "PGPASSWORD",
                "PGPASSWORD_SECRET_ARN",
                "PGDATABASE",
                "PGSSLMODE",
                "AMQP_HOST",
                "AMQP_PORT",
                "AMQP_USER",
                "AMQP_PASSWORD",
                "AMQP_VHOST",
                "AMQP_TLS"
            ]
        );
        assert!(VARIABLES.iter().filter(|v| v.secret).all(|v| v.reserved));
    }
}
