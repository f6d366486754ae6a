//! The local development stack (`docker-compose.yml` at the repository root),
//! computed from the resolved [`Model`]: one container per `[[service]]`,
//! per `[[database]]` and for the broker, wired as docs/contracts.md says.
//!
//! Names are fixed by the crud-master seed and derived here:
//! - a service's container is its image (binary) name, e.g. `inventory-app`;
//! - a database's container is `<name>-database`, e.g. `inventory-database`;
//! - the broker's container is `rabbitmq`.
//!
//! Values are YAML scalars, already quoted where YAML needs it ([`yaml`]):
//! the template prints them as they are. Credentials are `${VAR:?…}`
//! references to `.env` (`.env.example` lists them); values from the
//! topology have `$` escaped as `$$` so Compose does not interpolate them.
use crate::model::{Database, Model, Service};
use runtime_contract::variables as contract;
use serde::Serialize;

/// Container name of the broker.
pub const BROKER_CONTAINER: &str = "rabbitmq";
/// The network every container joins.
pub const NETWORK: &str = "backend";
/// PostgreSQL's port inside its container.
const POSTGRES_PORT: u16 = contract::DEFAULT_PGPORT;
/// RabbitMQ's AMQP port inside its container (no TLS locally).
const AMQP_PORT: u16 = contract::DEFAULT_AMQP_PORT;

/// The whole compose file.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeView {
    /// Topology file name shown in the header.
    pub source: String,
    /// Compose project name (`project.name`).
    pub project: String,
    pub network: &'static str,
    pub databases: Vec<ComposeDatabase>,
    pub broker: Option<ComposeBroker>,
    pub services: Vec<ComposeService>,
    /// Named volumes, in file order.
    pub volumes: Vec<String>,
}

/// One PostgreSQL container.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeDatabase {
    /// `<name>-database`.
    pub container: String,
    pub engine_major: u32,
    /// Pinned local image for the engine's major version.
    pub image: String,
    pub db_name: String,
    /// `${<NAME>_DB_USER:?…}`.
    pub user: String,
    /// `${<NAME>_DB_PASSWORD:?…}`.
    pub password: String,
    /// `<container>-data`.
    pub volume: String,
}

/// The RabbitMQ container and the AMQP variables every broker user gets.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeBroker {
    pub container: &'static str,
    pub engine_version: String,
    pub image: String,
    pub user: String,
    pub password: String,
    pub volume: String,
    /// `AMQP_*` variables (docs/contracts.md), YAML values.
    pub env: Vec<EnvVar>,
}

/// A `KEY: value` line; `value` is a YAML scalar.
#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
}

/// A `depends_on` entry.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    pub container: String,
    /// `service_healthy` or `service_started`.
    pub condition: &'static str,
    /// Why it is not health-gated (a YAML comment), if it is not.
    pub comment: Option<String>,
}

/// Published port of a public service.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// `"${GATEWAY_BIND:-127.0.0.1}:${GATEWAY_PORT:-3000}:3000"`, quoted.
    pub mapping: String,
}

/// One application container.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeService {
    /// The image / binary name, e.g. `inventory-app`.
    pub container: String,
    /// The topology's service name.
    pub name: String,
    pub port: u16,
    /// `mem_limit`, MiB (the task's memory).
    pub memory: u32,
    /// `${IMAGE_PREFIX:-<project>}/<container>:${IMAGE_TAG:-dev}`.
    pub image: String,
    pub dockerfile: String,
    /// `<<: *amqp-env` in its environment.
    pub broker: bool,
    pub env: Vec<EnvVar>,
    /// Public services only.
    pub published: Option<Published>,
    /// Public services only: `<name>-logs` mounted at `/var/log/<name>`,
    /// where `LOG_FILE` (`/var/log/<name>/<name>.log`) points.
    pub logs_volume: Option<String>,
    pub logs_path: Option<String>,
    pub depends_on: Vec<Dependency>,
}

