//! What an application's container is given: its environment (the runtime
//! contract of docs/contracts.md), its secrets, the secret ARNs its
//! execution role reads for ECS and those its task role reads itself (the
//! rotating RDS password), and the security groups it may reach (database,
//! broker, the ALB listeners of its upstreams).
use super::common::{PeerCall, VHOST, password_value_from};
use super::module_outputs::{auth, broker, database, edge, named_secrets, secret, service};
use super::names;
use crate::hcl::{Expr, Part};
use crate::model::{Broker, BrokerHosting, Database, DatabaseHosting, SecretSource, Service};
use runtime_contract::variables as contract;
use std::collections::BTreeMap;

/// Terraform expressions to reach a database or the broker.
struct Connection {
    host: Expr,
    user: Expr,
    /// ARN of the secret whose `password` key holds the password.
    secret: Expr,
    security_group: Expr,
}

/// A dependency container: its Cloud Map hostname, the generated
/// `credentials` module, the security group of its `modules/service` call.
fn container_connection(module: &str, credentials: &str) -> Connection {
    Connection {
        host: service::hostname(module),
        user: secret::username(credentials),
        secret: secret::secret_arn(credentials),
        security_group: service::security_group_id(module),
    }
}

/// Ingress from the service to a database or the broker.
fn dependency_peer(key: String, security_group: Expr, port: u16) -> PeerCall {
    PeerCall {
        key,
        security_group_id: security_group,
        port,
    }
}

/// `"http://${ALB}:PORT"`: the URL of an ALB listener.
pub(super) fn listener_url(port: u16) -> Expr {
    Expr::Template(vec![
        Part::Text("http://".into()),
        Part::Interpolation(edge::alb_dns_name()),
        Part::Text(format!(":{port}")),
    ])
}

fn string(value: impl ToString) -> Expr {
    Expr::string(&value.to_string())
}

/// An application's environment, secrets, readable secret ARNs and peers,
/// built up from its dependencies.
pub(super) struct Wiring {
    /// Variable → Terraform expression.
    pub env: BTreeMap<String, Expr>,
    /// Variable → `valueFrom` expression.
    pub secrets: BTreeMap<String, Expr>,
    pub secret_arns: Vec<Expr>,
    /// SSM parameters ECS reads for the container (execution role).
    pub parameter_arns: Vec<Expr>,
    /// Secrets the application reads at run time (task role).
    pub task_secret_arns: Vec<Expr>,
    pub peers: Vec<PeerCall>,
}

impl Wiring {
    /// What every application gets: where to listen, how to log, how long to drain.
    pub fn new(port: u16) -> Self {
        let mut env = BTreeMap::new();
        env.insert(
            contract::HTTP_HOST.into(),
            string(contract::DEFAULT_HTTP_HOST),
        );
        env.insert(contract::HTTP_PORT.into(), string(port));
        env.insert(
            contract::LOG_FORMAT.into(),
            string(contract::DEFAULT_LOG_FORMAT),
        );
        env.insert(
            contract::RUST_LOG.into(),
            string(contract::DEFAULT_RUST_LOG),
        );
        env.insert(
            contract::SHUTDOWN_TIMEOUT_SECS.into(),
            string(contract::DEFAULT_SHUTDOWN_TIMEOUT_SECS),
        );
        Wiring {
            env,
            secrets: BTreeMap::new(),
            secret_arns: Vec::new(),
            parameter_arns: Vec::new(),
            task_secret_arns: Vec::new(),
            peers: Vec::new(),
        }
    }

    /// `PG*` for the service's database (RDS, or its container alternative).
    /// RDS rotates its managed master password every 7 days, so the service
    /// gets the secret's ARN and reads it itself (again after a rotation);
    /// the container alternative's password is fixed and ECS injects it.
    pub fn database(&mut self, database: &Database) {
        let module = names::database_module(&database.name);
        let credentials = names::database_credentials_module(&database.name);
        let (connection, sslmode) = match database.hosting {
            DatabaseHosting::Rds(_) => (
                Connection {
                    host: database::address(&module),
                    user: database::username(&module),
                    secret: database::password_secret_arn(&module),
                    security_group: database::security_group_id(&module),
                },
                contract::AWS_PGSSLMODE,
            ),
            DatabaseHosting::Container(_) => (
                container_connection(&module, &credentials),
                contract::DEFAULT_PGSSLMODE,
            ),
        };
        let managed = matches!(database.hosting, DatabaseHosting::Rds(_));
        let env = &mut self.env;
        env.insert(contract::PGHOST.into(), connection.host);
        env.insert(contract::PGPORT.into(), string(database.port));
        env.insert(contract::PGUSER.into(), connection.user);
        env.insert(contract::PGDATABASE.into(), string(&database.db_name));
        env.insert(contract::PGSSLMODE.into(), string(sslmode));
        let secret = connection.secret;
        if managed {
            env.insert(contract::PGPASSWORD_SECRET_ARN.into(), secret.clone());
            self.task_secret_arns.push(secret);
        } else {
            self.secrets
                .insert(contract::PGPASSWORD.into(), password_value_from(&secret));
            self.secret_arns.push(secret);
        }
        self.peers.push(dependency_peer(
            format!("database-{}", database.name),
            connection.security_group,
            database.port,
        ));
    }

