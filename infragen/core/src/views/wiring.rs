//! What an application's container is given: its environment (the runtime
//! contract of docs/contracts.md), its secrets, the secret ARNs its
//! execution role reads for ECS and those its task role reads itself (the
//! rotating RDS password), and the security groups it may reach (database,
//! broker, the ALB listeners of its upstreams).
use super::common::{PeerCall, VHOST, password_value_from};
use super::names;
use crate::hcl::hcl_string;
use crate::model::{Broker, BrokerHosting, Database, DatabaseHosting, Service};
use runtime_contract::variables as contract;
use std::collections::BTreeMap;

/// Terraform expressions to reach a database or the broker.
struct Connection {
    host: String,
    user: String,
    /// ARN of the secret whose `password` key holds the password.
    secret: String,
}

/// The managed module's outputs (`Some((host_output, secret_output))`), or
/// for the container alternative its Cloud Map hostname and the generated
/// `credentials` module.
fn connection(module: &str, managed: Option<(&str, &str)>, credentials: &str) -> Connection {
    match managed {
        Some((host_output, secret_output)) => Connection {
            host: format!("module.{module}.{host_output}"),
            user: format!("module.{module}.username"),
            secret: format!("module.{module}.{secret_output}"),
        },
        None => Connection {
            host: format!("module.{module}.hostname"),
            user: format!("module.{credentials}.username"),
            secret: format!("module.{credentials}.secret_arn"),
        },
    }
}

/// Ingress from the service to a database or the broker (its module's security group).
fn dependency_peer(key: String, module: &str, port: u16) -> PeerCall {
    PeerCall {
        key,
        security_group_expr: format!("module.{module}.security_group_id"),
        port_expr: port.to_string(),
    }
}

/// An application's environment, secrets, readable secret ARNs and peers,
/// built up from its dependencies.
pub(super) struct Wiring {
    /// Variable → Terraform expression.
    pub env: BTreeMap<String, String>,
    /// Variable → `valueFrom` expression.
    pub secrets: BTreeMap<String, String>,
    pub secret_arns: Vec<String>,
    /// Secrets the application reads at run time (task role).
    pub task_secret_arns: Vec<String>,
    pub peers: Vec<PeerCall>,
}

impl Wiring {
    /// What every application gets: where to listen, how to log, how long to drain.
    pub fn new(port: u16) -> Self {
        let mut env = BTreeMap::new();
        env.insert(
            contract::HTTP_HOST.into(),
            hcl_string(contract::DEFAULT_HTTP_HOST),
        );
        env.insert(contract::HTTP_PORT.into(), hcl_string(&port.to_string()));
        env.insert(
            contract::LOG_FORMAT.into(),
            hcl_string(contract::DEFAULT_LOG_FORMAT),
        );
        env.insert(
            contract::RUST_LOG.into(),
            hcl_string(contract::DEFAULT_RUST_LOG),
        );
        env.insert(
            contract::SHUTDOWN_TIMEOUT_SECS.into(),
            hcl_string(&contract::DEFAULT_SHUTDOWN_TIMEOUT_SECS.to_string()),
        );
        Wiring {
            env,
            secrets: BTreeMap::new(),
            secret_arns: Vec::new(),
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
        let (managed, sslmode) = match database.hosting {
            DatabaseHosting::Rds(_) => (
                Some(("address", "password_secret_arn")),
                contract::AWS_PGSSLMODE,
            ),
            DatabaseHosting::Container(_) => (None, contract::DEFAULT_PGSSLMODE),
        };
        let credentials = names::database_credentials_module(&database.name);
        let Connection { host, user, secret } = connection(&module, managed, &credentials);
        let env = &mut self.env;
        env.insert(contract::PGHOST.into(), host);
        env.insert(
            contract::PGPORT.into(),
            hcl_string(&database.port.to_string()),
        );
        env.insert(contract::PGUSER.into(), user);
        env.insert(contract::PGDATABASE.into(), hcl_string(&database.db_name));
        env.insert(contract::PGSSLMODE.into(), hcl_string(sslmode));
        if managed.is_some() {
            env.insert(contract::PGPASSWORD_SECRET_ARN.into(), secret.clone());
            self.task_secret_arns.push(secret);
        } else {
            self.secrets
                .insert(contract::PGPASSWORD.into(), password_value_from(&secret));
            self.secret_arns.push(secret);
        }
        self.peers.push(dependency_peer(
            format!("database-{}", database.name),
            &module,
            database.port,
        ));
    }

    /// `AMQP_*` for the broker (Amazon MQ, or its container alternative).
    pub fn broker(&mut self, broker: &Broker) {
        let module = names::BROKER_MODULE;
        let managed = match broker.hosting {
            BrokerHosting::AmazonMq(_) => Some(("host", "credentials_secret_arn")),
            BrokerHosting::Container(_) => None,
        };
        let Connection { host, user, secret } =
            connection(module, managed, names::BROKER_CREDENTIALS_MODULE);
        let env = &mut self.env;
        env.insert(contract::AMQP_HOST.into(), host);
        env.insert(
            contract::AMQP_PORT.into(),
            hcl_string(&broker.port().to_string()),
        );
        env.insert(contract::AMQP_USER.into(), user);
        env.insert(contract::AMQP_VHOST.into(), hcl_string(VHOST));
        env.insert(
            contract::AMQP_TLS.into(),
            hcl_string(if broker.tls() { "true" } else { "false" }),
        );
        self.secrets
            .insert(contract::AMQP_PASSWORD.into(), password_value_from(&secret));
        self.secret_arns.push(secret);
        self.peers.push(dependency_peer(
            format!("broker-{}", broker.name),
            module,
            broker.port(),
        ));
    }

    /// Each upstream variable: the URL of the upstream's ALB listener.
    pub fn upstreams(&mut self, service: &Service, ports: &BTreeMap<String, u16>) {
        for (variable, upstream) in &service.upstreams {
            if let Some(port) = ports.get(upstream) {
                self.env.insert(
                    variable.clone(),
                    format!("\"http://${{module.edge.alb_dns_name}}:{port}\""),
                );
                self.peers.push(PeerCall {
                    key: format!("alb-{upstream}"),
                    security_group_expr: "module.edge.alb_security_group_id".into(),
                    port_expr: port.to_string(),
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
            hcl_string(if internet_egress { "true" } else { "false" }),
        );
        env.insert(
            contract::AUTH_JWKS_URL.into(),
            "module.auth.jwks_url".into(),
        );
        env.insert(contract::AUTH_ISSUER.into(), "module.auth.issuer".into());
        env.insert(
            contract::AUTH_AUDIENCE.into(),
            "module.auth.client_id".into(),
        );
    }

    /// The topology's own variables and secrets, which win over the derived ones.
    /// `PG_POOL_SIZE` the model derived for the database's connection budget.
    pub fn pool(&mut self, service: &Service) {
        if let Some(size) = service.pg_pool_size {
            self.env
                .insert(contract::PG_POOL_SIZE.into(), hcl_string(&size.to_string()));
        }
    }

    pub fn own(&mut self, service: &Service, region: &str) {
        for (key, value) in &service.env {
            self.env.insert(key.clone(), hcl_string(value));
        }
        for (key, reference) in &service.secrets {
            self.secrets.insert(key.clone(), hcl_string(reference));
            self.secret_arns
                .push(hcl_string(&names::secret_arn_pattern(reference, region)));
        }
    }
}