/// The compose view of a model.
pub fn compose_view(model: &Model, source: &str) -> ComposeView {
    let databases: Vec<ComposeDatabase> = model
        .databases
        .iter()
        .map(|d| {
            let container = database_container(&d.name);
            let var = env_name(&d.name);
            ComposeDatabase {
                image: postgres_image(d.engine_major),
                engine_major: d.engine_major,
                db_name: d.db_name.clone(),
                user: required(&format!("{var}_DB_USER")),
                password: required(&format!("{var}_DB_PASSWORD")),
                volume: format!("{container}-data"),
                container,
            }
        })
        .collect();
    let broker = model.broker.as_ref().map(|b| {
        let user = required("RABBITMQ_USER");
        let password = required("RABBITMQ_PASSWORD");
        ComposeBroker {
            container: BROKER_CONTAINER,
            engine_version: b.engine_version.clone(),
            image: rabbitmq_image(&b.engine_version),
            volume: format!("{BROKER_CONTAINER}-data"),
            env: vec![
                var(contract::AMQP_HOST, BROKER_CONTAINER),
                var(contract::AMQP_PORT, &AMQP_PORT.to_string()),
                EnvVar {
                    key: contract::AMQP_USER.into(),
                    value: user.clone(),
                },
                EnvVar {
                    key: contract::AMQP_PASSWORD.into(),
                    value: password.clone(),
                },
                var(contract::AMQP_VHOST, super::common::VHOST),
                var(contract::AMQP_TLS, "false"),
            ],
            user,
            password,
        }
    });
    let public_count = model.services.iter().filter(|s| s.public()).count();
    let services: Vec<ComposeService> = model
        .services
        .iter()
        .map(|s| compose_service(model, s, public_count))
        .collect();

    let mut volumes: Vec<String> = databases.iter().map(|d| d.volume.clone()).collect();
    volumes.extend(broker.iter().map(|b| b.volume.clone()));
    volumes.extend(services.iter().filter_map(|s| s.logs_volume.clone()));
    volumes.extend(["prometheus-data".to_string(), "grafana-data".to_string()]);

    ComposeView {
        source: source.to_string(),
        project: model.project.name.clone(),
        network: NETWORK,
        databases,
        broker,
        services,
        volumes,
    }
}

fn compose_service(model: &Model, service: &Service, public_count: usize) -> ComposeService {
    let container = container_name(service);
    let mut env = vec![
        var(contract::HTTP_PORT, &service.port.to_string()),
        raw(contract::LOG_FORMAT, "${LOG_FORMAT:-json}"),
        raw(contract::RUST_LOG, "${RUST_LOG:-info}"),
        var(
            contract::SHUTDOWN_TIMEOUT_SECS,
            &contract::DEFAULT_SHUTDOWN_TIMEOUT_SECS.to_string(),
        ),
    ];
    let mut depends_on = Vec::new();
    if let Some(database) = service
        .database
        .as_deref()
        .and_then(|name| model.database(name))
    {
        env.extend(database_env(database));
        depends_on.push(healthy(database_container(&database.name)));
    }
    for (variable, upstream) in &service.upstreams {
        if let Some(target) = model.service(upstream) {
            let host = container_name(target);
            env.push(var(variable, &format!("http://{host}:{}", target.port)));
            depends_on.push(healthy(host));
        }
    }
    let public = service.public();
    if public {
        // Also log to a file on the `<name>-logs` volume (docs/contracts.md).
        env.push(var(contract::LOG_FILE, &log_file(&service.name)));
        // Locally there is no Cognito: the gateway does not verify tokens.
        env.push(var(contract::AUTH_ENABLED, "false"));
    }
    // The topology's own variables win over the derived ones.
    for (key, value) in &service.env {
        let value = yaml(&value.replace('$', "$$"));
        match env.iter_mut().find(|e| &e.key == key) {
            Some(existing) => existing.value = value,
            None => env.push(EnvVar {
                key: key.clone(),
                value,
            }),
        }
    }
    let broker = service.broker && model.broker.is_some();
    if broker {
        depends_on.push(healthy(BROKER_CONTAINER.to_string()));
        if public {
            depends_on.extend(consumers(model, service));
        }
    }
    let published = public.then(|| published(service, public_count));
    ComposeService {
        image: format!(
            "${{IMAGE_PREFIX:-{}}}/{container}:${{IMAGE_TAG:-dev}}",
            model.project.name
        ),
        dockerfile: format!("Dockerfiles/{container}.Dockerfile"),
        name: service.name.clone(),
        port: service.port,
        memory: service.memory,
        broker,
        env,
        published,
        logs_volume: public.then(|| format!("{}-logs", service.name)),
        logs_path: public.then(|| logs_path(&service.name)),
        depends_on,
        container,
    }
}