    /// `AMQP_*` for the broker (Amazon MQ, or its container alternative).
    pub fn broker(&mut self, broker: &Broker) {
        let connection = match broker.hosting {
            BrokerHosting::AmazonMq(_) => Connection {
                host: broker::host(),
                user: broker::username(),
                secret: broker::credentials_secret_arn(),
                security_group: broker::security_group_id(),
            },
            BrokerHosting::Container(_) => {
                container_connection(names::BROKER_MODULE, names::BROKER_CREDENTIALS_MODULE)
            }
        };
        let env = &mut self.env;
        env.insert(contract::AMQP_HOST.into(), connection.host);
        env.insert(contract::AMQP_PORT.into(), string(broker.port()));
        env.insert(contract::AMQP_USER.into(), connection.user);
        env.insert(contract::AMQP_VHOST.into(), string(VHOST));
        env.insert(
            contract::AMQP_TLS.into(),
            string(if broker.tls() { "true" } else { "false" }),
        );
        let secret = connection.secret;
        self.secrets
            .insert(contract::AMQP_PASSWORD.into(), password_value_from(&secret));
        self.secret_arns.push(secret);
        self.peers.push(dependency_peer(
            format!("broker-{}", broker.name),
            connection.security_group,
            broker.port(),
        ));
    }

    /// Each upstream variable: the URL of the upstream's ALB listener.
    pub fn upstreams(&mut self, service: &Service, ports: &BTreeMap<String, u16>) {
        for (variable, upstream) in &service.upstreams {
            if let Some(port) = ports.get(upstream) {
                self.env.insert(variable.clone(), listener_url(*port));
                self.peers.push(PeerCall {
                    key: format!("alb-{upstream}"),
                    security_group_id: edge::alb_security_group_id(),
                    port: *port,
                });
            }
        }
    }

    /// `AUTH_*` of a public service. Defence in depth: the service verifies
    /// the tokens API Gateway already checked. It fetches the pool's JWKS over
    /// the internet, so without NAT egress (VPC endpoints only) it relies on
    /// the JWT authorizer alone.
    pub fn auth(&mut self, internet_egress: bool) {
        let env = &mut self.env;
        env.insert(
            contract::AUTH_ENABLED.into(),
            string(if internet_egress { "true" } else { "false" }),
        );
        env.insert(contract::AUTH_JWKS_URL.into(), auth::jwks_url());
        env.insert(contract::AUTH_ISSUER.into(), auth::issuer());
        env.insert(contract::AUTH_AUDIENCE.into(), auth::client_id());
    }

    /// `PG_POOL_SIZE` the model derived for the database's connection budget.
    pub fn pool(&mut self, service: &Service) {
        if let Some(size) = service.pg_pool_size {
            self.env.insert(contract::PG_POOL_SIZE.into(), string(size));
        }
    }

    /// The topology's own variables and secrets, which win over the derived
    /// ones. A secret given by name becomes its ARN (resolved at plan time)
    /// plus its selector; ARNs are used as given.
    pub fn own(&mut self, service: &Service) {
        for (key, value) in &service.env {
            self.env.insert(key.clone(), string(value));
        }
        for (key, reference) in &service.secrets {
            let selector = &reference.selector;
            let (value_from, arns, arn) = match &reference.source {
                SecretSource::Name(name) => {
                    let arn = named_secrets::arn(name);
                    let value = arn.clone().followed_by(selector);
                    (value, &mut self.secret_arns, arn)
                }
                SecretSource::SecretArn(arn) => (
                    string(format!("{arn}{selector}")),
                    &mut self.secret_arns,
                    string(arn),
                ),
                SecretSource::Parameter(arn) => {
                    (string(arn), &mut self.parameter_arns, string(arn))
                }
            };
            self.secrets.insert(key.clone(), value_from);
            arns.push(arn);
        }
    }
}