/// `PG*` for the service's database container; the login is required from
/// the environment compose runs in (`.env`).
fn database_env(database: &Database) -> [EnvVar; 6] {
    let name = env_name(&database.name);
    [
        var(contract::PGHOST, &database_container(&database.name)),
        var(contract::PGPORT, &POSTGRES_PORT.to_string()),
        raw(contract::PGUSER, &required(&format!("{name}_DB_USER"))),
        raw(
            contract::PGPASSWORD,
            &required(&format!("{name}_DB_PASSWORD")),
        ),
        var(contract::PGDATABASE, &database.db_name),
        var(contract::PGSSLMODE, contract::DEFAULT_PGSSLMODE),
    ]
}

/// The other broker users, which consume what a public service publishes:
/// started, not health-gated (the durable queue holds messages while they
/// are down).
fn consumers(model: &Model, service: &Service) -> Vec<Dependency> {
    model
        .services
        .iter()
        .filter(|other| other.name != service.name && other.broker && !other.public())
        .map(|other| Dependency {
            container: container_name(other),
            condition: "service_started",
            comment: Some(format!(
                "Not health-gated: messages wait in the durable queue while {} is down.",
                container_name(other)
            )),
        })
        .collect()
}

/// The host port of a public service (`GATEWAY_PORT` when it is the only one).
fn published(service: &Service, public_count: usize) -> Published {
    let port_var = if public_count == 1 {
        "GATEWAY_PORT".to_string()
    } else {
        format!("{}_PORT", env_name(&service.name))
    };
    Published {
        mapping: yaml_quoted(&format!(
            "${{GATEWAY_BIND:-127.0.0.1}}:${{{port_var}:-{port}}}:{port}",
            port = service.port
        )),
    }
}

/// The directory a public service's logs volume is mounted at.
fn logs_path(name: &str) -> String {
    format!("/var/log/{name}")
}

/// `LOG_FILE` of a public service: in its logs volume.
fn log_file(name: &str) -> String {
    format!("{}/{name}.log", logs_path(name))
}

/// Published on the host: the services API Gateway routes to.
fn healthy(container: String) -> Dependency {
    Dependency {
        container,
        condition: "service_healthy",
        comment: None,
    }
}

/// The container (and binary) of a service: its image name, e.g. `inventory-app`.
pub fn container_name(service: &Service) -> String {
    service
        .image
        .rsplit('/')
        .next()
        .unwrap_or(&service.image)
        .to_string()
}

/// The container of a database: `<name>-database`.
pub fn database_container(name: &str) -> String {
    format!("{name}-database")
}

/// Every container name of the application (databases, broker, services), in file order.
pub fn container_names(view: &ComposeView) -> Vec<String> {
    let mut names: Vec<String> = view.databases.iter().map(|d| d.container.clone()).collect();
    names.extend(view.broker.iter().map(|b| b.container.to_string()));
    names.extend(view.services.iter().map(|s| s.container.clone()));
    names
}

/// `inventory` → `INVENTORY`, `api-gateway` → `API_GATEWAY`.
fn env_name(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// A variable Compose refuses to start without.
fn required(variable: &str) -> String {
    format!("${{{variable}:?set {variable} in .env (see .env.example)}}")
}

/// A `KEY: value` entry with a literal value (no interpolation).
fn var(key: &str, value: &str) -> EnvVar {
    EnvVar {
        key: key.to_string(),
        value: yaml(&value.replace('$', "$$")),
    }
}

/// A `KEY: value` entry whose value Compose interpolates (`${…}`).
fn raw(key: &str, value: &str) -> EnvVar {
    EnvVar {
        key: key.to_string(),
        value: yaml(value),
    }
}

/// Local PostgreSQL image for an engine major version (pinned tags; RDS
/// runs the same major).
pub fn postgres_image(major: u32) -> String {
    match major {
        17 => "postgres:17.6-alpine3.22".to_string(),
        m => format!("postgres:{m}-alpine"),
    }
}

/// Local RabbitMQ image for an engine version (pinned tags; Amazon MQ runs
/// the same minor).
pub fn rabbitmq_image(version: &str) -> String {
    match version {
        "3.13" => "rabbitmq:3.13.7-alpine".to_string(),
        v => format!("rabbitmq:{v}-alpine"),
    }
}

/// A YAML scalar: plain when YAML reads it back as the same string,
/// double-quoted (JSON escaping, valid YAML) otherwise.
pub fn yaml(value: &str) -> String {
    if plain_is_safe(value) {
        value.to_string()
    } else {
        yaml_quoted(value)
    }
}

/// A double-quoted YAML scalar.
pub fn yaml_quoted(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

fn plain_is_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let reserved = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    let numeric = value
        .chars()
        .all(|c| c.is_ascii_digit() || ".+-_:eExXoObB".contains(c))
        && value.chars().any(|c| c.is_ascii_digit());
    !("-?:,[]{}#&*!|>'\"%@` ".contains(first))
        && !value.ends_with(' ')
        && !value.ends_with(':')
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.chars().any(|c| c.is_control())
        && !reserved.contains(&value.to_ascii_lowercase().as_str())
        && !numeric
        && !value.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalars_are_quoted_when_needed() {
        assert_eq!(yaml("8080"), "\"8080\"");
        assert_eq!(yaml("false"), "\"false\"");
        assert_eq!(yaml("Yes"), "\"Yes\"");
        assert_eq!(yaml("1.5"), "\"1.5\"");
        assert_eq!(yaml(""), "\"\"");
        assert_eq!(yaml("a: b"), "\"a: b\"");
        assert_eq!(yaml("#x"), "\"#x\"");
        assert_eq!(yaml("say \"hi\""), "say \"hi\"");
        assert_eq!(yaml("*x"), "\"*x\"");
        assert_eq!(yaml("/"), "/");
        assert_eq!(yaml("billing_queue"), "billing_queue");
        assert_eq!(
            yaml("http://inventory-app:8080"),
            "http://inventory-app:8080"
        );
        assert_eq!(yaml("${RUST_LOG:-info}"), "${RUST_LOG:-info}");
    }

    #[test]
    fn default_topology_yields_the_seed_names() {
        let model = crate::load_default().expect("default topology");
        let view = compose_view(&model, "topology.toml");
        let mut names = container_names(&view);
        names.sort();
        assert_eq!(
            names,
            [
                "api-gateway-app",
                "billing-app",
                "billing-database",
                "inventory-app",
                "inventory-database",
                "rabbitmq"
            ]
        );
        let gateway = view
            .services
            .iter()
            .find(|s| s.container == "api-gateway-app")
            .unwrap();
        assert!(gateway.published.is_some());
        assert_eq!(gateway.logs_path.as_deref(), Some("/var/log/api-gateway"));
        let log_file = gateway.env.iter().find(|e| e.key == "LOG_FILE").unwrap();
        assert_eq!(log_file.value, "/var/log/api-gateway/api-gateway.log");
        assert!(
            view.services
                .iter()
                .filter(|s| s.logs_volume.is_none())
                .all(|s| s.env.iter().all(|e| e.key != "LOG_FILE"))
        );
        assert!(
            view.services
                .iter()
                .filter(|s| s.container != "api-gateway-app")
                .all(|s| s.published.is_none())
        );
    }
}
